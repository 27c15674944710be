//! Proven upper bounds on the best coverage with `k` new sites, for every `k` at once, and
//! the fewest sites that reach a target (greedy set cover, with a proven floor).
//!
//! For any chosen set `S`, submodularity gives `OPT_k ≤ f(S) + (sum of the k largest
//! marginal gains w.r.t. S)` (Minoux's bound, the one [`super::greedy()`] keeps online for its
//! own `k`). Here it is taken at a few prefixes `S_t` of a greedy sequence, with exact gains,
//! and every `k` reads its bound from the sorted gains of each prefix: one pass over the
//! coverage lists per prefix.
//!
//! Direction: a greedy placement's value is a **floor** on the best case; these bounds are
//! **ceilings**. The fewest sites reaching a target `T` is at most the length of the greedy
//! prefix that reaches it (a placement that does is a proof), and at least the smallest `k`
//! whose upper bound reaches `T` (with fewer, even the best placement falls short).

use super::greedy::gain;
use super::instance::CoveringInstance;

/// Prefix lengths at which the bound is taken: 0, 1, 2, 3, then growing by about a fifth.
fn checkpoints(len: usize) -> Vec<usize> {
    let mut out = vec![];
    let mut t = 0usize;
    while t < len {
        out.push(t);
        t = (t + 1).max(t + t / 5);
    }
    out.push(len);
    out
}

/// `bounds[k]` for `k` in `0..=k_max`: a proven upper bound on the objective weight that `k`
/// new sites can add (beyond what existing AEDs cover), from the greedy sequence `chosen`
/// (candidate indices in pick order). Never above the uncovered weight; non-decreasing in k.
pub fn upper_bounds_by_k(instance: &CoveringInstance, chosen: &[usize], k_max: usize) -> Vec<f64> {
    let uncovered = instance.uncovered_weight();
    let mut bounds = vec![uncovered; k_max + 1];
    let mut covered = vec![false; instance.demand.len()];
    let mut value = 0.0;
    let mut done = 0;
    for t in checkpoints(chosen.len()) {
        for &j in &chosen[done..t] {
            for &i in instance.demand_covered_by(j) {
                let i = i as usize;
                if !covered[i] {
                    covered[i] = true;
                    value += instance.weights[i];
                }
            }
        }
        done = t;
        let mut gains: Vec<f64> = (0..instance.candidates.len())
            .map(|j| gain(instance, &covered, j))
            .collect();
        gains.sort_unstable_by(|a, b| b.total_cmp(a));
        let mut sum = value;
        for (k, b) in bounds.iter_mut().enumerate() {
            if k > 0 {
                sum += gains.get(k - 1).copied().unwrap_or(0.0);
            }
            *b = b.min(sum);
        }
    }
    bounds[0] = 0.0;
    // OPT_k is non-decreasing in k, so a bound at a larger k also bounds every smaller k.
    for k in (0..k_max).rev() {
        bounds[k] = bounds[k].min(bounds[k + 1]);
    }
    bounds
}

/// The fewest new sites reaching `target` added weight: `(at_least, at_most)`. `at_most` is
/// the greedy prefix length that reaches it (`None`: the greedy sequence never does);
/// `at_least` the smallest `k` whose bound reaches it (`bounds.len()` when none does).
/// `cumulative[t]` is the weight the first `t + 1` greedy sites add.
pub fn fewest_sites(cumulative: &[f64], bounds: &[f64], target: f64) -> (usize, Option<usize>) {
    // Weights are sums of floats: a hair of tolerance so that exact ties count as reached.
    let tol = 1e-9 * target.abs().max(1.0);
    let at_most = if target <= tol {
        Some(0)
    } else {
        cumulative
            .iter()
            .position(|&v| v + tol >= target)
            .map(|t| t + 1)
    };
    let at_least = bounds
        .iter()
        .position(|&b| b + tol >= target)
        .unwrap_or(bounds.len());
    (at_least.min(at_most.unwrap_or(usize::MAX)), at_most)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::siting::{CandidateSite, DemandSite, InstanceOptions, Objective, greedy};

    fn line(n: usize) -> CoveringInstance {
        // Demand every 100 m on a line; candidates at each demand point; radius 150 m: a site
        // covers itself and both neighbours.
        let demand: Vec<DemandSite> = (0..n)
            .map(|i| DemandSite {
                id: format!("d{i}"),
                x_m: i as f64 * 100.0,
                y_m: 0.0,
                arrests: 1.0,
                residents: 1.0,
                ..Default::default()
            })
            .collect();
        let cands = crate::siting::demand_candidates(&demand);
        let _: &[CandidateSite] = &cands;
        CoveringInstance::build(
            demand,
            cands,
            &[],
            InstanceOptions {
                radius_m: 150.0,
                min_distance_from_existing_m: 0.0,
                objective: Objective::Residents,
            },
        )
        .unwrap()
    }

    #[test]
    fn bounds_are_above_the_optimum_and_below_the_uncovered() {
        let inst = line(9);
        let g = greedy(&inst, 9);
        let b = upper_bounds_by_k(&inst, &g.chosen(), 9);
        // OPT_k = min(9, 3k) on a line of 9 with triples.
        for (k, bk) in b.iter().enumerate() {
            assert!(*bk + 1e-9 >= (3 * k).min(9) as f64, "k={k}: {bk}");
            assert!(*bk <= 9.0 + 1e-9);
        }
        assert_eq!(b[0], 0.0);
        assert!(b.windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn fewest_sites_brackets_the_true_minimum() {
        let inst = line(9);
        let g = greedy(&inst, 9);
        let cum: Vec<f64> = g.sites.iter().map(|s| s.cumulative_weight).collect();
        let b = upper_bounds_by_k(&inst, &g.chosen(), 9);
        let (lo, hi) = fewest_sites(&cum, &b, 9.0);
        // The true minimum to cover all 9 is 3.
        assert!(lo <= 3, "{lo}");
        assert!(hi.unwrap() >= 3);
        let (lo, hi) = fewest_sites(&cum, &b, 0.0);
        assert_eq!((lo, hi), (0, Some(0)));
        let (lo, _) = fewest_sites(&cum, &b, 100.0);
        assert_eq!(lo, b.len());
    }

    #[test]
    fn checkpoints_start_at_zero_and_end_at_len() {
        assert_eq!(checkpoints(0), vec![0]);
        let c = checkpoints(50);
        assert_eq!(c[0], 0);
        assert_eq!(*c.last().unwrap(), 50);
        assert!(c.windows(2).all(|w| w[0] < w[1]));
    }
}
