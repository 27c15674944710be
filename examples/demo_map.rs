//! Renders the hand-made demo map to `demo_map.svg` / `demo_map.png` in the given folder
//! (default: the current one): `cargo run --example demo_map -- /tmp`.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args().nth(1).unwrap_or_else(|| ".".into());
    let (svg, png) = aedcover::export::map_png::write_map(
        std::path::Path::new(&dir),
        "demo_map",
        &aedcover::export::map_svg::demo_spec(),
        150.0,
    )?;
    println!("{}\n{}", svg.display(), png.display());
    Ok(())
}
