//! A Lagrangian upper bound on the best covering of `k` sites.
//!
//! The covering problem is: maximise `Σ w_i y_i` subject to `y_i ≤ Σ_{j ∋ i} x_j`,
//! `Σ x_j = k`, `y_i ∈ [0, 1]`, `x_j ∈ {0, 1}`. Relaxing each cover constraint with a
//! multiplier `λ_i ≥ 0` gives, for **any** `λ ≥ 0`,
//!
//! `OPT ≤ L(λ) = Σ_i max(0, w_i − λ_i) + (sum of the k largest Σ_{i ∈ N(j)} λ_i)`,
//!
//! a proven bound whatever the multipliers; subgradient steps (Held, Wolfe & Crowder 1974)
//! only make it tighter. With `λ = w` it is greedy's first-step bound (the `k` largest
//! single-site covers). The bound kept is the smallest `L(λ)` seen.

use super::instance::CoveringInstance;

/// The bound and how it was found.
#[derive(Debug, Clone, PartialEq)]
pub struct LagrangianBound {
    pub upper_bound: f64,
    pub iterations: usize,
    /// The `k` sites of the multipliers that gave the bound (a hint for a heuristic).
    pub sites: Vec<usize>,
}

/// Runs up to `iterations` subgradient steps; `lower` is a known achievable value (a
/// heuristic's), used to size the steps and to stop once the bound meets it.
pub fn lagrangian_bound(
    inst: &CoveringInstance,
    k: usize,
    lower: f64,
    iterations: usize,
) -> LagrangianBound {
    lagrangian_bound_until(inst, k, lower, iterations, None)
}

/// [`lagrangian_bound`], stopping also at `deadline` (after at least one step, so the
/// bound is always at least greedy's first-step bound).
pub fn lagrangian_bound_until(
    inst: &CoveringInstance,
    k: usize,
    lower: f64,
    iterations: usize,
    deadline: Option<std::time::Instant>,
) -> LagrangianBound {
    let w = &inst.weights;
    let mut lambda: Vec<f64> = w.clone();
    let mut best = LagrangianBound {
        upper_bound: f64::INFINITY,
        iterations: 0,
        sites: Vec::new(),
    };
    let mut theta = 2.0;
    let mut since_better = 0;
    for it in 0..iterations {
        if it > 0 && deadline.is_some_and(|d| std::time::Instant::now() >= d) {
            break;
        }
        let (value, sites) = evaluate(inst, &lambda, k);
        best.iterations = it + 1;
        if value < best.upper_bound - 1e-12 * value.abs().max(1.0) {
            best.upper_bound = value;
            best.sites = sites.clone();
            since_better = 0;
        } else {
            since_better += 1;
            if since_better >= 20 {
                theta /= 2.0;
                since_better = 0;
            }
        }
        if best.upper_bound - lower <= 1e-9 * lower.abs().max(1.0) || theta < 1e-6 {
            break;
        }
        let g = subgradient(inst, &lambda, &sites);
        let norm2: f64 = g.iter().map(|x| x * x).sum();
        if norm2 == 0.0 {
            break; // the relaxed solution is feasible and optimal for the relaxation
        }
        let step = theta * (value - lower).max(0.0) / norm2;
        for (l, gi) in lambda.iter_mut().zip(&g) {
            *l = (*l - step * gi).clamp(0.0, f64::MAX);
        }
        for (l, wi) in lambda.iter_mut().zip(w) {
            *l = l.min(*wi); // above w_i a multiplier only loosens the bound
        }
    }
    best
}

/// `L(λ)` and its `k` best sites.
fn evaluate(inst: &CoveringInstance, lambda: &[f64], k: usize) -> (f64, Vec<usize>) {
    let free: f64 = inst
        .weights
        .iter()
        .zip(lambda)
        .map(|(w, l)| (w - l).max(0.0))
        .sum();
    let mut scores: Vec<(f64, usize)> = (0..inst.candidates.len())
        .map(|j| {
            let s: f64 = inst
                .demand_covered_by(j)
                .iter()
                .map(|&i| lambda[i as usize])
                .sum();
            (s, j)
        })
        .collect();
    let k = k.min(scores.len());
    if k == 0 {
        return (free, Vec::new());
    }
    scores.select_nth_unstable_by(k - 1, |a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let top = &scores[..k];
    let value = free + top.iter().map(|s| s.0).sum::<f64>();
    let mut sites: Vec<usize> = top.iter().map(|s| s.1).collect();
    sites.sort_unstable();
    (value, sites)
}

/// `∂L/∂λ_i = (times i is covered by the k sites) − [w_i > λ_i]`.
fn subgradient(inst: &CoveringInstance, lambda: &[f64], sites: &[usize]) -> Vec<f64> {
    let mut g: Vec<f64> = inst
        .weights
        .iter()
        .zip(lambda)
        .map(|(w, l)| if w > l { -1.0 } else { 0.0 })
        .collect();
    for &j in sites {
        for &i in inst.demand_covered_by(j) {
            g[i as usize] += 1.0;
        }
    }
    g
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::siting::greedy::greedy;
    use crate::siting::greedy::tests::random_instance;
    use crate::siting::local::{LocalOptions, local_search};

    #[test]
    fn bounds_every_solution_and_is_no_looser_than_the_first_step() {
        for seed in 0..10 {
            let inst = random_instance(seed, 300, 50);
            for k in [1, 4, 8] {
                let g = greedy(&inst, k);
                let l = local_search(&inst, &g.chosen(), LocalOptions::default());
                let b = lagrangian_bound(&inst, k, l.value, 300);
                assert!(b.upper_bound >= l.value - 1e-9, "seed {seed} k {k}");
                assert!(b.upper_bound <= inst.uncovered_weight() + 1e-9);
                assert_eq!(b.sites.len(), k.min(inst.candidates.len()));
            }
        }
    }
}
