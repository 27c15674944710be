//! Writing a siting result: `sites.csv`, `gain_curve.csv`, `sites.geojson` (WGS84 lon/lat,
//! RFC 7946) and `summary.json`.

use std::io::Write;
use std::path::Path;

use serde::Serialize;

use super::SitingError;
use super::budget::{CostPerArrest, SiteCost};
use super::exact::ExactResult;
use super::greedy::{GreedyResult, RankedSite, gain, take};
use super::instance::{AlreadyCovered, CoveringInstance};

/// Orders a chosen set greedily (largest marginal gain first, ties on the lower index), so an
/// exact solution gets the same ranked columns as a greedy one.
pub fn rank_chosen(instance: &CoveringInstance, chosen: &[usize]) -> Vec<RankedSite> {
    let mut left: Vec<usize> = chosen.to_vec();
    left.sort_unstable();
    left.dedup();
    let mut covered = vec![false; instance.demand.len()];
    let mut out: Vec<RankedSite> = Vec::with_capacity(left.len());
    while !left.is_empty() {
        let mut best = 0;
        let mut best_gain = f64::NEG_INFINITY;
        for (p, &j) in left.iter().enumerate() {
            let g = gain(instance, &covered, j);
            if g > best_gain {
                best_gain = g;
                best = p;
            }
        }
        let j = left.remove(best);
        take(instance, &mut covered, &mut out, j);
    }
    out
}

/// One point of the gain curve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct GainPoint {
    pub k: usize,
    pub cumulative_weight: f64,
    pub cumulative_arrests: f64,
    pub cumulative_residents: f64,
    /// Share of the weight existing AEDs leave uncovered, in percent.
    pub pct_of_uncovered_weight: f64,
    /// k × the high cost per site, when costed.
    pub cumulative_cost_high_gbp: Option<f64>,
}

/// The gain curve k = 1..N of ranked sites.
pub fn gain_curve(
    sites: &[RankedSite],
    uncovered_weight: f64,
    per_site: Option<&SiteCost>,
) -> Vec<GainPoint> {
    sites
        .iter()
        .map(|s| GainPoint {
            k: s.rank,
            cumulative_weight: s.cumulative_weight,
            cumulative_arrests: s.cumulative_arrests,
            cumulative_residents: s.cumulative_residents,
            pct_of_uncovered_weight: if uncovered_weight > 0.0 {
                100.0 * s.cumulative_weight / uncovered_weight
            } else {
                0.0
            },
            cumulative_cost_high_gbp: per_site.map(|c| c.total_high_gbp * s.rank as f64),
        })
        .collect()
}

/// Greedy's figures for the summary.
#[derive(Debug, Clone, Serialize)]
pub struct GreedySummary {
    pub value: f64,
    pub bound_1_minus_1_over_e: f64,
    pub online_upper_bound: f64,
    pub evaluations: usize,
    /// Not written: outputs are the same on every run.
    #[serde(skip)]
    pub time_s: f64,
}

impl GreedySummary {
    pub fn of(g: &GreedyResult, time_s: f64) -> GreedySummary {
        GreedySummary {
            value: g.value,
            bound_1_minus_1_over_e: g.bound_1_minus_1_over_e,
            online_upper_bound: g.online_upper_bound,
            evaluations: g.evaluations,
            time_s,
        }
    }
}

/// The exact solver's figures for the summary.
#[derive(Debug, Clone, Serialize)]
pub struct ExactSummary {
    pub status: String,
    pub value: f64,
    pub upper_bound: f64,
    pub gap_pct: f64,
    /// Not written: outputs are the same on every run.
    #[serde(skip)]
    pub time_s: f64,
    pub demand_groups: usize,
    pub candidates_after_reduction: usize,
}

impl ExactSummary {
    pub fn of(e: &ExactResult) -> ExactSummary {
        ExactSummary {
            status: e.status.as_str().to_string(),
            value: e.value,
            upper_bound: e.upper_bound,
            gap_pct: 100.0 * e.gap,
            time_s: e.solve_time_s,
            demand_groups: e.reduction.demand_groups,
            candidates_after_reduction: e.reduction.candidates_kept,
        }
    }
}

/// Everything `summary.json` says.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub radius_m: f64,
    pub objective: String,
    pub solver: String,
    pub k_requested: usize,
    pub sites_chosen: usize,
    pub demand_points: usize,
    pub existing_aeds: usize,
    pub candidates_given: usize,
    pub candidates_dropped_near_existing: usize,
    pub min_distance_from_existing_m: f64,
    pub covering_pairs: usize,
    pub already_covered_by_existing: AlreadyCoveredSummary,
    pub uncovered_weight: f64,
    pub covered_weight: f64,
    pub covered_arrests: f64,
    pub covered_residents: f64,
    pub greedy: GreedySummary,
    pub exact: Option<ExactSummary>,
    pub cost_per_site: Option<SiteCost>,
    pub budget_gbp: Option<f64>,
    pub total_cost_low_gbp: Option<f64>,
    pub total_cost_high_gbp: Option<f64>,
    pub cost_per_extra_arrest: Option<CostPerArrest>,
    pub cost_per_extra_arrest_text: Option<String>,
    pub gain_curve: Vec<GainPoint>,
    /// Plain-language caveats (unlocated AEDs, unknown periods, unplaced rows).
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AlreadyCoveredSummary {
    pub demand_points: usize,
    pub arrests: f64,
    pub residents: f64,
}

impl From<AlreadyCovered> for AlreadyCoveredSummary {
    fn from(a: AlreadyCovered) -> Self {
        AlreadyCoveredSummary {
            demand_points: a.demand_points,
            arrests: a.arrests,
            residents: a.residents,
        }
    }
}

fn io_err(path: &Path, e: impl std::fmt::Display) -> SitingError {
    SitingError::Output(format!("{}: {e}", path.display()))
}

fn round(v: f64, places: i32) -> f64 {
    let f = 10f64.powi(places);
    (v * f).round() / f
}

/// Writes the four output files into `dir` (created if needed). `to_wgs84(x_m, y_m)` gives
/// (lon, lat) for the metric CRS of the instance.
pub fn write_outputs(
    dir: &Path,
    instance: &CoveringInstance,
    sites: &[RankedSite],
    summary: &Summary,
    to_wgs84: &dyn Fn(f64, f64) -> Option<(f64, f64)>,
) -> Result<(), SitingError> {
    std::fs::create_dir_all(dir).map_err(|e| io_err(dir, e))?;
    let per_site = summary.cost_per_site;

    let path = dir.join("sites.csv");
    let mut w = csv::Writer::from_path(&path).map_err(|e| io_err(&path, e))?;
    w.write_record([
        "rank",
        "id",
        "name",
        "x_m",
        "y_m",
        "lon",
        "lat",
        "marginal_weight",
        "marginal_arrests",
        "marginal_residents",
        "cumulative_weight",
        "cumulative_arrests",
        "cumulative_residents",
        "nearest_existing_aed_m",
        "cost_low_gbp",
        "cost_high_gbp",
    ])
    .map_err(|e| io_err(&path, e))?;
    let mut features = Vec::with_capacity(sites.len());
    for s in sites {
        let c = &instance.candidates[s.candidate];
        let ll = to_wgs84(c.x_m, c.y_m);
        let opt = |v: Option<f64>, p: i32| v.map_or(String::new(), |v| round(v, p).to_string());
        w.write_record([
            s.rank.to_string(),
            c.id.clone(),
            c.name.clone().unwrap_or_default(),
            round(c.x_m, 1).to_string(),
            round(c.y_m, 1).to_string(),
            opt(ll.map(|p| p.0), 6),
            opt(ll.map(|p| p.1), 6),
            round(s.marginal_weight, 6).to_string(),
            round(s.marginal_arrests, 6).to_string(),
            round(s.marginal_residents, 6).to_string(),
            round(s.cumulative_weight, 6).to_string(),
            round(s.cumulative_arrests, 6).to_string(),
            round(s.cumulative_residents, 6).to_string(),
            opt(instance.nearest_existing_m[s.candidate], 1),
            opt(per_site.map(|c| c.total_low_gbp), 2),
            opt(per_site.map(|c| c.total_high_gbp), 2),
        ])
        .map_err(|e| io_err(&path, e))?;
        if let Some((lon, lat)) = ll {
            let props = serde_json::json!({
                "rank": s.rank,
                "id": c.id,
                "name": c.name,
                "marginal_weight": s.marginal_weight,
                "marginal_arrests": s.marginal_arrests,
                "marginal_residents": s.marginal_residents,
                "cumulative_weight": s.cumulative_weight,
                "cumulative_arrests": s.cumulative_arrests,
                "cumulative_residents": s.cumulative_residents,
                "nearest_existing_aed_m": instance.nearest_existing_m[s.candidate].map(|d| round(d, 1)),
                "cost_high_gbp": per_site.map(|c| c.total_high_gbp),
            });
            features.push(serde_json::json!({
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]},
                "properties": props,
            }));
        }
    }
    w.flush().map_err(|e| io_err(&path, e))?;

    let path = dir.join("gain_curve.csv");
    let mut w = csv::Writer::from_path(&path).map_err(|e| io_err(&path, e))?;
    for p in &summary.gain_curve {
        w.serialize(p).map_err(|e| io_err(&path, e))?;
    }
    w.flush().map_err(|e| io_err(&path, e))?;

    let path = dir.join("sites.geojson");
    let fc = serde_json::json!({"type": "FeatureCollection", "features": features});
    let text = serde_json::to_string_pretty(&fc).map_err(|e| io_err(&path, e))?;
    std::fs::write(&path, text + "\n").map_err(|e| io_err(&path, e))?;

    let path = dir.join("summary.json");
    let mut f = std::fs::File::create(&path).map_err(|e| io_err(&path, e))?;
    serde_json::to_writer_pretty(&mut f, summary).map_err(|e| io_err(&path, e))?;
    writeln!(f).map_err(|e| io_err(&path, e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::siting::greedy::greedy;
    use crate::siting::greedy::tests::random_instance;

    #[test]
    fn rank_chosen_reproduces_greedy_order_on_a_greedy_set() {
        let inst = random_instance(3, 40, 15);
        let g = greedy(&inst, 4);
        let mut set = g.chosen();
        set.reverse();
        let ranked = rank_chosen(&inst, &set);
        assert_eq!(ranked, g.sites);
    }

    #[test]
    fn writes_four_files_with_a_row_per_site() {
        let inst = random_instance(5, 40, 15);
        let g = greedy(&inst, 3);
        let curve = gain_curve(&g.sites, inst.uncovered_weight(), None);
        let summary = Summary {
            radius_m: 500.0,
            objective: "arrests".into(),
            solver: "greedy".into(),
            k_requested: 3,
            sites_chosen: g.sites.len(),
            demand_points: inst.demand.len(),
            existing_aeds: 0,
            candidates_given: inst.candidates.len(),
            candidates_dropped_near_existing: 0,
            min_distance_from_existing_m: 50.0,
            covering_pairs: inst.pairs(),
            already_covered_by_existing: inst.already_covered.into(),
            uncovered_weight: inst.uncovered_weight(),
            covered_weight: g.value,
            covered_arrests: g.sites.last().map_or(0.0, |s| s.cumulative_arrests),
            covered_residents: 0.0,
            greedy: GreedySummary::of(&g, 0.0),
            exact: None,
            cost_per_site: None,
            budget_gbp: None,
            total_cost_low_gbp: None,
            total_cost_high_gbp: None,
            cost_per_extra_arrest: None,
            cost_per_extra_arrest_text: None,
            gain_curve: curve,
            notes: vec![],
        };
        let dir = tempfile::tempdir().unwrap();
        let to_ll = |x: f64, y: f64| Some((x / 1e5, 50.0 + y / 1e5));
        write_outputs(dir.path(), &inst, &g.sites, &summary, &to_ll).unwrap();
        let sites = std::fs::read_to_string(dir.path().join("sites.csv")).unwrap();
        assert_eq!(sites.lines().count(), 1 + g.sites.len());
        let curve = std::fs::read_to_string(dir.path().join("gain_curve.csv")).unwrap();
        assert!(curve.starts_with("k,cumulative_weight"));
        let gj: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(dir.path().join("sites.geojson")).unwrap(),
        )
        .unwrap();
        assert_eq!(gj["features"].as_array().unwrap().len(), g.sites.len());
        let s: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(dir.path().join("summary.json")).unwrap(),
        )
        .unwrap();
        assert_eq!(s["sites_chosen"], g.sites.len());
    }
}
