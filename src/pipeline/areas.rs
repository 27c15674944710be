//! Stage 5: statistics per area, the study area, gaps at the main radius, and the coverage
//! polygons (metres in the run's CRS; areas in km²).

use geo::Area;
use geo_types::MultiPolygon;

use super::PipelineError;
use super::assess::Assessment;
use super::inputs::DemandStage;
use crate::coverage::circles::{CircleFit, circles_union};
use crate::coverage::stats::AreaStats;
use crate::coverage::{AreaInput, Gap, area_stats, gaps, gaps_outside};
use crate::export::Progress;
use crate::geography::{AreaLayer, AreaOptions, MetricProjection};
use crate::study::{AreaLayerSpec, Study, StudyArea};

/// One area with its layer name and statistics.
pub struct AreaRow {
    pub layer: String,
    pub stats: AreaStats,
    pub shape: MultiPolygon<f64>,
}

/// What this stage found.
pub struct AreasStage {
    pub rows: Vec<AreaRow>,
    /// The layer maps and worst areas use (the study's first).
    pub first_layer: Option<String>,
    /// Where gaps were looked for; `None` when the study has none.
    pub study_area: Option<MultiPolygon<f64>>,
    /// `None` when not computed (skipped, or no study area).
    pub gaps: Option<Vec<Gap>>,
    /// Per radius: the union of circles round the counted AEDs, clipped to the study area
    /// (analysis runs only).
    pub coverage: Vec<(f64, MultiPolygon<f64>)>,
}

impl AreasStage {
    /// The rows of the first layer, ranked by uncovered demand at radius `k`, at most `n`.
    pub fn worst(&self, k: usize, n: usize) -> Vec<&AreaRow> {
        let mut v: Vec<&AreaRow> = self
            .rows
            .iter()
            .filter(|r| Some(&r.layer) == self.first_layer.as_ref())
            .collect();
        v.sort_by(|a, b| {
            b.stats.radii[k]
                .demand_uncovered
                .total_cmp(&a.stats.radii[k].demand_uncovered)
                .then(a.stats.id.cmp(&b.stats.id))
        });
        v.truncate(n);
        v
    }
}

/// Runs the stage.
pub fn areas(
    study: &Study,
    projection: &MetricProjection,
    demand: &DemandStage,
    a: &Assessment,
    progress: &Progress,
    notes: &mut Vec<String>,
) -> Result<AreasStage, PipelineError> {
    let mut rows = Vec::new();
    for spec in &study.areas {
        rows.extend(layer_rows(spec, projection, demand, a, progress, notes)?);
    }
    let first_layer = study.areas.first().map(|s| s.name.clone());
    let study_area = study_area(
        study,
        &rows,
        first_layer.as_deref(),
        demand,
        progress,
        notes,
    );
    let main_k = study.analysis.main_index();
    let gaps = match (&study_area, study.analysis.skip.gaps) {
        (Some(area), false) => Some(progress.step("gaps", || {
            let g = match &a.walk {
                Some(w) => {
                    let within = geo::BooleanOps::intersection(&w.service_areas[main_k].1, area);
                    gaps_outside(area, &within, &demand.points, &a.result, main_k)
                }
                None => gaps(area, &a.index, &demand.points, &a.result, main_k),
            };
            without_slivers(g, notes)
        })),
        (None, false) => {
            notes.push("no area polygons: no study area, so gaps were not computed".into());
            None
        }
        _ => None,
    };
    let coverage = if super::is_analysis(study) {
        coverage_shapes(a, study_area.as_ref(), progress)
    } else {
        Vec::new()
    };
    Ok(AreasStage {
        rows,
        first_layer,
        study_area,
        gaps,
        coverage,
    })
}

/// Drops the gaps the layer cannot draw (an outline under 1 m²: a sliver of polygon overlay),
/// naming them in a note, and renumbers ranks and ids, so that the report, summary.json,
/// gaps.geojson and the service's `/collections/gaps` hold the same gaps.
fn without_slivers(gaps: Vec<Gap>, notes: &mut Vec<String>) -> Vec<Gap> {
    let (kept, dropped): (Vec<Gap>, Vec<Gap>) = gaps
        .into_iter()
        .partition(|g| super::layers::polygon_without_slivers(&g.polygon).is_some());
    let named: Vec<String> = dropped
        .iter()
        .filter(|g| g.demand_points > 0)
        .map(|g| {
            format!(
                "{} ({:.3} m², demand {}, {} points)",
                g.id,
                g.area_km2 * 1e6,
                g.demand,
                g.demand_points
            )
        })
        .collect();
    if !named.is_empty() {
        notes.push(format!(
            "{} gaps under 1 m² with demand points in them left out of every count and layer (slivers of polygon overlay): {}",
            named.len(),
            named.join(", ")
        ));
    }
    kept.into_iter()
        .enumerate()
        .map(|(i, mut g)| {
            g.rank = i + 1;
            g.id = format!("gap-{:04}", i + 1);
            g
        })
        .collect()
}

fn layer_rows(
    spec: &AreaLayerSpec,
    projection: &MetricProjection,
    demand: &DemandStage,
    a: &Assessment,
    progress: &Progress,
    notes: &mut Vec<String>,
) -> Result<Vec<AreaRow>, PipelineError> {
    let (layer, repairs) = AreaLayer::from_geojson_files_in(
        &spec.paths,
        &AreaOptions::new(&spec.id_property, spec.name_property.as_deref()),
        projection,
    )?;
    if !repairs.is_empty() {
        notes.push(format!(
            "{}: {} geometries repaired",
            spec.name,
            repairs.len()
        ));
    }
    notes.extend(repaired_to_nothing(&spec.name, layer.areas()));
    let kept: Vec<AreaInput> = layer
        .areas()
        .iter()
        .filter(|x| spec.keep_ids.is_empty() || spec.keep_ids.contains(&x.id))
        .map(|x| (x.id.clone(), x.name.clone(), x.geometry_m.clone()))
        .collect();
    let missing: Vec<&String> = spec
        .keep_ids
        .iter()
        .filter(|id| !kept.iter().any(|k| &k.0 == *id))
        .collect();
    if !missing.is_empty() {
        notes.push(format!("{}: no polygon for {:?}", spec.name, missing));
    }
    let known = crate::seeds::aed_counts_by_district().unwrap_or_default();
    let stats = progress.step(&format!("statistics for {}", spec.name), || {
        let land = match &a.walk {
            Some(w) => crate::coverage::stats::LandWithin::Shapes(&w.service_areas),
            None => crate::coverage::stats::LandWithin::Discs,
        };
        area_stats(&kept, &a.index, &demand.points, &a.result, &known, land)
    });
    Ok(stats
        .into_iter()
        .zip(kept)
        .map(|(stats, k)| AreaRow {
            layer: spec.name.clone(),
            stats,
            shape: k.2,
        })
        .collect())
}

fn study_area(
    study: &Study,
    rows: &[AreaRow],
    first_layer: Option<&str>,
    demand: &DemandStage,
    progress: &Progress,
    notes: &mut Vec<String>,
) -> Option<MultiPolygon<f64>> {
    if let Some(name) = first_layer {
        // Rings are oriented first: the overlay's fill rule would otherwise let a clockwise
        // polygon (LE15 after its repair) cancel out instead of adding.
        use geo::orient::{Direction, Orient};
        let oriented: Vec<geo_types::Polygon<f64>> = rows
            .iter()
            .filter(|r| r.layer == name)
            .flat_map(|r| r.shape.0.iter().map(|p| p.orient(Direction::Default)))
            .collect();
        return Some(progress.step("study area", || geo::unary_union(&oriented)));
    }
    let StudyArea::AreasElseDemandBuffer { buffer_m } = study.analysis.study_area else {
        return None;
    };
    let centres: Vec<(f64, f64)> = demand.points.iter().map(|d| (d.x_m, d.y_m)).collect();
    let area = progress.step("study area", || {
        circles_union(&centres, buffer_m, CircleFit::EqualArea, None)
    });
    notes.push(format!(
        "no area polygons: the study area is the union of {buffer_m} m circles round the demand points ({} km²)",
        crate::export::csv_out::num(area.unsigned_area() / 1e6, 1)
    ));
    Some(area)
}

fn coverage_shapes(
    a: &Assessment,
    study_area: Option<&MultiPolygon<f64>>,
    progress: &Progress,
) -> Vec<(f64, MultiPolygon<f64>)> {
    let centres: Vec<(f64, f64)> = a
        .index
        .facilities()
        .iter()
        .map(|f| (f.x_m, f.y_m))
        .collect();
    let eff = a.config.effective_radii_m();
    if let Some(w) = &a.walk {
        return progress.step("coverage polygons", || {
            w.service_areas
                .iter()
                .map(|(r, shape)| match study_area {
                    Some(c) => (*r, geo::BooleanOps::intersection(shape, c)),
                    None => (*r, shape.clone()),
                })
                .collect()
        });
    }
    progress.step("coverage polygons", || {
        a.config
            .radii_m
            .iter()
            .zip(&eff)
            .map(|(r, e)| {
                (
                    *r,
                    circles_union(&centres, *e, CircleFit::EqualArea, study_area),
                )
            })
            .collect()
    })
}

/// A note naming the areas of layer `name` whose polygons enclose no land once repaired
/// (a ring of zero area, say): they are kept, with no point in them, and must not pass
/// unseen.
fn repaired_to_nothing(name: &str, areas: &[crate::geography::Area]) -> Option<String> {
    let empty: Vec<&str> = areas
        .iter()
        .filter(|a| a.geometry_m.0.is_empty())
        .map(|a| a.id.as_str())
        .collect();
    (!empty.is_empty()).then(|| {
        format!(
            "{name}: {} area(s) with no polygon left after repair, so no point lies in them: {}",
            empty.len(),
            empty.join(", ")
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::{Rect, coord};

    #[test]
    fn areas_repaired_to_nothing_are_named() {
        let area = |id: &str, polygons| crate::geography::Area {
            id: id.into(),
            name: id.into(),
            geometry_m: geo_types::MultiPolygon::new(polygons),
            properties: Default::default(),
        };
        let square = Rect::new(coord! {x: 0.0, y: 0.0}, coord! {x: 1.0, y: 1.0}).to_polygon();
        let areas = [area("A-WEST", vec![square]), area("A-EAST", vec![])];
        let note = repaired_to_nothing("wards", &areas);
        assert_eq!(
            note.as_deref(),
            Some(
                "wards: 1 area(s) with no polygon left after repair, so no point lies in them: A-EAST"
            )
        );
        assert_eq!(repaired_to_nothing("wards", &areas[..1]), None);
    }

    fn gap(id: &str, side_m: f64, demand_points: usize) -> Gap {
        Gap {
            id: id.into(),
            rank: 0,
            radius_m: 500.0,
            polygon: Rect::new(coord! {x: 0.0, y: 0.0}, coord! {x: side_m, y: side_m}).to_polygon(),
            area_km2: side_m * side_m / 1e6,
            demand: 0.0,
            residents: 0.0,
            demand_points,
        }
    }

    #[test]
    fn a_sliver_with_a_zero_demand_point_is_dropped_by_name_from_every_count() {
        let mut notes = Vec::new();
        let kept = without_slivers(
            vec![
                gap("gap-0001", 100.0, 2),
                gap("gap-0002", 0.5, 1),
                gap("gap-0003", 0.1, 0),
            ],
            &mut notes,
        );
        assert_eq!(kept.len(), 1);
        assert_eq!((kept[0].id.as_str(), kept[0].rank), ("gap-0001", 1));
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(
            notes[0].contains("gap-0002 (0.250 m², demand 0, 1 points)"),
            "{notes:?}"
        );
        // Everything kept, the layer draws.
        assert!(
            kept.iter()
                .all(|g| super::super::layers::polygon_without_slivers(&g.polygon).is_some())
        );
    }
}
