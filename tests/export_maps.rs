//! Printable maps: the SVG parses, the PNG shows each feature where it should be, in its
//! own colour, and the legend is there.

use aedcover::export::map_png::{parse_svg, render_pixmap, usvg_options, write_map};
use aedcover::export::map_svg::{demo_spec, page_position_mm, render_svg};

const DPI: f32 = 150.0;

fn rgb_at(pm: &resvg::tiny_skia::Pixmap, (x_mm, y_mm): (f64, f64)) -> (u8, u8, u8) {
    let px_per_mm = f64::from(DPI) / 25.4;
    let p = pm
        .pixel((x_mm * px_per_mm) as u32, (y_mm * px_per_mm) as u32)
        .expect("inside the page");
    (p.red(), p.green(), p.blue())
}

#[test]
fn svg_parses_with_usvg_and_keeps_its_text() {
    let svg = render_svg(&demo_spec());
    let tree = parse_svg(&svg, &usvg_options()).unwrap();
    // A4 landscape at 96 dpi.
    assert!(
        (tree.size().width() - 1122.5).abs() < 1.0,
        "{:?}",
        tree.size()
    );
    for id in [
        "legend",
        "scale-bar",
        "north-arrow",
        "aeds",
        "sites",
        "attribution",
    ] {
        assert!(tree.node_by_id(id).is_some(), "no #{id} group");
    }
}

#[test]
fn png_shows_features_in_their_colours() {
    let spec = demo_spec();
    let pm = render_pixmap(&render_svg(&spec), DPI).unwrap();

    // Suggested site 1: the star's yellow at its centre-top (the number sits lower).
    let site = page_position_mm(&spec, spec.sites[0].position).unwrap();
    let (r, g, b) = rgb_at(&pm, (site.0, site.1 - 2.2));
    assert!(
        r > 200 && g > 200 && b < 120,
        "site star not yellow: {r},{g},{b}"
    );

    // A public 24/7 AED: bluish green (#009E73).
    let aed = spec
        .aeds
        .iter()
        .find(|a| a.access == aedcover::registry::AccessClass::Public247)
        .unwrap();
    let (r, g, b) = rgb_at(&pm, page_position_mm(&spec, aed.position).unwrap());
    assert!(
        r < 40 && g > 130 && b > 90 && b < 140,
        "AED not green: {r},{g},{b}"
    );

    // Coverage 200 m east of that AED: tinted blue, not white.
    let mut near = aed.position;
    near.set_x(near.x() + 200.0);
    let (r, g, b) = rgb_at(&pm, page_position_mm(&spec, near).unwrap());
    assert!(b > r && r < 200, "coverage not blue: {r},{g},{b}");

    // Title text is dark glyphs on white, somewhere along its baseline.
    let dark = (0..120)
        .map(|i| rgb_at(&pm, (10.0 + i as f64, 14.0)))
        .filter(|(r, _, _)| *r < 80)
        .count();
    assert!(dark > 10, "title text not drawn ({dark} dark samples)");
}

#[test]
fn write_map_writes_svg_and_png() {
    let dir = tempfile::tempdir().unwrap();
    let (svg, png) = write_map(dir.path(), "overview", &demo_spec(), 96.0).unwrap();
    assert!(std::fs::read_to_string(svg).unwrap().starts_with("<svg"));
    let bytes = std::fs::read(png).unwrap();
    assert_eq!(&bytes[1..4], b"PNG");
}

#[test]
fn map_with_nothing_but_an_extent_still_renders() {
    let mut spec = demo_spec();
    spec.areas.clear();
    spec.coverage.clear();
    spec.gaps = None;
    spec.aeds.clear();
    spec.sites.clear();
    spec.attribution.clear();
    spec.notes.clear();
    let svg = render_svg(&spec);
    assert!(!svg.contains("legend-entry"));
    render_pixmap(&svg, 72.0).unwrap();
}
