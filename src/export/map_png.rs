//! PNG rendering of the SVG maps through resvg (pure Rust, no system packages).
//!
//! A fresh machine has no system fonts, so the DejaVu Sans faces the SVG names are
//! embedded from the `dejavu` crate and loaded into usvg's font database explicitly; the
//! rendering is then the same on every machine.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use resvg::{tiny_skia, usvg};

use super::map_svg::{FONT_FAMILY, MapSpec, render_svg};

/// Why a map could not be rendered or written.
#[derive(Debug, thiserror::Error)]
pub enum MapError {
    #[error("map SVG does not parse: {0}")]
    Svg(#[from] usvg::Error),
    #[error("cannot allocate a {width}×{height} pixel image")]
    Size { width: u32, height: u32 },
    #[error("cannot encode PNG: {0}")]
    Png(String),
    #[error("{path}: cannot write: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// usvg options with only the embedded fonts (no system font lookup).
pub fn usvg_options() -> usvg::Options<'static> {
    let mut opt = usvg::Options {
        font_family: FONT_FAMILY.to_owned(),
        ..usvg::Options::default()
    };
    let db = opt.fontdb_mut();
    db.load_font_data(dejavu::sans::regular().to_vec());
    db.load_font_data(dejavu::sans::bold().to_vec());
    db.set_sans_serif_family(FONT_FAMILY);
    opt
}

/// Parses an SVG document with the embedded fonts.
pub fn parse_svg(svg: &str, opt: &usvg::Options) -> Result<usvg::Tree, MapError> {
    Ok(usvg::Tree::from_str(svg, opt)?)
}

/// Renders SVG text to an RGBA pixmap at `dpi` (the SVG's mm size sets the page), on white.
pub fn render_pixmap(svg: &str, dpi: f32) -> Result<tiny_skia::Pixmap, MapError> {
    let opt = usvg_options();
    let tree = parse_svg(svg, &opt)?;
    let scale = dpi / 96.0;
    let size = tree.size();
    let width = (size.width() * scale).ceil() as u32;
    let height = (size.height() * scale).ceil() as u32;
    let mut pixmap =
        tiny_skia::Pixmap::new(width, height).ok_or(MapError::Size { width, height })?;
    pixmap.fill(tiny_skia::Color::WHITE);
    resvg::render(
        &tree,
        tiny_skia::Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    Ok(pixmap)
}

/// The PNG bytes of `spec`'s map at `dpi` (150 is good for screens and reports, 300 for print).
pub fn render_png(spec: &MapSpec, dpi: f32) -> Result<Vec<u8>, MapError> {
    svg_to_png(&render_svg(spec), dpi)
}

/// The PNG bytes of an SVG document.
pub fn svg_to_png(svg: &str, dpi: f32) -> Result<Vec<u8>, MapError> {
    render_pixmap(svg, dpi)?
        .encode_png()
        .map_err(|e| MapError::Png(e.to_string()))
}

/// Writes `<stem>.svg` and `<stem>.png` for `spec`; returns both paths.
pub fn write_map(
    dir: &Path,
    stem: &str,
    spec: &MapSpec,
    dpi: f32,
) -> Result<(PathBuf, PathBuf), MapError> {
    let svg = render_svg(spec);
    let png = svg_to_png(&svg, dpi)?;
    let svg_path = dir.join(format!("{stem}.svg"));
    let png_path = dir.join(format!("{stem}.png"));
    for (path, bytes) in [(&svg_path, svg.as_bytes()), (&png_path, png.as_slice())] {
        std::fs::write(path, bytes).map_err(|source| MapError::Io {
            path: path.clone(),
            source,
        })?;
    }
    Ok((svg_path, png_path))
}

/// The font database with the embedded faces (for checks, or to share across many maps).
pub fn shared_fontdb() -> Arc<usvg::fontdb::Database> {
    usvg_options().fontdb
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::map_svg::demo_spec;

    #[test]
    fn embedded_fonts_are_found() {
        let db = shared_fontdb();
        assert!(
            db.faces()
                .any(|f| f.families.iter().any(|(n, _)| n == FONT_FAMILY))
        );
    }

    #[test]
    fn text_is_drawn_as_glyphs() {
        // Black text on white: with no font, resvg silently draws nothing.
        let svg = format!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="40mm" height="10mm" viewBox="0 0 40 10"><text x="1" y="8" font-family="{FONT_FAMILY}" font-size="8">Legend</text></svg>"#
        );
        let pm = render_pixmap(&svg, 96.0).unwrap();
        let dark = pm.pixels().iter().filter(|p| p.red() < 100).count();
        assert!(dark > 50, "only {dark} dark pixels: text not rendered");
    }

    #[test]
    fn demo_map_renders_features_in_place() {
        let spec = demo_spec();
        let pm = render_pixmap(&render_svg(&spec), 96.0).unwrap();
        assert_eq!((pm.width(), pm.height()), (1123, 794));
        let px = |x_mm: f64, y_mm: f64| {
            let s = 96.0 / 25.4;
            pm.pixel((x_mm * s) as u32, (y_mm * s) as u32).unwrap()
        };
        // Page corner stays white; the map frame interior has drawn content.
        let corner = px(1.0, 1.0);
        assert_eq!(
            (corner.red(), corner.green(), corner.blue()),
            (255, 255, 255)
        );
        let non_white = pm
            .pixels()
            .iter()
            .filter(|p| p.red() < 250 || p.green() < 250 || p.blue() < 250)
            .count();
        assert!(non_white > 100_000, "{non_white} drawn pixels");
        // Centre of the frame is on the study area: not the grey outside.
        let c = px(110.0, 108.0);
        assert_ne!((c.red(), c.green(), c.blue()), (0xEC, 0xEC, 0xEC));
    }
}
