//! The Lagrangian (= LP) bound of maximal covering, minimised by an accelerated gradient
//! method on a smoothed form of it, where subgradient steps stall.
//!
//! At a node of [`super::lagbb`] (free candidates `j`, active groups `g` of weight `w_g`,
//! `k'` sites left, value `v_in` of the fixed-in sites) the bound for multipliers
//! `λ = w ∘ ν`, `ν ∈ [0, 1]^G`, is
//!
//! `L(ν) = v_in + Σ_g w_g (1 − ν_g) + top_k'(c)`, `c_j = Σ_{g ∈ C(j)} w_g ν_g`,
//!
//! a convex, piecewise-linear function whose minimum is the LP bound. Plain subgradient steps
//! stall well above it (on the Leicester instance of issue 13: 2,849.7 against the LP's
//! 2,842.2). Here `top_k'(c) = max {c·z : 0 ≤ z ≤ 1, Σ z = k'}` is replaced by its Euclidean
//! smoothing, `max {c·z − τ/2 ‖z‖²}`, which is within `τ k'/2` of it and has a gradient
//! (`z = clip((c − μ)/τ, 0, 1)` with `Σ z = k'`) that is `‖B‖²/τ`-Lipschitz in `ν`
//! (`B = diag(w) A`, `A` the group × candidate cover matrix). FISTA with gradient restarts
//! minimises it; every few steps the exact `L(ν)` is evaluated, and the least one found is
//! what the caller gets: any `ν` in the box gives a valid bound, so smoothing only guides
//! the search.

use std::time::Instant;

use rayon::prelude::*;

use super::lagbb::Rows;

/// One node's restriction of the covering problem.
pub(crate) struct NodeView<'a> {
    pub weights: &'a [f64],
    /// Per candidate, the groups it covers.
    pub groups_of: &'a Rows,
    /// Groups some free candidate can still cover (the others take no part).
    pub active: &'a [bool],
    pub free: &'a [u32],
    pub kp: usize,
    pub v_in: f64,
}

/// How long to run.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Budget {
    pub max_steps: usize,
    /// Stop when the best exact bound has fallen by less than this over `window` steps.
    pub min_gain: f64,
    pub window: usize,
    /// Stop as soon as the bound is below this (the node can be pruned).
    pub prune_below: f64,
    pub deadline: Instant,
}

/// The smoothing's width `τ`, per unit of mean group weight: the smoothed bound is within
/// `τ k'/2` of the exact one.
const TAU_PER_WEIGHT: f64 = 0.3;
/// Steps between evaluations of the exact bound.
const EXACT_EVERY: usize = 8;

impl NodeView<'_> {
    /// `c_j` of every free candidate for multipliers `w ∘ nu`.
    fn scores(&self, nu: &[f64], c: &mut Vec<f64>) {
        self.free
            .par_iter()
            .with_min_len(256)
            .map(|&j| {
                self.groups_of
                    .row(j as usize)
                    .iter()
                    .filter(|&&g| self.active[g as usize])
                    .map(|&g| self.weights[g as usize] * nu[g as usize])
                    .sum::<f64>()
            })
            .collect_into_vec(c);
    }

    /// The exact bound `L(ν)` from the scores `c` of `nu`.
    fn exact_bound(&self, nu: &[f64], c: &[f64], scratch: &mut Vec<f64>) -> f64 {
        let free_term: f64 = (self.active.iter().zip(self.weights).zip(nu))
            .filter(|((a, _), _)| **a)
            .map(|((_, w), n)| w * (1.0 - n))
            .sum();
        self.v_in + free_term + top_sum(c, self.kp, scratch)
    }

    /// `‖B‖²` (largest eigenvalue of `BᵀB`, `B = diag(w) A` over the active groups and free
    /// candidates) by power iteration, with 10 % added for the iteration's shortfall.
    fn norm2(&self) -> f64 {
        let n_groups = self.weights.len();
        let mut v = vec![1.0; self.free.len()];
        let mut u = vec![0.0; n_groups];
        let mut c = Vec::new();
        let mut lambda = 1.0;
        for _ in 0..30 {
            u.iter_mut().for_each(|x| *x = 0.0);
            for (&j, &vj) in self.free.iter().zip(&v) {
                for &g in self.groups_of.row(j as usize) {
                    if self.active[g as usize] {
                        u[g as usize] += self.weights[g as usize] * vj;
                    }
                }
            }
            // Bᵀu: the scores of w ∘ u.
            self.scores(&u, &mut c);
            let norm = c.iter().map(|x| x * x).sum::<f64>().sqrt();
            if norm == 0.0 {
                return 1.0;
            }
            let dot: f64 = c.iter().zip(&v).map(|(a, b)| a * b).sum();
            let vnorm2: f64 = v.iter().map(|x| x * x).sum();
            lambda = dot / vnorm2;
            v.iter_mut().zip(&c).for_each(|(x, y)| *x = y / norm);
        }
        lambda.max(1e-12) * 1.1
    }
}

/// The `k` largest of `c` (`1 ≤ k ≤ c.len()`), the smallest of them last, in `scratch`.
fn largest<'s>(c: &[f64], k: usize, scratch: &'s mut Vec<f64>) -> &'s [f64] {
    scratch.clear();
    scratch.extend_from_slice(c);
    scratch.select_nth_unstable_by(k - 1, |a, b| b.total_cmp(a));
    &scratch[..k]
}

/// The sum of the `k` largest of `c` (`scratch` is overwritten).
fn top_sum(c: &[f64], k: usize, scratch: &mut Vec<f64>) -> f64 {
    match k {
        0 => 0.0,
        k if k >= c.len() => c.iter().sum(),
        k => largest(c, k, scratch).iter().sum(),
    }
}

/// The smoothed top-`k` maximiser: `z = clip((c − μ)/τ, 0, 1)` with `Σ z = k`, as the
/// candidates (positions in `c`) with `z > 0` and their `z`.
fn smoothed_choice(c: &[f64], k: usize, tau: f64, scratch: &mut Vec<f64>) -> Vec<(usize, f64)> {
    if k >= c.len() {
        return (0..c.len()).map(|i| (i, 1.0)).collect();
    }
    if k == 0 {
        return Vec::new();
    }
    let kth = largest(c, k, scratch)[k - 1];
    // Σ z ≥ k at μ = kth − τ and ≤ k at μ = kth; only scores above kth − τ matter.
    let near: Vec<(usize, f64)> = (c.iter().enumerate())
        .filter(|(_, x)| **x > kth - tau)
        .map(|(i, &x)| (i, x))
        .collect();
    let sum_at = |mu: f64| -> f64 {
        near.iter()
            .map(|&(_, x)| ((x - mu) / tau).clamp(0.0, 1.0))
            .sum()
    };
    let (mut lo, mut hi) = (kth - tau, kth);
    for _ in 0..50 {
        let mid = 0.5 * (lo + hi);
        if sum_at(mid) > k as f64 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let mu = 0.5 * (lo + hi);
    near.into_iter()
        .map(|(i, x)| (i, ((x - mu) / tau).clamp(0.0, 1.0)))
        .filter(|&(_, z)| z > 0.0)
        .collect()
}

/// Minimises the bound from `lambda` (multipliers in `[0, w]`, entries of inactive groups
/// ignored), and leaves in `lambda` the multipliers of the least exact bound found, which
/// it returns. Never worse than the bound of the `lambda` it was given.
pub(crate) fn descend(view: &NodeView<'_>, lambda: &mut [f64], budget: Budget) -> f64 {
    let n_groups = view.weights.len();
    let active_weight: f64 = (view.active.iter().zip(view.weights))
        .filter(|(a, _)| **a)
        .map(|(_, w)| w)
        .sum();
    let n_active = view.active.iter().filter(|a| **a).count().max(1);
    let tau = TAU_PER_WEIGHT * active_weight / n_active as f64;
    let step = tau / view.norm2();
    let mut nu: Vec<f64> = (lambda.iter().zip(view.weights))
        .map(|(l, w)| {
            if *w > 0.0 {
                (l / w).clamp(0.0, 1.0)
            } else {
                0.0
            }
        })
        .collect();
    let (mut c, mut scratch) = (Vec::new(), Vec::new());
    view.scores(&nu, &mut c);
    let mut best = (view.exact_bound(&nu, &c, &mut scratch), nu.clone());
    let mut y = nu.clone();
    let mut next = vec![0.0; n_groups];
    let mut grad = vec![0.0; n_groups];
    let (mut t_k, mut mark) = (1.0f64, (0usize, best.0));
    for step_no in 1..=budget.max_steps {
        if Instant::now() >= budget.deadline || best.0 < budget.prune_below {
            break;
        }
        view.scores(&y, &mut c);
        gradient(view, &c, tau, &mut grad, &mut scratch);
        for g in 0..n_groups {
            next[g] = if view.active[g] {
                (y[g] - step * grad[g]).clamp(0.0, 1.0)
            } else {
                y[g]
            };
        }
        let t_next = 0.5 * (1.0 + (1.0 + 4.0 * t_k * t_k).sqrt());
        let beta = (t_k - 1.0) / t_next;
        let uphill: f64 = (0..n_groups).map(|g| grad[g] * (next[g] - nu[g])).sum();
        if uphill > 0.0 {
            // Restart: the momentum points uphill.
            t_k = 1.0;
            y.copy_from_slice(&next);
        } else {
            t_k = t_next;
            for g in 0..n_groups {
                y[g] = next[g] + beta * (next[g] - nu[g]);
            }
        }
        std::mem::swap(&mut nu, &mut next);
        if step_no % EXACT_EVERY == 0 {
            view.scores(&nu, &mut c);
            let l = view.exact_bound(&nu, &c, &mut scratch);
            if l < best.0 {
                best = (l, nu.clone());
            }
            if step_no - mark.0 >= budget.window {
                if mark.1 - best.0 < budget.min_gain {
                    break;
                }
                mark = (step_no, best.0);
            }
        }
    }
    for (l, (n, w)) in lambda.iter_mut().zip(best.1.iter().zip(view.weights)) {
        *l = n * w;
    }
    best.0
}

/// The smoothed bound's gradient in `ν` at the scores `c`: `w_g (Σ_{j ∋ g} z_j − 1)` over
/// the active groups.
fn gradient(view: &NodeView<'_>, c: &[f64], tau: f64, grad: &mut [f64], scratch: &mut Vec<f64>) {
    for (g, d) in grad.iter_mut().enumerate() {
        *d = if view.active[g] {
            -view.weights[g]
        } else {
            0.0
        };
    }
    for (i, z) in smoothed_choice(c, view.kp, tau, scratch) {
        for &g in view.groups_of.row(view.free[i] as usize) {
            if view.active[g as usize] {
                grad[g as usize] += view.weights[g as usize] * z;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_smoothed_choice_sums_to_k_and_favours_high_scores() {
        let c = [5.0, 4.9, 4.0, 1.0, 0.5];
        let mut s = Vec::new();
        let z = smoothed_choice(&c, 2, 0.3, &mut s);
        let total: f64 = z.iter().map(|p| p.1).sum();
        assert!((total - 2.0).abs() < 1e-9, "{z:?}");
        assert!(z.iter().all(|&(i, _)| i <= 1), "{z:?}");
        // Near ties share: with a wide τ the third shares too.
        let z = smoothed_choice(&c, 2, 3.0, &mut s);
        assert!(z.iter().any(|&(i, _)| i == 2), "{z:?}");
        assert!((z.iter().map(|p| p.1).sum::<f64>() - 2.0).abs() < 1e-9);
    }

    #[test]
    fn top_sum_adds_the_k_largest() {
        let mut s = Vec::new();
        assert_eq!(top_sum(&[1.0, 7.0, 3.0, 5.0], 2, &mut s), 12.0);
        assert_eq!(top_sum(&[1.0, 7.0], 5, &mut s), 8.0);
        assert_eq!(top_sum(&[1.0, 7.0], 0, &mut s), 0.0);
    }
}
