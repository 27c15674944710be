//! The district map shaded by the best case from counts: each report district filled by the
//! best-case % of its residents within the main radius. A proven figure is a plain fill; a
//! range (the best placement found below, a proven ceiling above) is filled by its ceiling and
//! hatched, and labelled `floor–ceiling %`, so no reader takes a ceiling for a value.
//!
//! District shapes: the study's first area layer when its ids are the districts (the open
//! study's postcode-district polygons); else, as no district boundary is embedded in the
//! built-in study, the 1 km squares holding the district's residents (each square given to the
//! district with most resident postcode units in it), dissolved per district.

use std::collections::BTreeMap;

use geo::{BooleanOps, BoundingRect};
use geo_types::{LineString, MultiPolygon, Polygon, Rect};

use super::StudyRun;
use super::best_case::{BestCaseEntry, Kind};
use super::maps::MapPlan;
use crate::export::csv_out::{metres, num};
use crate::export::{AreaFill, Choropleth, MapArea};

/// Side of the squares that stand in for district boundaries, metres.
pub const CELL_M: f64 = 1000.0;

/// Class lower limits (%) and colours (ColorBrewer YlOrRd, darkest = lowest best case).
const CLASSES: [(f64, &str); 5] = [
    (99.0, "#ffffb2"),
    (95.0, "#fecc5c"),
    (90.0, "#fd8d3c"),
    (80.0, "#f03b20"),
    (0.0, "#bd0026"),
];

fn class_colour(pct: f64) -> &'static str {
    CLASSES
        .iter()
        .find(|(lo, _)| pct >= *lo)
        .map_or(CLASSES[CLASSES.len() - 1].1, |c| c.1)
}

fn class_labels() -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut upper: Option<f64> = None;
    for (lo, colour) in CLASSES {
        let label = match upper {
            None => format!("{lo:.0}–100 %"),
            Some(_) if lo == 0.0 => format!("below {:.0} %", upper.unwrap_or(0.0)),
            Some(u) => format!("{lo:.0}–{u:.0} %"),
        };
        out.push((colour.to_string(), label));
        upper = Some(lo);
    }
    out
}

impl StudyRun {
    /// `map_best_case`, when the run has a best case and shapes for its districts.
    pub fn best_case_map(&self) -> Option<MapPlan> {
        let entries = self.best_case.as_ref()?;
        let shapes = self.district_shapes(entries);
        let areas: Vec<MapArea> = entries
            .iter()
            .filter_map(|e| Some(shaded(e, shapes.get(&e.id)?.clone())))
            .collect();
        let extent = areas
            .iter()
            .filter_map(|a| a.shape.bounding_rect())
            .reduce(|a, b| {
                Rect::new(
                    (a.min().x.min(b.min().x), a.min().y.min(b.min().y)),
                    (a.max().x.max(b.max().x), a.max().y.max(b.max().y)),
                )
            })?;
        let main = metres(self.main_radius_m());
        let proven = entries
            .iter()
            .filter(|e| e.residents.as_ref().is_some_and(|b| b.kind == Kind::Proven))
            .count();
        let mut spec = self.map_base(
            format!("Best case from counts: residents within {main} m"),
            format!(
                "If each district's counted AEDs stood where they cover most residents · {proven} of {} figures proven",
                entries.len()
            ),
            extent,
        );
        spec.coverage.clear();
        spec.gaps = None;
        spec.areas = areas;
        spec.area_legend = Some("Report district (labelled with its best case)".into());
        spec.choropleth = Some(Choropleth {
            title: format!("Best case: % of residents within {main} m"),
            classes: class_labels(),
            hatch_label: Some(
                "Hatched: not proven, a range (labelled floor–ceiling, shaded by the ceiling)"
                    .into(),
            ),
        });
        spec.notes = vec![
            "An upper bound on real coverage: the counted AEDs placed as well as possible over the district's postcode units, the located ones fixed.".into(),
            district_shape_note(self),
        ];
        Some(MapPlan {
            stem: "map_best_case".into(),
            spec,
        })
    }

    /// Each best-case district's shape, in metres.
    fn district_shapes(&self, entries: &[BestCaseEntry]) -> BTreeMap<String, MultiPolygon<f64>> {
        let from_layer: BTreeMap<String, MultiPolygon<f64>> = self
            .areas
            .rows
            .iter()
            .filter(|r| Some(&r.layer) == self.areas.first_layer.as_ref())
            .filter(|r| entries.iter().any(|e| e.id == r.stats.id))
            .map(|r| (r.stats.id.clone(), r.shape.clone()))
            .collect();
        if !from_layer.is_empty() {
            return from_layer;
        }
        resident_cells(self)
    }
}

fn district_shape_note(run: &StudyRun) -> String {
    if run.areas.first_layer.is_some()
        && run
            .areas
            .rows
            .iter()
            .any(|r| run.best_case.iter().flatten().any(|e| e.id == r.stats.id))
    {
        "Districts drawn with the study's area polygons.".into()
    } else {
        format!(
            "No district boundary is embedded: each district is drawn as the {} km squares where its residents live.",
            num(CELL_M / 1000.0, 0)
        )
    }
}

/// One district's map area: fill by the quoted figure, hatched when it is a range.
fn shaded(e: &BestCaseEntry, shape: MultiPolygon<f64>) -> MapArea {
    let (label, fill) = match &e.residents {
        Some(b) if b.kind == Kind::Proven => (
            format!("{} {} %", e.id, num(b.quoted_pct(), 0)),
            Some(AreaFill {
                colour: class_colour(b.quoted_pct()).into(),
                hatched: false,
            }),
        ),
        Some(b) => (
            format!(
                "{} {}–{} %",
                e.id,
                num(b.floor_pct.floor(), 0),
                num(b.quoted_pct().ceil(), 0)
            ),
            Some(AreaFill {
                colour: class_colour(b.quoted_pct()).into(),
                hatched: true,
            }),
        ),
        None => (format!("{} no residents", e.id), None),
    };
    MapArea {
        label: Some(label),
        shape,
        highlight: false,
        fill,
    }
}

/// The 1 km squares holding resident postcode units, each given to the district with most of
/// them (ties: the first district in order), dissolved per district.
fn resident_cells(run: &StudyRun) -> BTreeMap<String, MultiPolygon<f64>> {
    let Some(units) = &run.demand.units else {
        return BTreeMap::new();
    };
    let mut counts: BTreeMap<(i64, i64), BTreeMap<String, usize>> = BTreeMap::new();
    for i in 0..units.len() {
        if units.residents(i) <= 0.0 {
            continue;
        }
        let Some(d) = super::districts::district_of(units.postcode(i)) else {
            continue;
        };
        let p = units.demand_point(i, 0.0);
        if !(p.x_m.is_finite() && p.y_m.is_finite()) {
            continue;
        }
        let cell = (
            (p.x_m / CELL_M).floor() as i64,
            (p.y_m / CELL_M).floor() as i64,
        );
        *counts.entry(cell).or_default().entry(d).or_default() += 1;
    }
    let mut cells: BTreeMap<String, Vec<(i64, i64)>> = BTreeMap::new();
    for (cell, by) in counts {
        let best = by
            .iter()
            .fold(None, |b: Option<(&String, usize)>, (d, &n)| match b {
                Some((_, m)) if m >= n => b,
                _ => Some((d, n)),
            });
        if let Some((d, _)) = best {
            cells.entry(d.clone()).or_default().push(cell);
        }
    }
    cells.into_iter().map(|(d, c)| (d, dissolve(&c))).collect()
}

/// Squares (sorted by row, then column) as one polygon set: runs along each row first, then
/// a union of the runs.
fn dissolve(cells: &[(i64, i64)]) -> MultiPolygon<f64> {
    let mut rows: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for &(x, y) in cells {
        rows.entry(y).or_default().push(x);
    }
    let mut runs: Vec<Polygon<f64>> = Vec::new();
    for (y, mut xs) in rows {
        xs.sort_unstable();
        let mut start = xs[0];
        let mut end = xs[0];
        for &x in &xs[1..] {
            if x == end + 1 {
                end = x;
            } else {
                runs.push(rect(start, end, y));
                start = x;
                end = x;
            }
        }
        runs.push(rect(start, end, y));
    }
    runs.iter().fold(MultiPolygon::new(Vec::new()), |acc, r| {
        acc.union(&MultiPolygon::new(vec![r.clone()]))
    })
}

fn rect(x0: i64, x1: i64, y: i64) -> Polygon<f64> {
    let (a, b) = (x0 as f64 * CELL_M, (x1 + 1) as f64 * CELL_M);
    let (c, d) = (y as f64 * CELL_M, (y + 1) as f64 * CELL_M);
    Polygon::new(
        LineString::from(vec![(a, c), (b, c), (b, d), (a, d), (a, c)]),
        vec![],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::Area;

    #[test]
    fn squares_dissolve_into_one_shape_of_their_area() {
        let cells = [(0, 0), (1, 0), (2, 0), (0, 1), (2, 1), (5, 5)];
        let mp = dissolve(&cells);
        assert!((mp.unsigned_area() - 6.0 * CELL_M * CELL_M).abs() < 1e-3);
        // The L-shaped block (with a notch) and the lone square.
        assert_eq!(mp.0.len(), 2);
    }

    #[test]
    fn classes_cover_every_percentage() {
        assert_eq!(class_colour(100.0), "#ffffb2");
        assert_eq!(class_colour(99.0), "#ffffb2");
        assert_eq!(class_colour(94.9), "#fd8d3c");
        assert_eq!(class_colour(10.0), "#bd0026");
        let labels: Vec<String> = class_labels().into_iter().map(|c| c.1).collect();
        assert_eq!(
            labels,
            ["99–100 %", "95–99 %", "90–95 %", "80–90 %", "below 80 %"]
        );
    }
}
