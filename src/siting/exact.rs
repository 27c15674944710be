//! Exact maximal covering, solved by a Lagrangian branch and bound ([`super::lagbb`], pure
//! Rust, no LP solver):
//!
//! ```text
//! maximise   Σ_g w_g · y_g
//! subject to y_g ≤ Σ_{j ∈ N(g)} x_j     for every demand group g
//!            Σ_j x_j ≤ k
//!            x_j ∈ {0, 1},  0 ≤ y_g ≤ 1
//! ```
//!
//! `y` is continuous: for integral `x` the optimum sets `y_g = min(1, Σ x_j)`, which is 0 or 1,
//! so only the `x` need branching. `Σ x ≤ k` rather than `= k`: the objective is monotone, so
//! the optimum is the same, and the model stays feasible when reduction leaves fewer than k
//! candidates.
//!
//! Before solving, the instance is reduced: demand with no weight or no candidate in reach is
//! dropped, demand points with identical candidate sets are merged (weights summed), and a
//! candidate whose covered set is contained in another's (ties: the lower index stays) is
//! dropped — some optimum never needs it. The warm start is greedy improved by local search
//! (for at most a fifth of the time limit); the branch and bound then runs until the time
//! limit, which covers every step and is read inside its smoothing and subgradient loops.
//! When the limit stops the search, the result is the best known solution and the gap to the
//! best proven bound (the largest bound of any open node; before the root's bound has been
//! computed, the best Lagrangian bound reached so far, or greedy's own bounds).
//!
//! On the Leicester instance of issue 13 (7,948 units, k = 20, 500 m) the pure-Rust search
//! does not close: in 120 s it holds 2,833 (the optimum) and proves a bound of 2,840, a
//! 0.25 % gap. The root bound, 2,842, is the LP's (2,842.19, `benches/siting_optimum.sh
//! --lp`), reached in about 7 s by the smoothed descent (the private module
//! `siting::smooth`); the passes below it ([`super::lagbb`]) prove 2,841 and then 2,840; the
//! LP bound is too weak there for a full proof by branching within minutes.
//!
//! With the `highs` feature, HiGHS searches below the same root instead, on what the root's
//! fixing leaves (1,759 free candidates of 6,461, 3,711 demand sets of 7,649) with the
//! incumbent as cut-off: it proves 2,833 optimal in about 110 s of a 120 s limit in all, 619
//! HiGHS nodes (`benches/siting_leicester.rs`; HiGHS on the whole model took about
//! 10 minutes, `benches/siting_optimum.sh`).

use std::time::Instant;

use rustc_hash::FxHashMap;

use super::SitingError;
use super::greedy::{GreedyResult, greedy};
use super::instance::CoveringInstance;
use super::lagbb::{self, Problem, Settings};
use super::local::{LocalOptions, local_search};

/// Solver settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ExactOptions {
    /// Wall-clock budget for the branch and bound, in seconds.
    pub time_limit_s: f64,
    /// Seed the search with the greedy solution.
    pub warm_start: bool,
}

impl Default for ExactOptions {
    fn default() -> Self {
        ExactOptions {
            time_limit_s: 60.0,
            warm_start: true,
        }
    }
}

/// How the exact solve ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExactStatus {
    /// Optimality proven (gap 0).
    Optimal,
    /// The time limit stopped the search; the result is the best solution found and the gap
    /// is to the best proven bound.
    TimeLimit,
    /// The time limit stopped the search before it improved on the warm start; the result
    /// is the warm start's (greedy improved by local search, or greedy's alone without a
    /// warm start), the bound the best the search proved.
    TimeLimitStartKept,
}

impl ExactStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            ExactStatus::Optimal => "optimal",
            ExactStatus::TimeLimit => "time limit reached, best known solution",
            ExactStatus::TimeLimitStartKept => {
                "time limit reached before the search improved on the warm start: best known = the warm start, gap from the best proven bound"
            }
        }
    }
}

/// Instance sizes before and after reduction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Reduction {
    pub demand_points: usize,
    pub demand_groups: usize,
    pub candidates: usize,
    pub candidates_kept: usize,
}

/// An exact (or best known, with a proven gap) solution.
#[derive(Debug, Clone, PartialEq)]
pub struct ExactResult {
    /// Chosen candidate indices (into `CoveringInstance::candidates`), ascending.
    pub chosen: Vec<usize>,
    /// Covered objective weight of `chosen`, recomputed on the full instance.
    pub value: f64,
    /// Proven upper bound on the optimum.
    pub upper_bound: f64,
    /// `(upper_bound − value) / upper_bound`, 0 when optimal.
    pub gap: f64,
    pub status: ExactStatus,
    pub greedy_value: f64,
    pub solve_time_s: f64,
    pub reduction: Reduction,
    /// Branch-and-bound nodes solved (0 when no search was needed).
    pub nodes: usize,
    /// The Lagrangian bound at the root of the search (before branching), when it ran.
    pub root_bound: Option<f64>,
}

/// The reduced instance the search sees.
struct Reduced {
    pub weights: Vec<f64>,
    /// Per group, the kept candidates (indices into `kept`).
    pub group_candidates: Vec<Vec<u32>>,
    /// Original candidate index of each kept candidate.
    pub kept: Vec<usize>,
    /// For each original candidate dropped as dominated, the candidate dominating it.
    dominated_by: Vec<Option<usize>>,
    reduction: Reduction,
}

fn reduce(instance: &CoveringInstance) -> Reduced {
    let n_cand = instance.candidates.len();
    let mut group_of: FxHashMap<&[u32], usize> = FxHashMap::default();
    let mut weights: Vec<f64> = Vec::new();
    let mut sets: Vec<&[u32]> = Vec::new();
    for (i, &w) in instance.weights.iter().enumerate() {
        let set = instance.candidates_covering(i);
        if w <= 0.0 || set.is_empty() {
            continue;
        }
        let g = *group_of.entry(set).or_insert_with(|| {
            weights.push(0.0);
            sets.push(set);
            weights.len() - 1
        });
        weights[g] += w;
    }
    // Candidate → sorted groups.
    let mut cand_groups: Vec<Vec<u32>> = vec![Vec::new(); n_cand];
    for (g, set) in sets.iter().enumerate() {
        for &j in *set {
            cand_groups[j as usize].push(g as u32);
        }
    }
    // Dominance: j is dropped if some j' covers a superset (strict, or equal with j' < j).
    let mut mark = vec![usize::MAX; sets.len()];
    let mut dominated = vec![false; n_cand];
    let mut dominated_by: Vec<Option<usize>> = vec![None; n_cand];
    for j in 0..n_cand {
        let gs = &cand_groups[j];
        if gs.is_empty() {
            dominated[j] = true;
            continue;
        }
        for &g in gs {
            mark[g as usize] = j;
        }
        let pivot = gs
            .iter()
            .min_by_key(|&&g| sets[g as usize].len())
            .map_or(0, |&g| g as usize);
        for &other in sets[pivot] {
            let o = other as usize;
            if o == j || cand_groups[o].len() < gs.len() {
                continue;
            }
            if cand_groups[o].len() == gs.len() && o > j {
                continue;
            }
            let inside = cand_groups[o]
                .iter()
                .filter(|&&g| mark[g as usize] == j)
                .count();
            if inside == gs.len() {
                dominated[j] = true;
                dominated_by[j] = Some(o);
                break;
            }
        }
    }
    let kept: Vec<usize> = (0..n_cand).filter(|&j| !dominated[j]).collect();
    let mut new_index = vec![u32::MAX; n_cand];
    for (nj, &j) in kept.iter().enumerate() {
        new_index[j] = nj as u32;
    }
    let group_candidates: Vec<Vec<u32>> = sets
        .iter()
        .map(|set| {
            set.iter()
                .map(|&j| new_index[j as usize])
                .filter(|&nj| nj != u32::MAX)
                .collect()
        })
        .collect();
    Reduced {
        reduction: Reduction {
            demand_points: instance.demand.len(),
            demand_groups: weights.len(),
            candidates: n_cand,
            candidates_kept: kept.len(),
        },
        weights,
        group_candidates,
        kept,
        dominated_by,
    }
}

/// A solution's sites as kept-candidate indices (for the warm start). A site that reduction
/// dropped is replaced by the kept candidate that dominates it, which covers a superset.
fn in_kept(chosen: &[usize], red: &Reduced) -> Vec<usize> {
    let mut pos = vec![usize::MAX; red.dominated_by.len()];
    for (nj, &j) in red.kept.iter().enumerate() {
        pos[j] = nj;
    }
    let mut out: Vec<usize> = Vec::new();
    for &j0 in chosen {
        let mut j = j0;
        while let Some(o) = red.dominated_by[j] {
            j = o;
        }
        if pos[j] != usize::MAX && !out.contains(&pos[j]) {
            out.push(pos[j]);
        }
    }
    out
}

/// The exact solver: a Lagrangian branch and bound ([`super::lagbb`], pure Rust), or with
/// the `highs` feature HiGHS below its root.
pub fn mip_solver() -> &'static str {
    if cfg!(feature = "highs") {
        "HiGHS 1.16 below a Lagrangian root (reduction, bound and fixing in Rust)"
    } else {
        "Lagrangian branch and bound (pure Rust)"
    }
}

/// Solves the covering problem for `k` sites exactly, within `options.time_limit_s` of wall
/// time in all (greedy, reduction, the local-search warm start and the branch and bound).
///
/// `greedy_result` (computed here when `None`) gives the first start; local search improves
/// it for the warm start, which is also the answer when the search finds nothing better in time.
pub fn exact(
    instance: &CoveringInstance,
    k: usize,
    options: ExactOptions,
    greedy_result: Option<&GreedyResult>,
) -> Result<ExactResult, SitingError> {
    let started = Instant::now();
    let deadline = started + std::time::Duration::from_secs_f64(options.time_limit_s.max(0.0));
    let owned;
    let g = match greedy_result {
        Some(g) => g,
        None => {
            owned = greedy(instance, k);
            &owned
        }
    };
    let red = reduce(instance);
    let finish = |chosen: Vec<usize>, upper: f64, status: ExactStatus| {
        let mut chosen = chosen;
        chosen.sort_unstable();
        let value = instance.value_of(&chosen).0;
        let upper_bound = upper.max(value).min(g.upper_bound().max(value));
        let gap = if upper_bound <= 0.0 {
            0.0
        } else {
            ((upper_bound - value) / upper_bound).max(0.0)
        };
        let proven = status == ExactStatus::Optimal || gap <= 1e-12;
        ExactResult {
            chosen,
            value,
            upper_bound,
            gap: if gap <= 1e-12 { 0.0 } else { gap },
            status: if proven { ExactStatus::Optimal } else { status },
            greedy_value: g.value,
            solve_time_s: started.elapsed().as_secs_f64(),
            reduction: red.reduction,
            nodes: 0,
            root_bound: None,
        }
    };

    if red.kept.len() <= k {
        // Every useful candidate fits: taking them all covers all coverable demand.
        let all = red.kept.clone();
        let upper = instance.value_of(&all).0;
        return Ok(finish(all, upper, ExactStatus::Optimal));
    }

    let (start, start_value) = warm_start(instance, g, options, started, deadline);
    let start_kept = in_kept(&start, &red);
    let problem = Problem::new(red.weights.clone(), &red.group_candidates, red.kept.len());
    let o = lagbb::solve(&problem, k, &start_kept, deadline, Settings::default());
    let chosen: Vec<usize> = o.chosen.iter().map(|&nj| red.kept[nj]).collect();
    let found = instance.value_of(&chosen).0;
    let mut r = if o.complete {
        finish(chosen, found, ExactStatus::Optimal)
    } else if found > start_value {
        finish(chosen, o.upper_bound, ExactStatus::TimeLimit)
    } else {
        finish(start, o.upper_bound, ExactStatus::TimeLimitStartKept)
    };
    r.nodes = o.nodes;
    r.root_bound = o.root_bound.is_finite().then_some(o.root_bound);
    Ok(r)
}

/// Greedy improved by local search for at most a fifth of the time limit.
fn warm_start(
    instance: &CoveringInstance,
    g: &GreedyResult,
    options: ExactOptions,
    started: Instant,
    deadline: Instant,
) -> (Vec<usize>, f64) {
    if !options.warm_start {
        return (g.chosen(), g.value);
    }
    let budget = deadline.saturating_duration_since(started) / 5;
    let opts = LocalOptions {
        deadline: Some(started + budget),
        ..LocalOptions::default()
    };
    let l = local_search(instance, &g.chosen(), opts);
    (l.chosen, l.value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::siting::greedy::tests::{exhaustive, random_instance};

    #[test]
    fn exact_matches_exhaustive_search_on_random_instances() {
        for seed in 0..25 {
            let inst = random_instance(seed, 30, 12);
            for k in 1..=4 {
                let r = exact(&inst, k, ExactOptions::default(), None).unwrap();
                let opt = exhaustive(&inst, k);
                assert_eq!(r.status, ExactStatus::Optimal, "seed {seed} k {k}");
                assert!(
                    (r.value - opt).abs() < 1e-6,
                    "seed {seed} k {k}: {} vs {opt}",
                    r.value
                );
                assert!(r.chosen.len() <= k);
                assert!(r.value >= r.greedy_value - 1e-9);
            }
        }
    }

    #[test]
    fn a_run_stopped_before_an_improvement_names_the_warm_start_and_the_lagrangian_bound() {
        let text = ExactStatus::TimeLimitStartKept.as_str();
        assert!(
            text.contains("warm start") && text.contains("proven bound"),
            "{text}"
        );
        assert!(
            !text.contains("greedy") && !text.contains("LP bound"),
            "{text}"
        );
    }

    #[test]
    fn reduction_merges_identical_sets_and_drops_dominated() {
        let inst = random_instance(7, 60, 20);
        let red = reduce(&inst);
        assert!(red.reduction.demand_groups <= red.reduction.demand_points);
        assert!(red.reduction.candidates_kept < red.reduction.candidates);
        let before: f64 = inst
            .weights
            .iter()
            .enumerate()
            .filter(|(i, _)| !inst.candidates_covering(*i).is_empty())
            .map(|(_, w)| w)
            .sum();
        let after: f64 = red.weights.iter().sum();
        assert!((before - after).abs() < 1e-9);
        assert!(red.group_candidates.iter().all(|c| !c.is_empty()));
    }
}
