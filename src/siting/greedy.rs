//! Lazy greedy maximal covering.
//!
//! Covered weight is monotone submodular, so greedy's value `V_g` is at least
//! `(1 − 1/e) · OPT` (Nemhauser, Wolsey & Fisher 1978) and `OPT ≤ V_g / (1 − 1/e)`. A tighter
//! "online" bound (Minoux / Leskovec et al. 2007) holds at every step `t` with chosen set
//! `S_t`: `OPT ≤ f(S_t) + sum of the k largest marginal gains w.r.t. S_t`. Stale gains in the
//! lazy queue are upper bounds on the true gains (submodularity), so summing the queue's k
//! largest entries still gives a valid bound; the report keeps the smallest over all steps.
//!
//! Ties break on the lowest candidate index, so the result equals plain greedy with that
//! tie-break and is the same on every run.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use super::instance::CoveringInstance;

/// One chosen site, in the order greedy picked it.
#[derive(Debug, Clone, PartialEq)]
pub struct RankedSite {
    /// 1-based rank.
    pub rank: usize,
    /// Index into `CoveringInstance::candidates`.
    pub candidate: usize,
    pub marginal_weight: f64,
    pub marginal_arrests: f64,
    pub marginal_residents: f64,
    pub cumulative_weight: f64,
    pub cumulative_arrests: f64,
    pub cumulative_residents: f64,
}

/// A greedy solution and the bounds it proves on the optimum.
#[derive(Debug, Clone, PartialEq)]
pub struct GreedyResult {
    /// Sites in pick order; fewer than asked when nothing more can be covered.
    pub sites: Vec<RankedSite>,
    /// Number of sites asked for.
    pub k: usize,
    /// Covered objective weight `V_g`.
    pub value: f64,
    /// `V_g / (1 − 1/e)`: OPT can be no larger.
    pub bound_1_minus_1_over_e: f64,
    /// The tighter online bound: min over steps of `f(S_t) + top-k gains`.
    pub online_upper_bound: f64,
    /// Objective weight not covered by existing AEDs (the most any siting can reach).
    pub uncovered_weight: f64,
    /// Marginal-gain evaluations done (lazy greedy does far fewer than k × candidates).
    pub evaluations: usize,
}

impl GreedyResult {
    /// The best upper bound on OPT greedy proves.
    pub fn upper_bound(&self) -> f64 {
        self.bound_1_minus_1_over_e
            .min(self.online_upper_bound)
            .min(self.uncovered_weight)
    }

    /// Chosen candidate indices in pick order.
    pub fn chosen(&self) -> Vec<usize> {
        self.sites.iter().map(|s| s.candidate).collect()
    }
}

#[derive(Clone, Copy, PartialEq)]
struct Entry {
    gain: f64,
    candidate: u32,
    /// Number of sites chosen when `gain` was computed.
    round: u32,
}

impl Eq for Entry {}

impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        self.gain
            .total_cmp(&other.gain)
            .then_with(|| other.candidate.cmp(&self.candidate))
    }
}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Sum of the `k` largest values (destroys the order of `values`).
fn top_k_sum(values: &mut [f64], k: usize) -> f64 {
    if k == 0 || values.is_empty() {
        return 0.0;
    }
    if k < values.len() {
        values.select_nth_unstable_by(k - 1, |a, b| b.total_cmp(a));
        values[..k].iter().sum()
    } else {
        values.iter().sum()
    }
}

/// Picks up to `k` candidates greedily, each covering the most still-uncovered weight.
/// Stops early when no candidate adds any weight.
pub fn greedy(instance: &CoveringInstance, k: usize) -> GreedyResult {
    let n = instance.candidates.len();
    let mut covered: Vec<bool> = vec![false; instance.demand.len()];
    let mut heap: BinaryHeap<Entry> = (0..n)
        .map(|j| Entry {
            gain: gain(instance, &covered, j),
            candidate: j as u32,
            round: 0,
        })
        .collect();
    let mut evaluations = n;
    let uncovered_weight = instance.uncovered_weight();

    let mut sites: Vec<RankedSite> = Vec::with_capacity(k.min(n));
    let mut value = 0.0;
    let mut scratch: Vec<f64> = Vec::with_capacity(n);
    let mut online = f64::INFINITY;
    let mut bound_step = |value: f64, heap: &BinaryHeap<Entry>, online: &mut f64| {
        scratch.clear();
        scratch.extend(heap.iter().map(|e| e.gain));
        *online = online.min(value + top_k_sum(&mut scratch, k));
    };
    bound_step(0.0, &heap, &mut online);

    while sites.len() < k {
        let Some(top) = heap.pop() else { break };
        if top.round as usize != sites.len() {
            let fresh = Entry {
                gain: gain(instance, &covered, top.candidate as usize),
                round: sites.len() as u32,
                ..top
            };
            evaluations += 1;
            heap.push(fresh);
            continue;
        }
        if top.gain <= 0.0 {
            break;
        }
        value = take(instance, &mut covered, &mut sites, top.candidate as usize);
        bound_step(value, &heap, &mut online);
    }
    if sites.len() < k {
        // Nothing left adds weight, so greedy covered all coverable weight: it is optimal.
        online = online.min(value);
    }

    let factor = 1.0 - (-1.0f64).exp();
    GreedyResult {
        sites,
        k,
        value,
        bound_1_minus_1_over_e: value / factor,
        online_upper_bound: online,
        uncovered_weight,
        evaluations,
    }
}

/// The still-uncovered weight candidate `j` would cover.
pub(crate) fn gain(instance: &CoveringInstance, covered: &[bool], j: usize) -> f64 {
    instance
        .demand_covered_by(j)
        .iter()
        .filter(|&&i| !covered[i as usize])
        .map(|&i| instance.weights[i as usize])
        .sum()
}

/// Adds candidate `j` as the next ranked site: marks its demand covered and records what it
/// newly covers and the running totals. Returns the cumulative weight.
pub(crate) fn take(
    instance: &CoveringInstance,
    covered: &mut [bool],
    sites: &mut Vec<RankedSite>,
    j: usize,
) -> f64 {
    let (mut w, mut a, mut r) = (0.0, 0.0, 0.0);
    for &i in instance.demand_covered_by(j) {
        let i = i as usize;
        if !covered[i] {
            covered[i] = true;
            w += instance.weights[i];
            a += instance.demand[i].arrests;
            r += instance.demand[i].residents;
        }
    }
    let (cw, ca, cr) = sites.last().map_or((0.0, 0.0, 0.0), |s| {
        (
            s.cumulative_weight,
            s.cumulative_arrests,
            s.cumulative_residents,
        )
    });
    sites.push(RankedSite {
        rank: sites.len() + 1,
        candidate: j,
        marginal_weight: w,
        marginal_arrests: a,
        marginal_residents: r,
        cumulative_weight: cw + w,
        cumulative_arrests: ca + a,
        cumulative_residents: cr + r,
    });
    cw + w
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::siting::instance::{
        CandidateSite, CoveringInstance, DemandSite, InstanceOptions, demand_candidates,
    };

    /// A small random instance from a simple LCG (no extra dependency, reproducible).
    pub(crate) fn random_instance(seed: u64, n_demand: usize, n_cand: usize) -> CoveringInstance {
        let mut s = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let mut next = move || {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (s >> 11) as f64 / (1u64 << 53) as f64
        };
        let demand: Vec<DemandSite> = (0..n_demand)
            .map(|i| DemandSite {
                id: format!("d{i}"),
                x_m: next() * 2000.0,
                y_m: next() * 2000.0,
                arrests: (next() * 5.0).floor() + 1.0,
                residents: (next() * 100.0).floor(),
                ..Default::default()
            })
            .collect();
        let candidates: Vec<CandidateSite> = (0..n_cand)
            .map(|j| CandidateSite {
                id: format!("c{j}"),
                name: None,
                x_m: next() * 2000.0,
                y_m: next() * 2000.0,
            })
            .collect();
        CoveringInstance::build(demand, candidates, &[], InstanceOptions::default()).unwrap()
    }

    /// Best value over all subsets of exactly min(k, n) candidates.
    pub(crate) fn exhaustive(inst: &CoveringInstance, k: usize) -> f64 {
        let n = inst.candidates.len();
        let mut best: f64 = 0.0;
        for mask in 0u32..(1 << n) {
            if mask.count_ones() as usize == k.min(n) {
                let chosen: Vec<usize> = (0..n).filter(|j| mask & (1 << j) != 0).collect();
                best = best.max(inst.value_of(&chosen).0);
            }
        }
        best
    }

    /// Plain (non-lazy) greedy with lowest-index tie-break.
    fn plain_greedy(inst: &CoveringInstance, k: usize) -> Vec<usize> {
        let mut chosen = Vec::new();
        for _ in 0..k {
            let base = inst.value_of(&chosen).0;
            let mut best = (0.0, usize::MAX);
            for j in 0..inst.candidates.len() {
                if chosen.contains(&j) {
                    continue;
                }
                let mut with = chosen.clone();
                with.push(j);
                let g = inst.value_of(&with).0 - base;
                if g > best.0 + 1e-12 {
                    best = (g, j);
                }
            }
            if best.1 == usize::MAX {
                break;
            }
            chosen.push(best.1);
        }
        chosen
    }

    #[test]
    fn greedy_against_exhaustive_search_on_random_instances() {
        for seed in 0..40 {
            let inst = random_instance(seed, 30, 12);
            for k in 1..=4 {
                let g = greedy(&inst, k);
                let opt = exhaustive(&inst, k);
                assert!(g.value <= opt + 1e-9, "seed {seed} k {k}");
                assert!(g.value >= (1.0 - (-1.0f64).exp()) * opt - 1e-9);
                assert!(g.online_upper_bound >= opt - 1e-9, "seed {seed} k {k}");
                assert!(g.upper_bound() >= opt - 1e-9);
                assert_eq!(g.chosen(), plain_greedy(&inst, k), "seed {seed} k {k}");
                assert!((inst.value_of(&g.chosen()).0 - g.value).abs() < 1e-9);
            }
        }
    }

    #[test]
    fn known_answer_and_cumulative_columns() {
        // Three clusters 5 km apart weighted 5, 3, 1; k = 2 picks 5 then 3.
        let demand: Vec<DemandSite> = [(0.0, 5.0), (5000.0, 3.0), (10000.0, 1.0)]
            .iter()
            .enumerate()
            .map(|(i, &(x, a))| DemandSite {
                id: format!("d{i}"),
                x_m: x,
                y_m: 0.0,
                arrests: a,
                residents: 100.0 * a,
                ..Default::default()
            })
            .collect();
        let cand = demand_candidates(&demand);
        let inst = CoveringInstance::build(demand, cand, &[], InstanceOptions::default()).unwrap();
        let g = greedy(&inst, 2);
        assert_eq!(g.chosen(), vec![0, 1]);
        assert_eq!(g.sites[1].marginal_arrests, 3.0);
        assert_eq!(g.sites[1].cumulative_arrests, 8.0);
        assert_eq!(g.sites[1].cumulative_residents, 800.0);
        assert_eq!(g.online_upper_bound, 8.0);
        // Asking for more sites than useful stops at 3.
        let g = greedy(&inst, 10);
        assert_eq!(g.sites.len(), 3);
        assert_eq!(g.upper_bound(), 9.0);
    }
}
