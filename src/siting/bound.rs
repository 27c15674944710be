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
    let by_length = by_row_length(inst);
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
        let (value, sites) = evaluate(inst, &by_length, &lambda, k);
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
fn evaluate(
    inst: &CoveringInstance,
    by_length: &[usize],
    lambda: &[f64],
    k: usize,
) -> (f64, Vec<usize>) {
    let free: f64 = inst
        .weights
        .iter()
        .zip(lambda)
        .map(|(w, l)| (w - l).max(0.0))
        .sum();
    let mut scores: Vec<(f64, usize)> = covered_sums(inst, by_length, lambda)
        .into_iter()
        .enumerate()
        .map(|(j, s)| (s, j))
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

/// For each candidate, the sum of `values` over the demand it covers: each sum added in
/// the order of its demand from −0.0, as [`Iterator::sum`] adds (the same bits), four
/// candidates of `by_length` at a time, so that the processor overlaps four chains of
/// additions instead of waiting on one.
fn covered_sums(inst: &CoveringInstance, by_length: &[usize], values: &[f64]) -> Vec<f64> {
    let mut sums = vec![0.0; by_length.len()];
    let mut fours = by_length.chunks_exact(4);
    for four in fours.by_ref() {
        let rows = [0, 1, 2, 3].map(|l| inst.demand_covered_by(four[l]));
        for (l, s) in sums_of_four(rows, values).into_iter().enumerate() {
            sums[four[l]] = s;
        }
    }
    for &c in fours.remainder() {
        sums[c] = inst
            .demand_covered_by(c)
            .iter()
            .map(|&i| values[i as usize])
            .sum();
    }
    sums
}

/// The candidates in order of how much demand each covers: four of about the same length
/// are summed side by side.
fn by_row_length(inst: &CoveringInstance) -> Vec<usize> {
    let mut order: Vec<usize> = (0..inst.candidates.len()).collect();
    order.sort_by_key(|&c| inst.demand_covered_by(c).len());
    order
}

/// The sums of `values` over four rows of indices, each in its row's order from −0.0.
/// Kept out of line: inlined into the subgradient loop, its four sums lived in memory, and
/// the loop ran slower than one chain of additions.
#[inline(never)]
fn sums_of_four(rows: [&[u32]; 4], values: &[f64]) -> [f64; 4] {
    let common = rows.iter().map(|r| r.len()).min().unwrap_or(0);
    let [a, b, c, d] = rows.map(|r| &r[..common]);
    let (mut sa, mut sb, mut sc, mut sd) = (-0.0, -0.0, -0.0, -0.0);
    for (((&ia, &ib), &ic), &id) in a.iter().zip(b).zip(c).zip(d) {
        sa += values[ia as usize];
        sb += values[ib as usize];
        sc += values[ic as usize];
        sd += values[id as usize];
    }
    let mut sums = [sa, sb, sc, sd];
    for (s, row) in sums.iter_mut().zip(rows) {
        for &i in &row[common..] {
            *s += values[i as usize];
        }
    }
    sums
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
    fn covered_sums_are_the_bits_of_iterator_sum() {
        // Values whose sum depends on the order of its terms, −0.0 and 0 terms, and rows
        // of many lengths (about 15 to 90 points here; empty rows are checked below).
        let odd = [1e16, -0.0, 1.0, -1e16, 0.1, 3.0, -0.0, 1e-300, 7.5];
        for (seed, n_cand) in [(1, 0), (2, 3), (3, 4), (4, 13), (5, 50)] {
            let inst = random_instance(seed as u64, 300, n_cand);
            let values: Vec<f64> = (0..300).map(|i| odd[(i * 7 + seed) % odd.len()]).collect();
            let sums = covered_sums(&inst, &by_row_length(&inst), &values);
            assert_eq!(sums.len(), n_cand);
            for (j, got) in sums.iter().enumerate() {
                let row = inst.demand_covered_by(j).iter();
                let want: f64 = row.map(|&i| values[i as usize]).sum();
                assert_eq!(got.to_bits(), want.to_bits(), "seed {seed} candidate {j}");
            }
        }
        let empty: [&[u32]; 4] = [&[], &[0], &[], &[1, 0]];
        let s = sums_of_four(empty, &[-0.0, 2.0]);
        assert_eq!(
            s.map(f64::to_bits),
            [-0.0, -0.0, -0.0, 2.0].map(f64::to_bits)
        );
    }

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
