//! A siting result for the summary: the ranking of a chosen set, the gain curve and the
//! figures `summary.json` gives under `siting` (written by [`crate::pipeline`]).

use serde::Serialize;

use super::budget::{CostPerArrest, SiteCost};
use super::exact::ExactResult;
use super::greedy::{GreedyResult, RankedSite, gain, take};
use super::instance::{AlreadyCovered, CoveringInstance};
use super::local::LocalResult;

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

/// The local search's figures for the summary.
#[derive(Debug, Clone, Serialize)]
pub struct LocalSummary {
    /// Covered weight after the search (never below greedy's).
    pub value: f64,
    pub greedy_value: f64,
    pub swaps: usize,
    pub restarts: usize,
    /// Not written: outputs are the same on every run.
    #[serde(skip)]
    pub time_s: f64,
}

impl LocalSummary {
    pub fn of(l: &LocalResult, time_s: f64) -> LocalSummary {
        LocalSummary {
            value: l.value,
            greedy_value: l.start_value,
            swaps: l.swaps,
            restarts: l.restarts,
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
    /// Swaps after greedy (the default solver); `None` when the exact solver ran.
    pub local_search: Option<LocalSummary>,
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
}
