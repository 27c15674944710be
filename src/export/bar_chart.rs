//! A bar chart as SVG (one bar per group, a value in %), for the report; rendered to PNG by
//! the same resvg path as the maps ([`super::map_png::svg_to_png`]).

use std::fmt::Write as _;

use super::map_svg::FONT_FAMILY;

/// A chart of percentages.
#[derive(Debug, Clone, PartialEq)]
pub struct BarChart {
    pub title: String,
    pub subtitle: String,
    /// Label under the axis of categories.
    pub x_label: String,
    /// (category, value in %; `None` drawn as "n/a").
    pub bars: Vec<(String, Option<f64>)>,
    /// Lines under the chart (sources, caveats).
    pub notes: Vec<String>,
}

const W: f64 = 180.0;
const H: f64 = 110.0;
const LEFT: f64 = 18.0;
const RIGHT: f64 = 6.0;
const TOP: f64 = 22.0;
const PLOT_H: f64 = 58.0;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The smallest of 1, 2, 5 × 10ⁿ steps giving at most 5 ticks up to `max`; the axis top.
fn axis_top(max: f64) -> (f64, f64) {
    let max = max.max(1.0);
    let mut step = 10f64.powf((max / 5.0).log10().floor());
    for m in [1.0, 2.0, 5.0, 10.0] {
        if max / (step * m) <= 5.0 {
            step *= m;
            break;
        }
    }
    (((max / step).ceil() * step).min(100.0).max(step), step)
}

/// The chart as an SVG document (A4-width, mm units, fixed number formatting).
pub fn render_bar_svg(chart: &BarChart) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{W}mm" height="{H}mm" viewBox="0 0 {W} {H}" font-family="{FONT_FAMILY}">"#
    );
    let _ = write!(s, r##"<rect width="{W}" height="{H}" fill="#ffffff"/>"##);
    let _ = write!(
        s,
        r#"<text x="{LEFT}" y="8" font-size="4.5" font-weight="bold">{}</text>"#,
        esc(&chart.title)
    );
    let _ = write!(
        s,
        r#"<text x="{LEFT}" y="14" font-size="3.2">{}</text>"#,
        esc(&chart.subtitle)
    );
    let max = chart.bars.iter().filter_map(|b| b.1).fold(0.0, f64::max);
    let (top, step) = axis_top(max * 1.1);
    let base = TOP + PLOT_H;
    let y = |v: f64| base - PLOT_H * v / top;
    let mut t = 0.0;
    while t <= top + 1e-9 {
        let yy = y(t);
        let _ = write!(
            s,
            r##"<line x1="{LEFT}" y1="{yy:.2}" x2="{:.2}" y2="{yy:.2}" stroke="#cccccc" stroke-width="0.2"/>"##,
            W - RIGHT
        );
        let _ = write!(
            s,
            r#"<text x="{:.2}" y="{:.2}" font-size="2.8" text-anchor="end">{t:.0}%</text>"#,
            LEFT - 1.5,
            yy + 1.0
        );
        t += step;
    }
    let n = chart.bars.len().max(1) as f64;
    let slot = (W - LEFT - RIGHT) / n;
    for (i, (label, v)) in chart.bars.iter().enumerate() {
        let x = LEFT + slot * i as f64;
        let cx = x + slot / 2.0;
        match v {
            Some(v) => {
                let yy = y(*v);
                let _ = write!(
                    s,
                    r##"<rect x="{:.2}" y="{yy:.2}" width="{:.2}" height="{:.2}" fill="#c0392b"/>"##,
                    x + slot * 0.15,
                    slot * 0.7,
                    base - yy
                );
                let _ = write!(
                    s,
                    r#"<text x="{cx:.2}" y="{:.2}" font-size="2.8" text-anchor="middle">{v:.1}%</text>"#,
                    yy - 1.2
                );
            }
            None => {
                let _ = write!(
                    s,
                    r#"<text x="{cx:.2}" y="{:.2}" font-size="2.8" text-anchor="middle">n/a</text>"#,
                    base - 1.2
                );
            }
        }
        let _ = write!(
            s,
            r#"<text x="{cx:.2}" y="{:.2}" font-size="3.2" text-anchor="middle">{}</text>"#,
            base + 4.5,
            esc(label)
        );
    }
    let _ = write!(
        s,
        r##"<line x1="{LEFT}" y1="{base}" x2="{:.2}" y2="{base}" stroke="#000000" stroke-width="0.3"/>"##,
        W - RIGHT
    );
    let _ = write!(
        s,
        r#"<text x="{:.2}" y="{:.2}" font-size="3.2" text-anchor="middle">{}</text>"#,
        LEFT + (W - LEFT - RIGHT) / 2.0,
        base + 10.0,
        esc(&chart.x_label)
    );
    for (i, note) in chart.notes.iter().enumerate() {
        let _ = write!(
            s,
            r##"<text x="{LEFT}" y="{:.2}" font-size="2.5" fill="#444444">{}</text>"##,
            base + 16.0 + 3.5 * i as f64,
            esc(note)
        );
    }
    s.push_str("</svg>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_tops_are_round() {
        assert_eq!(axis_top(3.3), (4.0, 1.0));
        assert_eq!(axis_top(47.0), (50.0, 10.0));
        assert_eq!(axis_top(120.0).0, 100.0);
    }

    #[test]
    fn chart_renders_bars_and_unknowns() {
        let c = BarChart {
            title: "T & t".into(),
            subtitle: "s".into(),
            x_label: "x".into(),
            bars: vec![("1".into(), Some(12.5)), ("2".into(), None)],
            notes: vec!["n".into()],
        };
        let svg = render_bar_svg(&c);
        assert!(svg.contains("T &amp; t") && svg.contains("12.5%") && svg.contains("n/a"));
        assert!(super::super::map_png::svg_to_png(&svg, 96.0).is_ok());
    }
}
