//! Printable A4-landscape maps drawn by our own code as SVG (no network tiles): area
//! boundaries, coverage, gaps, AEDs by access class, numbered suggested sites, a legend,
//! a scale bar, a north arrow and the attribution.
//!
//! All map geometry is in projected metres: British National Grid (EPSG:27700) easting and
//! northing for UK studies, or any metric CRS the caller names in [`MapSpec::crs_label`].
//! Page units are millimetres (`viewBox="0 0 297 210"`), so sizes below read as print sizes.
//!
//! Colours are from the Okabe–Ito palette, which stays distinguishable under the common
//! colour-vision deficiencies, and every AED class also has its own shape, so the map still
//! reads in greyscale print.

use std::fmt::Write as _;

use geo::{Area, BoundingRect, Contains, InteriorPoint};
use geo_types::{Coord, LineString, MultiPolygon, Point, Polygon, Rect};

use crate::registry::AccessClass;

/// A4 landscape, millimetres.
pub const PAGE_W_MM: f64 = 297.0;
pub const PAGE_H_MM: f64 = 210.0;

/// The font family the SVG names; [`super::map_png`] embeds it for rendering.
pub const FONT_FAMILY: &str = "DejaVu Sans";

const MARGIN: f64 = 10.0;
const FRAME: Frame = Frame {
    x: MARGIN,
    y: 27.0,
    w: 200.0,
    h: 163.0,
};
const PANEL_X: f64 = 216.0;
const PANEL_W: f64 = PAGE_W_MM - MARGIN - PANEL_X;

const INK: &str = "#1a1a1a";
const GREY: &str = "#555555";
const COVERAGE: &str = "#56B4E9";
const GAP: &str = "#D55E00";
const SITE: &str = "#F0E442";

/// Everything one map shows. Geometry in projected metres (see the module doc).
#[derive(Debug, Clone)]
pub struct MapSpec {
    pub title: String,
    pub subtitle: Option<String>,
    /// The area to show, in projected metres; widened to the frame's shape and padded a
    /// little, then everything is clipped to the frame.
    pub extent: Rect<f64>,
    /// Named in the footer, e.g. "British National Grid (EPSG:27700)".
    pub crs_label: String,
    pub areas: Vec<MapArea>,
    /// What an area is, for the legend ("Parish boundary"); default "Area boundary".
    pub area_legend: Option<String>,
    pub coverage: Vec<CoverageLayer>,
    pub gaps: Option<GapLayer>,
    pub aeds: Vec<MapAed>,
    pub sites: Vec<MapSite>,
    /// Sources and licences, one per entry, printed in the footer.
    pub attribution: Vec<String>,
    /// Short facts printed under the legend ("842 AEDs have no position and are not shown").
    pub notes: Vec<String>,
    /// A faint base drawn under every layer: the path network and place names.
    pub base: Option<MapBase>,
    /// Shading of [`MapArea::fill`] areas, with its legend.
    pub choropleth: Option<Choropleth>,
}

/// A base for finding one's way on paper: walkable ways and `place=*` names, projected metres.
#[derive(Debug, Clone, Default)]
pub struct MapBase {
    /// Network edges as segments.
    pub segments: Vec<[Coord<f64>; 2]>,
    /// Place names and positions (towns, villages, hamlets, …).
    pub places: Vec<(String, Coord<f64>)>,
}

/// An area outline with an optional label; `highlight` draws it heavier (the area a
/// close-up map is about).
#[derive(Debug, Clone)]
pub struct MapArea {
    pub label: Option<String>,
    pub shape: MultiPolygon<f64>,
    pub highlight: bool,
    /// A class colour of the map's [`Choropleth`]; `None`: the plain white land fill.
    pub fill: Option<AreaFill>,
}

/// How a shaded area is filled.
#[derive(Debug, Clone, PartialEq)]
pub struct AreaFill {
    /// `#rrggbb`.
    pub colour: String,
    /// Hatched over the colour: the figure is a range, not a proven value (the legend says).
    pub hatched: bool,
}

/// The legend of a map whose areas are shaded by a figure.
#[derive(Debug, Clone, PartialEq)]
pub struct Choropleth {
    /// Legend heading, e.g. "Best case: % of residents within 500 m".
    pub title: String,
    /// `(colour, label)` per class, in legend order.
    pub classes: Vec<(String, String)>,
    /// What hatching means, when any area is hatched.
    pub hatch_label: Option<String>,
}

/// Land within `radius_m` of an AED, drawn semi-transparent.
#[derive(Debug, Clone)]
pub struct CoverageLayer {
    pub radius_m: f64,
    /// Legend text; default "Within {radius_m} m of an AED".
    pub label: Option<String>,
    pub shape: MultiPolygon<f64>,
}

/// Places (or arrests) beyond reach of any AED.
#[derive(Debug, Clone)]
pub struct GapLayer {
    pub label: String,
    pub shape: MultiPolygon<f64>,
}

/// An AED symbol.
#[derive(Debug, Clone, Copy)]
pub struct MapAed {
    pub position: Point<f64>,
    pub access: AccessClass,
}

/// A suggested new site, drawn as a star with its rank inside.
#[derive(Debug, Clone, Copy)]
pub struct MapSite {
    pub rank: u32,
    pub position: Point<f64>,
}

/// The text the legend uses for an access class.
pub fn access_legend(a: AccessClass) -> &'static str {
    match a {
        AccessClass::Public247 => "Public access, 24/7",
        AccessClass::PublicLimited => "Public access, limited hours",
        AccessClass::Restricted => "Restricted (premises only)",
        AccessClass::Unknown => "Access not known",
    }
}

fn access_colour(a: AccessClass) -> &'static str {
    match a {
        AccessClass::Public247 => "#009E73",
        AccessClass::PublicLimited => "#0072B2",
        AccessClass::Restricted => "#CC79A7",
        AccessClass::Unknown => "#8C8C8C",
    }
}

#[derive(Clone, Copy)]
struct Frame {
    x: f64,
    y: f64,
    w: f64,
    h: f64,
}

/// Projected metres → page millimetres.
#[derive(Clone, Copy)]
struct Transform {
    scale: f64,
    centre: Coord<f64>,
    visible: Rect<f64>,
}

impl Transform {
    fn new(extent: Rect<f64>) -> Self {
        let min_span_m = 500.0;
        let w = extent.width().max(min_span_m) * 1.04;
        let h = extent.height().max(min_span_m) * 1.04;
        let scale = (FRAME.w / w).min(FRAME.h / h);
        let centre = extent.center();
        let half = Coord {
            x: FRAME.w / 2.0 / scale,
            y: FRAME.h / 2.0 / scale,
        };
        Transform {
            scale,
            centre,
            visible: Rect::new(centre - half, centre + half),
        }
    }

    fn page(&self, c: Coord<f64>) -> (f64, f64) {
        (
            FRAME.x + FRAME.w / 2.0 + (c.x - self.centre.x) * self.scale,
            FRAME.y + FRAME.h / 2.0 - (c.y - self.centre.y) * self.scale,
        )
    }

    fn world(&self, x: f64, y: f64) -> Coord<f64> {
        Coord {
            x: self.centre.x + (x - FRAME.x - FRAME.w / 2.0) / self.scale,
            y: self.centre.y - (y - FRAME.y - FRAME.h / 2.0) / self.scale,
        }
    }

    fn sees(&self, r: &Rect<f64>) -> bool {
        let v = &self.visible;
        r.min().x <= v.max().x
            && r.max().x >= v.min().x
            && r.min().y <= v.max().y
            && r.max().y >= v.min().y
    }
}

/// Where a position (projected metres) lands on the page, in millimetres from the top left,
/// or `None` when it falls outside the map frame.
pub fn page_position_mm(spec: &MapSpec, position: Point<f64>) -> Option<(f64, f64)> {
    let t = Transform::new(spec.extent);
    t.sees(&Rect::new(position.0, position.0))
        .then(|| t.page(position.0))
}

/// Renders `spec` as a standalone SVG document.
pub fn render_svg(spec: &MapSpec) -> String {
    let t = Transform::new(spec.extent);
    let mut s = String::with_capacity(64 * 1024);
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{PAGE_W_MM}mm" height="{PAGE_H_MM}mm" viewBox="0 0 {PAGE_W_MM} {PAGE_H_MM}" font-family="{FONT_FAMILY}">"#
    );
    s.push('\n');
    let _ = writeln!(
        s,
        "<title>{}</title>",
        esc(&capped(&spec.title, MAX_LINE_CHARS))
    );
    let _ = writeln!(
        s,
        r#"<defs><clipPath id="frame"><rect x="{}" y="{}" width="{}" height="{}"/></clipPath>{}</defs>"#,
        n(FRAME.x),
        n(FRAME.y),
        n(FRAME.w),
        n(FRAME.h),
        if spec.choropleth.is_some() {
            HATCH_PATTERN
        } else {
            ""
        }
    );
    let _ = writeln!(
        s,
        r#"<rect width="{PAGE_W_MM}" height="{PAGE_H_MM}" fill="white"/>"#
    );

    // Map body, clipped to the frame.
    let background = if spec.areas.is_empty() {
        "white"
    } else {
        "#ECECEC"
    };
    let _ = writeln!(
        s,
        r#"<rect x="{}" y="{}" width="{}" height="{}" fill="{background}"/>"#,
        n(FRAME.x),
        n(FRAME.y),
        n(FRAME.w),
        n(FRAME.h)
    );
    s.push_str("<g clip-path=\"url(#frame)\">\n");
    draw_layer(
        &mut s,
        "areas-fill",
        &t,
        spec.areas.iter().map(|a| &a.shape),
        r##"fill="#FFFFFF" stroke="none""##,
    );
    draw_shading(&mut s, &t, &spec.areas);
    if let Some(b) = &spec.base {
        draw_base(&mut s, &t, b);
    }
    let mut coverage: Vec<&CoverageLayer> = spec.coverage.iter().collect();
    coverage.sort_by(|a, b| b.radius_m.total_cmp(&a.radius_m));
    for c in &coverage {
        draw_layer(
            &mut s,
            &format!("coverage-{}m", n(c.radius_m)),
            &t,
            std::iter::once(&c.shape),
            &format!(
                r#"fill="{COVERAGE}" fill-opacity="0.32" stroke="{COVERAGE}" stroke-width="0.15""#
            ),
        );
    }
    if let Some(g) = &spec.gaps {
        draw_layer(
            &mut s,
            "gaps",
            &t,
            std::iter::once(&g.shape),
            &format!(r#"fill="{GAP}" fill-opacity="0.35" stroke="{GAP}" stroke-width="0.2""#),
        );
    }
    draw_layer(
        &mut s,
        "areas",
        &t,
        spec.areas.iter().filter(|a| !a.highlight).map(|a| &a.shape),
        r##"fill="none" stroke="#4d4d4d" stroke-width="0.3" stroke-linejoin="round""##,
    );
    draw_layer(
        &mut s,
        "areas-highlight",
        &t,
        spec.areas.iter().filter(|a| a.highlight).map(|a| &a.shape),
        &format!(r#"fill="none" stroke="{INK}" stroke-width="0.8" stroke-linejoin="round""#),
    );
    let mut obstacles: Vec<[f64; 4]> = Vec::new();
    for p in spec
        .aeds
        .iter()
        .map(|a| a.position)
        .chain(spec.sites.iter().map(|s| s.position))
    {
        let (x, y) = t.page(p.0);
        obstacles.push([x - 3.0, y - 3.0, x + 3.0, y + 3.0]);
    }
    draw_area_labels(&mut s, &t, &spec.areas, &obstacles);
    draw_aeds(&mut s, &t, &spec.aeds);
    draw_sites(&mut s, &t, &spec.sites);
    s.push_str("</g>\n");
    let _ = writeln!(
        s,
        r#"<rect x="{}" y="{}" width="{}" height="{}" fill="none" stroke="{INK}" stroke-width="0.4"/>"#,
        n(FRAME.x),
        n(FRAME.y),
        n(FRAME.w),
        n(FRAME.h)
    );
    draw_north_arrow(&mut s);
    draw_scale_bar(&mut s, &t);

    // Title block.
    let width = PAGE_W_MM - 2.0 * MARGIN;
    let (title, size) = fitted(&spec.title, 6.2, 4.0, width);
    text(&mut s, MARGIN, 15.5, size, "bold", INK, "start", &title);
    if let Some(sub) = &spec.subtitle {
        let (sub, size) = fitted(sub, 3.6, 2.6, width);
        text(&mut s, MARGIN, 22.0, size, "normal", GREY, "start", &sub);
    }
    let y = draw_legend(&mut s, spec);
    let mut y = y + 4.0;
    for note in &spec.notes {
        for line in wrap(note, 2.5, PANEL_W) {
            if y > FRAME.y + FRAME.h {
                break;
            }
            text(&mut s, PANEL_X, y, 2.5, "normal", GREY, "start", &line);
            y += 3.4;
        }
        y += 1.2;
    }
    draw_footer(&mut s, spec, &t);
    s.push_str("</svg>\n");
    s
}

/// The network as one faint path, and place names in small grey italics.
fn draw_base(s: &mut String, t: &Transform, base: &MapBase) {
    let mut d = String::new();
    for [a, b] in &base.segments {
        if !t.sees(&Rect::new(*a, *b)) {
            continue;
        }
        let ((x0, y0), (x1, y1)) = (t.page(*a), t.page(*b));
        let _ = write!(d, "M{} {}L{} {}", n(x0), n(y0), n(x1), n(y1));
    }
    if !d.is_empty() {
        let _ = writeln!(
            s,
            r##"<path id="network" fill="none" stroke="#9a9a9a" stroke-opacity="0.6" stroke-width="0.12" stroke-linecap="round" d="{d}"/>"##
        );
    }
    for (name, at) in &base.places {
        if t.sees(&Rect::new(*at, *at)) {
            let (x, y) = t.page(*at);
            let _ = writeln!(
                s,
                r##"<text x="{}" y="{}" font-size="2.6" font-style="italic" fill="#6f6f6f" text-anchor="middle">{}</text>"##,
                n(x),
                n(y),
                esc(&capped(name, MAX_LABEL_CHARS))
            );
        }
    }
}

/// Diagonal lines for [`AreaFill::hatched`] areas (and their legend swatch).
const HATCH_PATTERN: &str = r##"<pattern id="hatch" patternUnits="userSpaceOnUse" width="1.8" height="1.8" patternTransform="rotate(45)"><line x1="0" y1="0" x2="0" y2="1.8" stroke="#1a1a1a" stroke-width="0.3" stroke-opacity="0.6"/></pattern>"##;

/// The class colour of every shaded area, then hatching over those that are ranges.
fn draw_shading(s: &mut String, t: &Transform, areas: &[MapArea]) {
    for (i, a) in areas.iter().enumerate() {
        if let Some(f) = &a.fill {
            let style = format!(r#"fill="{}" stroke="none""#, esc(&f.colour));
            draw_layer(
                s,
                &format!("shade-{i}"),
                t,
                std::iter::once(&a.shape),
                &style,
            );
        }
    }
    draw_layer(
        s,
        "shade-hatch",
        t,
        areas
            .iter()
            .filter(|a| a.fill.as_ref().is_some_and(|f| f.hatched))
            .map(|a| &a.shape),
        r#"fill="url(#hatch)" stroke="none""#,
    );
}

fn draw_layer<'a>(
    s: &mut String,
    id: &str,
    t: &Transform,
    shapes: impl Iterator<Item = &'a MultiPolygon<f64>>,
    style: &str,
) {
    let mut d = String::new();
    for mp in shapes {
        for p in &mp.0 {
            if p.bounding_rect().is_some_and(|r| t.sees(&r)) {
                polygon_path(&mut d, t, p);
            }
        }
    }
    if !d.is_empty() {
        let _ = writeln!(
            s,
            r#"<path id="{id}" fill-rule="evenodd" {style} d="{d}"/>"#
        );
    }
}

fn polygon_path(d: &mut String, t: &Transform, p: &Polygon<f64>) {
    ring_path(d, t, p.exterior());
    for h in p.interiors() {
        ring_path(d, t, h);
    }
}

/// One ring, dropping vertices closer than 0.1 mm on the page to the last kept one: the
/// printer cannot show them and they would bloat the file.
fn ring_path(d: &mut String, t: &Transform, ring: &LineString<f64>) {
    let mut pts: Vec<(f64, f64)> = Vec::with_capacity(ring.0.len());
    for c in &ring.0 {
        let p = t.page(*c);
        match pts.last() {
            Some(q) if (p.0 - q.0).hypot(p.1 - q.1) < 0.1 => {}
            _ => pts.push(p),
        }
    }
    if pts.len() < 3 {
        return;
    }
    for (i, (x, y)) in pts.iter().enumerate() {
        d.push(if i == 0 { 'M' } else { 'L' });
        d.push_str(&n(*x));
        d.push(' ');
        d.push_str(&n(*y));
    }
    d.push('Z');
}

fn draw_area_labels(s: &mut String, t: &Transform, areas: &[MapArea], obstacles: &[[f64; 4]]) {
    let size = 2.4;
    // Labels keep clear of the symbols drawn over them.
    let mut placed: Vec<[f64; 4]> = obstacles.to_vec();
    // Biggest areas first, so when labels collide the larger area keeps its name.
    let mut order: Vec<(f64, &MapArea)> = areas
        .iter()
        .filter(|a| a.label.is_some())
        .map(|a| (a.shape.unsigned_area(), a))
        .collect();
    order.sort_by(|a, b| b.0.total_cmp(&a.0).then(b.1.highlight.cmp(&a.1.highlight)));
    let mut out = String::new();
    for (area_m2, a) in order {
        let Some(label) = &a.label else { continue };
        let label = &capped(label, MAX_LABEL_CHARS).into_owned();
        let Some(biggest) = a
            .shape
            .0
            .iter()
            .max_by(|p, q| p.unsigned_area().total_cmp(&q.unsigned_area()))
        else {
            continue;
        };
        let Some(at) = biggest.interior_point() else {
            continue;
        };
        if !t.sees(&Rect::new(at.0, at.0)) {
            continue;
        }
        let (x0, y0) = t.page(at.0);
        let w = text_width(label, size);
        let page_area = area_m2 * t.scale * t.scale;
        if page_area < w * size * 3.0 && !a.highlight {
            continue;
        }
        // Try the interior point, then nudges up and down that stay inside the area.
        let spot = [0.0, -5.0, 5.0, -10.0, 10.0, -15.0, 15.0]
            .into_iter()
            .find_map(|dy| {
                let (x, y) = (x0, y0 + dy);
                let bx = [x - w / 2.0, y - size, x + w / 2.0, y + size * 0.4];
                let inside_frame = bx[0] > FRAME.x
                    && bx[2] < FRAME.x + FRAME.w
                    && bx[1] > FRAME.y
                    && bx[3] < FRAME.y + FRAME.h;
                let free = !placed.iter().any(|p| overlaps(p, &bx));
                let in_area = biggest.contains(&Point::from(t.world(x, y - size * 0.3)));
                (inside_frame && free && in_area).then_some((x, y, bx))
            });
        let Some((x, y, bx)) = spot else { continue };
        placed.push(bx);
        halo_text(
            &mut out,
            x,
            y,
            size,
            if a.highlight { "bold" } else { "normal" },
            "#333333",
            "middle",
            label,
        );
    }
    if !out.is_empty() {
        s.push_str("<g id=\"area-labels\">\n");
        s.push_str(&out);
        s.push_str("</g>\n");
    }
}

fn overlaps(a: &[f64; 4], b: &[f64; 4]) -> bool {
    a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3]
}

/// The SVG for one AED symbol centred on (x, y), in page millimetres.
fn aed_symbol(access: AccessClass, x: f64, y: f64, r: f64) -> String {
    let fill = access_colour(access);
    let style = format!(
        r#"fill="{fill}" stroke="white" stroke-width="{}""#,
        n(r * 0.28)
    );
    match access {
        AccessClass::Public247 => format!(
            r#"<circle cx="{}" cy="{}" r="{}" {style}/>"#,
            n(x),
            n(y),
            n(r)
        ),
        AccessClass::PublicLimited => {
            let h = r * 0.9;
            format!(
                r#"<rect x="{}" y="{}" width="{}" height="{}" {style}/>"#,
                n(x - h),
                n(y - h),
                n(2.0 * h),
                n(2.0 * h)
            )
        }
        AccessClass::Restricted => {
            let k = r * 1.25;
            format!(
                r#"<path d="M{} {}L{} {}L{} {}Z" {style}/>"#,
                n(x),
                n(y - k),
                n(x + k * 0.95),
                n(y + k * 0.7),
                n(x - k * 0.95),
                n(y + k * 0.7)
            )
        }
        AccessClass::Unknown => {
            let k = r * 1.2;
            format!(
                r#"<path d="M{} {}L{} {}L{} {}L{} {}Z" {style}/>"#,
                n(x),
                n(y - k),
                n(x + k),
                n(y),
                n(x),
                n(y + k),
                n(x - k),
                n(y)
            )
        }
    }
}

fn draw_aeds(s: &mut String, t: &Transform, aeds: &[MapAed]) {
    // Restricted and unknown below public ones: the public 24/7 devices matter most.
    let order = [
        AccessClass::Unknown,
        AccessClass::Restricted,
        AccessClass::PublicLimited,
        AccessClass::Public247,
    ];
    let r = if aeds.len() > 400 { 1.0 } else { 1.35 };
    s.push_str("<g id=\"aeds\">\n");
    for class in order {
        for a in aeds.iter().filter(|a| a.access == class) {
            if !t.sees(&Rect::new(a.position.0, a.position.0)) {
                continue;
            }
            let (x, y) = t.page(a.position.0);
            s.push_str(&aed_symbol(class, x, y, r));
            s.push('\n');
        }
    }
    s.push_str("</g>\n");
}

fn star_path(x: f64, y: f64, outer: f64, inner: f64) -> String {
    let mut d = String::new();
    for i in 0..10 {
        let r = if i % 2 == 0 { outer } else { inner };
        let a = std::f64::consts::PI * (i as f64) / 5.0;
        d.push(if i == 0 { 'M' } else { 'L' });
        let _ = write!(d, "{} {}", n(x + r * a.sin()), n(y - r * a.cos()));
    }
    d.push('Z');
    d
}

fn site_symbol(rank: Option<u32>, x: f64, y: f64) -> String {
    let mut s = format!(
        r#"<path d="{}" fill="{SITE}" stroke="{INK}" stroke-width="0.3" stroke-linejoin="round"/>"#,
        star_path(x, y, 3.6, 1.85)
    );
    if let Some(rank) = rank {
        let label = rank.to_string();
        let size = if label.len() > 1 { 1.75 } else { 2.1 };
        let _ = write!(
            s,
            r#"<text x="{}" y="{}" font-size="{}" font-weight="bold" fill="{INK}" text-anchor="middle">{label}</text>"#,
            n(x),
            n(y + size * 0.42),
            n(size)
        );
    }
    s
}

fn draw_sites(s: &mut String, t: &Transform, sites: &[MapSite]) {
    let mut sorted: Vec<&MapSite> = sites.iter().collect();
    // Rank 1 drawn last, so it is on top where stars overlap.
    sorted.sort_by_key(|s| std::cmp::Reverse(s.rank));
    s.push_str("<g id=\"sites\">\n");
    for site in sorted {
        if !t.sees(&Rect::new(site.position.0, site.position.0)) {
            continue;
        }
        let (x, y) = t.page(site.position.0);
        s.push_str(&site_symbol(Some(site.rank), x, y));
        s.push('\n');
    }
    s.push_str("</g>\n");
}

fn draw_north_arrow(s: &mut String) {
    let cx = FRAME.x + FRAME.w - 9.0;
    let top = FRAME.y + 5.0;
    let _ = writeln!(
        s,
        r#"<g id="north-arrow"><rect x="{}" y="{}" width="12" height="18.5" rx="1" fill="white" fill-opacity="0.85" stroke="{GREY}" stroke-width="0.2"/><path d="M{} {}L{} {}L{} {}Z" fill="{INK}"/><path d="M{} {}L{} {}L{} {}Z" fill="white" stroke="{INK}" stroke-width="0.25"/>"#,
        n(cx - 6.0),
        n(top - 2.0),
        n(cx),
        n(top + 4.0),
        n(cx + 2.6),
        n(top + 12.0),
        n(cx),
        n(top + 10.2),
        n(cx),
        n(top + 4.0),
        n(cx),
        n(top + 10.2),
        n(cx - 2.6),
        n(top + 12.0),
    );
    text(s, cx, top + 3.0, 3.2, "bold", INK, "middle", "N");
    text(
        s,
        cx,
        top + 15.0,
        1.7,
        "normal",
        GREY,
        "middle",
        "grid north",
    );
    s.push_str("</g>\n");
}

/// The largest 1, 2 or 5 × 10^k metres not longer than `max_m`.
pub fn nice_length_m(max_m: f64) -> f64 {
    if !(max_m.is_finite() && max_m > 0.0) {
        return 1.0;
    }
    let p = 10f64.powf(max_m.log10().floor());
    [5.0, 2.0, 1.0]
        .into_iter()
        .map(|k| k * p)
        .find(|l| *l <= max_m * (1.0 + 1e-9))
        .unwrap_or(p)
}

fn length_label(m: f64) -> String {
    if m >= 1000.0 {
        format!("{} km", n(m / 1000.0))
    } else {
        format!("{} m", n(m))
    }
}

fn draw_scale_bar(s: &mut String, t: &Transform) {
    let len_m = nice_length_m(FRAME.w * 0.25 / t.scale);
    let len_mm = len_m * t.scale;
    let x0 = FRAME.x + 5.0;
    let y0 = FRAME.y + FRAME.h - 7.0;
    let _ = writeln!(
        s,
        r#"<g id="scale-bar"><rect x="{}" y="{}" width="{}" height="10" rx="1" fill="white" fill-opacity="0.85" stroke="{GREY}" stroke-width="0.2"/>"#,
        n(x0 - 3.0),
        n(y0 - 5.5),
        n(len_mm + 16.0)
    );
    let seg = len_mm / 4.0;
    for i in 0..4 {
        let fill = if i % 2 == 0 { INK } else { "white" };
        let _ = write!(
            s,
            r#"<rect x="{}" y="{}" width="{}" height="1.4" fill="{fill}" stroke="{INK}" stroke-width="0.2"/>"#,
            n(x0 + seg * i as f64),
            n(y0),
            n(seg)
        );
    }
    text(s, x0, y0 - 1.2, 2.2, "normal", INK, "middle", "0");
    text(
        s,
        x0 + len_mm / 2.0,
        y0 - 1.2,
        2.2,
        "normal",
        INK,
        "middle",
        &length_label(len_m / 2.0)
            .replace(" km", "")
            .replace(" m", ""),
    );
    text(
        s,
        x0 + len_mm,
        y0 - 1.2,
        2.2,
        "normal",
        INK,
        "middle",
        &length_label(len_m),
    );
    let ratio = 1000.0 / t.scale;
    let shown = {
        let p = 10f64.powf(ratio.log10().floor() - 1.0);
        (ratio / p).round() * p
    };
    text(
        s,
        x0,
        y0 + 3.6,
        1.8,
        "normal",
        GREY,
        "start",
        &format!("Scale 1:{} when printed on A4", thousands(shown)),
    );
    s.push_str("</g>\n");
}

fn thousands(x: f64) -> String {
    let digits = format!("{:.0}", x);
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Legend in the right panel; returns the y below it.
fn draw_legend(s: &mut String, spec: &MapSpec) -> f64 {
    let x = PANEL_X;
    let mut y = FRAME.y + 4.0;
    s.push_str("<g id=\"legend\">\n");
    text(s, x, y, 3.6, "bold", INK, "start", "Legend");
    y += 3.0;
    let row = 5.6;
    let label_x = x + 10.0;
    let size = 2.6;
    let heading = |s: &mut String, y: &mut f64, h: &str| {
        *y += 3.6;
        text(s, x, *y, 2.7, "bold", GREY, "start", h);
        *y += 1.6;
    };
    let entry = |s: &mut String, y: &mut f64, swatch: String, label: &str| {
        let _ = writeln!(s, "<g class=\"legend-entry\">{swatch}");
        let lines = wrap(&capped(label, MAX_LABEL_CHARS), size, PANEL_W - 10.0);
        let mut ly = *y + row / 2.0 + size * 0.36 - (lines.len() as f64 - 1.0) * size * 0.6;
        for l in &lines {
            text(s, label_x, ly, size, "normal", INK, "start", l);
            ly += size * 1.2;
        }
        s.push_str("</g>\n");
        *y += row.max(lines.len() as f64 * size * 1.2 + 1.0);
    };
    let sx = x + 4.0;

    let classes: Vec<AccessClass> = AccessClass::ALL
        .iter()
        .copied()
        .filter(|c| spec.aeds.iter().any(|a| a.access == *c))
        .collect();
    if !classes.is_empty() {
        heading(s, &mut y, "Defibrillators (AEDs)");
        for c in classes {
            let count = spec.aeds.iter().filter(|a| a.access == c).count();
            let sym = aed_symbol(c, sx, y + row / 2.0, 1.5);
            entry(s, &mut y, sym, &format!("{} ({count})", access_legend(c)));
        }
    }
    if !spec.sites.is_empty() {
        heading(s, &mut y, "Suggested new sites");
        let sym = site_symbol(Some(1), sx, y + row / 2.0);
        entry(s, &mut y, sym, "Suggested site, numbered by priority");
    }
    if !spec.coverage.is_empty() || spec.gaps.is_some() {
        heading(s, &mut y, "Reach");
        let mut cov: Vec<&CoverageLayer> = spec.coverage.iter().collect();
        cov.sort_by(|a, b| a.radius_m.total_cmp(&b.radius_m));
        for c in &cov {
            // Nested radii overlap on the map, so the swatch stacks as many layers as
            // cover a place within this radius.
            let layers = cov.iter().filter(|o| o.radius_m >= c.radius_m).count();
            let sw: String = (0..layers)
                .map(|_| {
                    format!(
                        r#"<rect x="{}" y="{}" width="7" height="4" fill="{COVERAGE}" fill-opacity="0.32" stroke="{COVERAGE}" stroke-width="0.15"/>"#,
                        n(sx - 3.5),
                        n(y + row / 2.0 - 2.0)
                    )
                })
                .collect();
            let label = c
                .label
                .clone()
                .unwrap_or_else(|| format!("Within {} m of an AED", n(c.radius_m)));
            entry(s, &mut y, sw, &label);
        }
        if let Some(g) = &spec.gaps {
            let sw = format!(
                r#"<rect x="{}" y="{}" width="7" height="4" fill="{GAP}" fill-opacity="0.35" stroke="{GAP}" stroke-width="0.2"/>"#,
                n(sx - 3.5),
                n(y + row / 2.0 - 2.0)
            );
            entry(s, &mut y, sw, &g.label);
        }
    }
    if let Some(c) = &spec.choropleth {
        heading(s, &mut y, &c.title);
        let swatch = |y: f64, fill: &str| {
            format!(
                r##"<rect x="{}" y="{}" width="7" height="4" fill="{}" stroke="#4d4d4d" stroke-width="0.2"/>"##,
                n(sx - 3.5),
                n(y + row / 2.0 - 2.0),
                esc(fill)
            )
        };
        for (colour, label) in &c.classes {
            let sw = swatch(y, colour);
            entry(s, &mut y, sw, label);
        }
        if let Some(h) = &c.hatch_label {
            let sw = swatch(y, "url(#hatch)");
            entry(s, &mut y, sw, h);
        }
    }
    if !spec.areas.is_empty() {
        heading(s, &mut y, "Boundaries");
        let sw = format!(
            r##"<rect x="{}" y="{}" width="7" height="4" fill="white" stroke="#4d4d4d" stroke-width="0.3"/>"##,
            n(sx - 3.5),
            n(y + row / 2.0 - 2.0)
        );
        let label = spec.area_legend.as_deref().unwrap_or("Area boundary");
        entry(s, &mut y, sw, label);
        if spec.areas.iter().any(|a| a.highlight) {
            let sw = format!(
                r#"<rect x="{}" y="{}" width="7" height="4" fill="white" stroke="{INK}" stroke-width="0.8"/>"#,
                n(sx - 3.5),
                n(y + row / 2.0 - 2.0)
            );
            entry(s, &mut y, sw, "Area this map is about");
        }
    }
    s.push_str("</g>\n");
    y
}

fn draw_footer(s: &mut String, spec: &MapSpec, t: &Transform) {
    let size = 2.1;
    let mut y = FRAME.y + FRAME.h + 4.2;
    let crs = if spec.crs_label.is_empty() {
        "projected metres".to_owned()
    } else {
        spec.crs_label.clone()
    };
    let mut lines = vec![format!(
        "Map drawn by aedcover from the study's own data; no background mapping. Grid: {crs}. Map width {}.",
        length_label((FRAME.w / t.scale / 100.0).round() * 100.0)
    )];
    if !spec.attribution.is_empty() {
        lines.push(format!("Sources: {}", spec.attribution.join("; ")));
    }
    s.push_str("<g id=\"attribution\">\n");
    'outer: for l in lines {
        for w in wrap(&l, size, PAGE_W_MM - 2.0 * MARGIN) {
            if y > PAGE_H_MM - 2.5 {
                break 'outer;
            }
            text(s, MARGIN, y, size, "normal", GREY, "start", &w);
            y += size * 1.3;
        }
    }
    s.push_str("</g>\n");
}

#[allow(clippy::too_many_arguments)]
fn text(
    s: &mut String,
    x: f64,
    y: f64,
    size: f64,
    weight: &str,
    fill: &str,
    anchor: &str,
    body: &str,
) {
    let body = &*capped(body, MAX_LINE_CHARS);
    let _ = writeln!(
        s,
        r#"<text x="{}" y="{}" font-size="{}" font-weight="{weight}" fill="{fill}" text-anchor="{anchor}">{}</text>"#,
        n(x),
        n(y),
        n(size),
        esc(body)
    );
}

/// Text with a white outline underneath, readable over any fill.
#[allow(clippy::too_many_arguments)]
fn halo_text(
    s: &mut String,
    x: f64,
    y: f64,
    size: f64,
    weight: &str,
    fill: &str,
    anchor: &str,
    body: &str,
) {
    let body = &*capped(body, MAX_LINE_CHARS);
    let _ = writeln!(
        s,
        r#"<text x="{}" y="{}" font-size="{}" font-weight="{weight}" fill="white" stroke="white" stroke-width="{}" stroke-linejoin="round" text-anchor="{anchor}">{}</text>"#,
        n(x),
        n(y),
        n(size),
        n(size * 0.3),
        esc(body)
    );
    text(s, x, y, size, weight, fill, anchor, body);
}

/// Approximate width of `body` in DejaVu Sans at `size` mm.
/// The longest name drawn as one label (an area, a place, a legend entry), in characters.
pub const MAX_LABEL_CHARS: usize = 80;

/// The longest single line of text drawn (a title, the sources line), in characters.
pub const MAX_LINE_CHARS: usize = 300;

/// `body` cut to `max` characters, the last one an ellipsis, so that a huge name in the
/// data cannot make drawing slow.
fn capped(body: &str, max: usize) -> std::borrow::Cow<'_, str> {
    match body.char_indices().nth(max) {
        None => body.into(),
        Some(_) => {
            let keep: String = body.chars().take(max - 1).collect();
            format!("{keep}…").into()
        }
    }
}

/// One line of text that fits `width_mm`: drawn at `size` when it fits, else at a smaller
/// size down to `min_size`, and cut with an ellipsis only when even that is too wide.
fn fitted(body: &str, size: f64, min_size: f64, width_mm: f64) -> (String, f64) {
    let wide = text_width(body, size);
    if wide <= width_mm {
        return (body.to_string(), size);
    }
    let size = (size * width_mm / wide).max(min_size);
    let max_chars = ((width_mm / (size * 0.6)).floor() as usize).max(8);
    (capped(body, max_chars).into_owned(), size)
}

fn text_width(body: &str, size: f64) -> f64 {
    body.chars().count() as f64 * size * 0.6
}

/// Greedy word wrap to `width_mm`.
fn wrap(body: &str, size: f64, width_mm: f64) -> Vec<String> {
    let body = capped(body, MAX_LINE_CHARS);
    let max_chars = ((width_mm / (size * 0.6)).floor() as usize).max(8);
    let mut lines = Vec::new();
    let mut cur = String::new();
    for word in body.split_whitespace() {
        if !cur.is_empty() && cur.chars().count() + 1 + word.chars().count() > max_chars {
            lines.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(word);
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    lines
}

/// A page number: two decimals at most, no trailing zeros.
fn n(x: f64) -> String {
    let mut s = format!("{:.2}", x);
    while s.ends_with('0') {
        s.pop();
    }
    if s.ends_with('.') {
        s.pop();
    }
    if s == "-0" { "0".to_owned() } else { s }
}

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

/// A hand-made map of a small town in British National Grid metres, for tests and demos.
pub fn demo_spec() -> MapSpec {
    use geo::Buffer as _;
    let sq = |e: f64, n: f64, w: f64, h: f64| {
        Polygon::new(
            LineString::from(vec![(e, n), (e + w, n), (e + w, n + h), (e, n + h), (e, n)]),
            vec![],
        )
    };
    let (e0, n0) = (452_000.0, 302_000.0);
    let areas = vec![
        MapArea {
            label: Some("Anstey & Thurcaston".into()),
            shape: MultiPolygon::new(vec![sq(e0, n0, 4_000.0, 5_000.0)]),
            highlight: false,
            fill: None,
        },
        MapArea {
            label: Some("Glenfield".into()),
            shape: MultiPolygon::new(vec![sq(e0 + 4_000.0, n0, 3_500.0, 2_800.0)]),
            highlight: true,
            fill: None,
        },
        MapArea {
            label: Some("Groby <north>".into()),
            shape: MultiPolygon::new(vec![sq(e0 + 4_000.0, n0 + 2_800.0, 3_500.0, 2_200.0)]),
            highlight: false,
            fill: None,
        },
    ];
    let aeds = [
        (e0 + 1_000.0, n0 + 1_200.0, AccessClass::Public247),
        (e0 + 2_600.0, n0 + 3_900.0, AccessClass::Public247),
        (e0 + 5_200.0, n0 + 1_000.0, AccessClass::PublicLimited),
        (e0 + 6_100.0, n0 + 3_600.0, AccessClass::Restricted),
        (e0 + 3_300.0, n0 + 2_000.0, AccessClass::Unknown),
        (e0 + 6_800.0, n0 + 1_900.0, AccessClass::Public247),
    ];
    let to_mp = |g: MultiPolygon<f64>| g;
    let coverage_shape = |r: f64| {
        let pts: Vec<Point<f64>> = aeds
            .iter()
            .filter(|a| a.2 != AccessClass::Restricted)
            .map(|a| Point::new(a.0, a.1))
            .collect();
        to_mp(geo_types::MultiPoint::new(pts).buffer(r))
    };
    let gap = MultiPolygon::new(vec![
        sq(e0 + 1_500.0, n0 + 2_300.0, 900.0, 700.0),
        sq(e0 + 4_500.0, n0 + 4_100.0, 1_600.0, 700.0),
    ]);
    MapSpec {
        title: "Defibrillator coverage: Charnwood West (demo)".into(),
        subtitle: Some(
            "Hand-made test geometry, not real data · 6 AEDs · 2 suggested sites".into(),
        ),
        extent: Rect::new((e0, n0), (e0 + 7_500.0, n0 + 5_000.0)),
        crs_label: "British National Grid (EPSG:27700)".into(),
        areas,
        area_legend: Some("Parish boundary".into()),
        coverage: vec![
            CoverageLayer {
                radius_m: 500.0,
                label: None,
                shape: coverage_shape(500.0),
            },
            CoverageLayer {
                radius_m: 1000.0,
                label: Some("Within 1 km of an AED".into()),
                shape: coverage_shape(1000.0),
            },
        ],
        gaps: Some(GapLayer {
            label: "Gap: arrests more than 500 m from a usable AED".into(),
            shape: gap,
        }),
        aeds: aeds
            .iter()
            .map(|a| MapAed {
                position: Point::new(a.0, a.1),
                access: a.2,
            })
            .collect(),
        sites: vec![
            MapSite {
                rank: 1,
                position: Point::new(e0 + 1_950.0, n0 + 2_650.0),
            },
            MapSite {
                rank: 2,
                position: Point::new(e0 + 5_300.0, n0 + 4_450.0),
            },
        ],
        attribution: vec![
            "Boundaries: invented for this demo".into(),
            "Contains OS data © Crown copyright and database right 2024 (style example)".into(),
        ],
        notes: vec!["2 AEDs have no position and are not shown.".into()],
        base: None,
        choropleth: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_title_is_drawn_smaller_to_fit_the_page_and_cut_only_past_the_smallest_size() {
        let width = PAGE_W_MM - 2.0 * MARGIN;
        let short = "Defibrillator coverage: Rutland";
        assert_eq!(fitted(short, 6.2, 4.0, width), (short.to_string(), 6.2));
        let long =
            "Defibrillator coverage by walking distance: Rutland (E06000017), every postcode unit";
        let (t, size) = fitted(long, 6.2, 4.0, width);
        assert_eq!(t, long);
        assert!((4.0..6.2).contains(&size) && text_width(&t, size) <= width + 1e-9);
        let huge = "x".repeat(500);
        let (t, size) = fitted(&huge, 6.2, 4.0, width);
        assert_eq!(size, 4.0);
        assert!(t.ends_with('…') && text_width(&t, size) <= width);
    }

    #[test]
    fn a_huge_label_is_cut_with_an_ellipsis() {
        let long = "x".repeat(100_000);
        let c = capped(&long, MAX_LABEL_CHARS);
        assert_eq!(c.chars().count(), MAX_LABEL_CHARS);
        assert!(c.ends_with('…'));
        assert_eq!(capped("LE5", MAX_LABEL_CHARS), "LE5");
        let lines = wrap(&long, 2.6, 60.0);
        assert!(lines.iter().map(|l| l.chars().count()).sum::<usize>() <= MAX_LINE_CHARS);
    }

    #[test]
    fn nice_lengths() {
        assert_eq!(nice_length_m(1234.0), 1000.0);
        assert_eq!(nice_length_m(2500.0), 2000.0);
        assert_eq!(nice_length_m(7000.0), 5000.0);
        assert_eq!(nice_length_m(500.0), 500.0);
        assert_eq!(nice_length_m(0.0), 1.0);
        assert_eq!(length_label(2000.0), "2 km");
        assert_eq!(length_label(500.0), "500 m");
    }

    #[test]
    fn transform_maps_extent_into_frame_with_north_up() {
        let t = Transform::new(Rect::new((450_000.0, 300_000.0), (460_000.0, 305_000.0)));
        let (x0, y0) = t.page(Coord {
            x: 450_000.0,
            y: 300_000.0,
        });
        let (x1, y1) = t.page(Coord {
            x: 460_000.0,
            y: 305_000.0,
        });
        assert!(x1 > x0 && y1 < y0, "east is right, north is up");
        for (x, y) in [(x0, y0), (x1, y1)] {
            assert!((FRAME.x..=FRAME.x + FRAME.w).contains(&x));
            assert!((FRAME.y..=FRAME.y + FRAME.h).contains(&y));
        }
        // Same scale on both axes: a 5 km square stays square.
        assert!(((x1 - x0) / 2.0 - (y0 - y1)).abs() < 1e-9);
    }

    #[test]
    fn svg_has_legend_entries_and_escapes_text() {
        let svg = render_svg(&demo_spec());
        for want in [
            "Public access, 24/7 (3)",
            "Public access, limited hours (1)",
            "Restricted (premises only) (1)",
            "Access not known (1)",
            "Within 500 m of an AED",
            "Within 1 km of an AED",
            "Suggested site, numbered by priority",
            "Parish boundary",
            "Anstey &amp; Thurcaston",
            "Groby &lt;north&gt;",
            "id=\"scale-bar\"",
            "id=\"north-arrow\"",
        ] {
            assert!(svg.contains(want), "missing {want}");
        }
        assert_eq!(svg.matches("class=\"legend-entry\"").count(), 10);
    }

    #[test]
    fn svg_is_deterministic() {
        assert_eq!(render_svg(&demo_spec()), render_svg(&demo_spec()));
    }

    #[test]
    fn wrap_splits_long_text() {
        let lines = wrap(
            "one two three four five six seven eight nine ten",
            2.0,
            30.0,
        );
        assert!(lines.len() > 1);
        assert!(lines.iter().all(|l| l.chars().count() <= 25));
        assert_eq!(
            lines.join(" "),
            "one two three four five six seven eight nine ten"
        );
    }
}
