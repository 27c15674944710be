//! Lagrangian branch and bound for maximal covering (pure Rust, no LP solver).
//!
//! The problem (on the reduced instance: demand groups `g` with weights `w_g`, candidates
//! `j` covering groups `C(j)`): maximise `Σ w_g y_g` subject to `y_g ≤ Σ_{j ∋ g} x_j`,
//! `Σ x_j ≤ k`, `x` binary, `0 ≤ y ≤ 1`. At a node some candidates are fixed in (set `I`,
//! covering weight `v_I`) and some out; `k' = k − |I|` sites remain. Relaxing the cover
//! constraints of the groups `I` does not cover with multipliers `0 ≤ λ_g ≤ w_g` gives, for
//! any such `λ`, the bound
//!
//! `L(λ) = v_I + Σ_g (w_g − λ_g) + (sum of the k' largest c_j)`, `c_j = Σ_{g ∈ C(j)} λ_g`
//!
//! over the free candidates and the groups some free candidate covers (a group no free
//! candidate covers cannot be covered in the subtree). At the root, accelerated gradient
//! steps on a smoothed form of `L` (the private module `siting::smooth`) bring it to the LP
//! bound, where subgradient steps alone stall well above it; subgradient steps then tighten
//! each node's bound, and the parent's multipliers warm-start each child.
//!
//! **Reduced-cost fixing.** With the best multipliers of a node, forcing a free candidate `j`
//! outside the `k'` best into the solution gives the bound `L − c_[k'] + c_j`, and forcing
//! one of the `k'` best out gives `L − c_j + c_[k'+1]` (the same `λ`, a valid bound of the
//! restricted problem). When that falls below what the incumbent (or the pass's level)
//! already achieves, `j` is fixed out (or in) for the whole subtree. Then the node is re-solved; when nothing more is
//! fixed it branches on the free candidate with the largest `c_j` among the `k'` best, the
//! "in" child first (depth first).
//!
//! **Pruning.** A node is dropped as soon as some `L(λ)` cannot beat the incumbent: below
//! `best + 1` when every weight is a whole number (the objective is then integral), else
//! below `best · (1 + 1e-9)`. Every Lagrangian solution (the fixed-in sites plus the `k'`
//! best) is evaluated as a solution and can replace the incumbent.
//!
//! **Passes.** Below the root the tree is searched in passes, each against a level below
//! the root's bound: a pass prunes every node that cannot beat its level, so when it ends it
//! proves the optimum does not exceed that level. The levels step down (by one unit for a
//! whole-number objective) to the last pass, the full search against the incumbent. The
//! early passes are small; what they add is that a search stopped by the clock still quotes
//! the lowest level it proved rather than the root's bound.
//!
//! **Finishing by MIP** (the `highs` feature). Below the root, HiGHS searches instead of the
//! passes: the root's reductions and fixings leave it a much smaller problem (on Leicester,
//! 1,759 free candidates of 6,461 and 3,711 demand sets of 7,649), and the incumbent as a
//! cut-off (the private module `siting::mip`). When HiGHS fails, the passes search instead.
//!
//! **Stopping.** The clock is read inside the smoothing and subgradient loops; at the
//! deadline the search stops with the incumbent and the best proven bound: the lower of the
//! last level proved and the larger of the current level and the largest bound of any open
//! node (each holds its parent's bound, or its own when it was interrupted).

use std::time::Instant;

use rustc_hash::FxHashMap;
use std::collections::hash_map::Entry;

use super::smooth::{Budget, NodeView, descend};

/// Compressed rows.
#[derive(Debug, Clone, Default)]
pub(crate) struct Rows {
    off: Vec<usize>,
    items: Vec<u32>,
}

impl Rows {
    pub(crate) fn from_rows(rows: &[Vec<u32>]) -> Rows {
        let mut off = Vec::with_capacity(rows.len() + 1);
        off.push(0);
        let mut items = Vec::with_capacity(rows.iter().map(Vec::len).sum());
        for r in rows {
            items.extend_from_slice(r);
            off.push(items.len());
        }
        Rows { off, items }
    }

    fn transpose(&self, n_cols: usize) -> Rows {
        let mut off = vec![0usize; n_cols + 1];
        for &c in &self.items {
            off[c as usize + 1] += 1;
        }
        for i in 1..off.len() {
            off[i] += off[i - 1];
        }
        let mut fill = off.clone();
        let mut items = vec![0u32; self.items.len()];
        for r in 0..self.len() {
            for &c in self.row(r) {
                items[fill[c as usize]] = r as u32;
                fill[c as usize] += 1;
            }
        }
        Rows { off, items }
    }

    fn len(&self) -> usize {
        self.off.len() - 1
    }

    pub(crate) fn row(&self, r: usize) -> &[u32] {
        &self.items[self.off[r]..self.off[r + 1]]
    }
}

/// A reduced covering problem.
#[derive(Debug, Clone)]
pub(crate) struct Problem {
    weights: Vec<f64>,
    /// Per candidate, the groups it covers.
    groups_of: Rows,
}

impl Problem {
    /// `group_candidates[g]`: the candidates (0..n_cand) covering group `g`.
    pub(crate) fn new(weights: Vec<f64>, group_candidates: &[Vec<u32>], n_cand: usize) -> Problem {
        let by_group = Rows::from_rows(group_candidates);
        Problem {
            weights,
            groups_of: by_group.transpose(n_cand),
        }
    }

    pub(crate) fn candidates(&self) -> usize {
        self.groups_of.len()
    }

    /// Covered weight of a set of candidates.
    pub(crate) fn value_of(&self, chosen: &[usize]) -> f64 {
        let mut covered = vec![false; self.weights.len()];
        let mut v = 0.0;
        for &j in chosen {
            for &g in self.groups_of.row(j) {
                if !covered[g as usize] {
                    covered[g as usize] = true;
                    v += self.weights[g as usize];
                }
            }
        }
        v
    }
}

/// What the search found.
#[derive(Debug, Clone)]
pub(crate) struct Outcome {
    /// Best solution found (candidate indices of the problem), ascending.
    pub chosen: Vec<usize>,
    pub value: f64,
    /// Proven upper bound on the optimum (equal to `value` when `complete`).
    pub upper_bound: f64,
    /// The tree was searched to the end: `value` is optimal.
    pub complete: bool,
    pub nodes: usize,
    /// The root's bound and how many candidates it fixed out / in.
    pub root_bound: f64,
    pub root_fixed_out: usize,
    pub root_fixed_in: usize,
}

/// Search settings.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Settings {
    /// Subgradient steps at the root (it stops earlier once converged).
    pub root_steps: usize,
    /// Subgradient steps at every other node.
    pub node_steps: usize,
    /// Accelerated steps on the smoothed bound at the root, before its subgradient steps
    /// ([`super::smooth`]; 0: none).
    pub root_smooth_steps: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            root_steps: 3000,
            node_steps: 15,
            root_smooth_steps: 20_000,
        }
    }
}

#[derive(Clone)]
struct Node {
    /// Decisions below the root: (candidate, in?).
    fixes: Vec<(u32, bool)>,
    lambda: Vec<f64>,
    /// A proven bound on the subtree.
    bound: f64,
    theta: f64,
}

enum Processed {
    Pruned,
    Interrupted,
    Branch(u32),
}

struct Search<'a> {
    p: &'a Problem,
    k: usize,
    integral: bool,
    deadline: Instant,
    best_value: f64,
    best_set: Vec<u32>,
    /// The value the current pass proves the optimum does not exceed (nodes that cannot
    /// beat it are pruned, as nodes that cannot beat the incumbent are); −∞ for the last.
    level: f64,
    /// Subgradient steps at a node below the root.
    node_steps: usize,
    /// Root decisions: 0 free, 1 in, -1 out.
    base: Vec<i8>,
    // Scratch, rebuilt at each node.
    status: Vec<i8>,
    covered: Vec<bool>,
    active: Vec<bool>,
    free: Vec<u32>,
    ins: Vec<u32>,
    v_in: f64,
    scores: Vec<(f64, u32)>,
    hits: Vec<u32>,
    sub: Vec<f64>,
}

/// What is left to decide below the root, for a MIP solver to finish (`siting::mip`, the
/// `highs` feature): the free candidates, `k'` sites among them, and the demand sets none of
/// the fixed-in sites covers, merged when the free candidates reaching them are the same.
#[cfg_attr(not(feature = "highs"), allow(dead_code))]
pub(crate) struct Rest {
    /// Sites still to choose.
    pub kp: usize,
    /// Free candidates (indices of the problem).
    pub free: Vec<u32>,
    /// Per merged demand set, its weight and its free candidates (positions in `free`).
    pub sets: Vec<(f64, Vec<u32>)>,
}

const FREE: i8 = 0;
const IN: i8 = 1;
const OUT: i8 = -1;

impl<'a> Search<'a> {
    fn new(
        p: &'a Problem,
        k: usize,
        start: &[usize],
        deadline: Instant,
        node_steps: usize,
    ) -> Search<'a> {
        let n = p.candidates();
        let n_groups = p.weights.len();
        Search {
            p,
            k: k.min(n),
            integral: p.weights.iter().all(|w| w.fract() == 0.0 && w.abs() < 1e12),
            deadline,
            best_value: p.value_of(start),
            best_set: start.iter().map(|&j| j as u32).collect(),
            level: f64::NEG_INFINITY,
            node_steps,
            base: vec![FREE; n],
            status: vec![FREE; n],
            covered: vec![false; n_groups],
            active: vec![false; n_groups],
            free: Vec::new(),
            ins: Vec::new(),
            v_in: 0.0,
            scores: Vec::new(),
            hits: vec![0; n_groups],
            sub: vec![0.0; n_groups],
        }
    }

    /// The least a subtree's bound must reach to possibly hold a better solution.
    fn threshold(&self) -> f64 {
        let floor = self.best_value.max(self.level);
        if self.integral {
            floor + 1.0 - 1e-6
        } else {
            floor + 1e-9 * floor.abs().max(1.0)
        }
    }

    /// A bound as quoted: rounded down when the objective is integral.
    fn quoted(&self, bound: f64) -> f64 {
        if self.integral {
            (bound + 1e-6).floor()
        } else {
            bound
        }
    }

    /// Rebuilds the node state from the root decisions and `fixes`.
    fn setup(&mut self, fixes: &[(u32, bool)]) {
        let p = self.p;
        self.status.copy_from_slice(&self.base);
        for &(j, on) in fixes {
            self.status[j as usize] = if on { IN } else { OUT };
        }
        self.covered.iter_mut().for_each(|c| *c = false);
        self.active.iter_mut().for_each(|a| *a = false);
        self.free.clear();
        self.ins.clear();
        self.v_in = 0.0;
        for j in 0..p.candidates() {
            match self.status[j] {
                IN => {
                    self.ins.push(j as u32);
                    for &g in p.groups_of.row(j) {
                        if !self.covered[g as usize] {
                            self.covered[g as usize] = true;
                            self.v_in += p.weights[g as usize];
                        }
                    }
                }
                FREE => self.free.push(j as u32),
                _ => {}
            }
        }
        let mut useful = Vec::with_capacity(self.free.len());
        for &j in &self.free {
            let mut any = false;
            for &g in p.groups_of.row(j as usize) {
                if !self.covered[g as usize] {
                    self.active[g as usize] = true;
                    any = true;
                }
            }
            if any {
                useful.push(j);
            }
        }
        self.free = useful;
    }

    /// The node set up last, as a [`Rest`].
    #[cfg_attr(not(feature = "highs"), allow(dead_code))]
    fn rest(&self) -> Rest {
        let mut reach: Vec<Vec<u32>> = vec![Vec::new(); self.p.weights.len()];
        for (at, &j) in self.free.iter().enumerate() {
            for &g in self.p.groups_of.row(j as usize) {
                if self.active[g as usize] {
                    reach[g as usize].push(at as u32);
                }
            }
        }
        let mut index: FxHashMap<Vec<u32>, usize> = FxHashMap::default();
        let mut sets: Vec<(f64, Vec<u32>)> = Vec::new();
        for (g, free_at) in reach.into_iter().enumerate() {
            if free_at.is_empty() {
                continue;
            }
            let w = self.p.weights[g];
            match index.entry(free_at) {
                Entry::Occupied(seen) => sets[*seen.get()].0 += w,
                Entry::Vacant(new) => {
                    sets.push((w, new.key().clone()));
                    new.insert(sets.len() - 1);
                }
            }
        }
        Rest {
            kp: self.k - self.ins.len(),
            free: self.free.clone(),
            sets,
        }
    }

    /// Scores of the free candidates under `lambda`, the `k'` best first (the first `k'+1`
    /// entries of `scores` are the largest, the first `k'` of them in any order).
    fn score(&mut self, lambda: &[f64], kp: usize) -> (f64, f64) {
        let p = self.p;
        self.scores.clear();
        for &j in &self.free {
            let c: f64 = p
                .groups_of
                .row(j as usize)
                .iter()
                .filter(|&&g| self.active[g as usize])
                .map(|&g| lambda[g as usize])
                .sum();
            self.scores.push((c, j));
        }
        let cmp = |a: &(f64, u32), b: &(f64, u32)| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1));
        let n = self.scores.len();
        if kp < n {
            self.scores.select_nth_unstable_by(kp, cmp);
            let next = self.scores[kp].0;
            if kp > 0 {
                self.scores[..kp].select_nth_unstable_by(kp - 1, cmp);
            }
            let kth = if kp > 0 { self.scores[kp - 1].0 } else { 0.0 };
            (kth, next)
        } else {
            (0.0, 0.0)
        }
    }

    fn free_term(&self, lambda: &[f64]) -> f64 {
        self.active
            .iter()
            .zip(&self.p.weights)
            .zip(lambda)
            .filter(|((a, _), _)| **a)
            .map(|((_, w), l)| w - l)
            .sum()
    }

    /// Evaluates the fixed-in sites plus `top` as a solution; keeps it if better.
    fn offer(&mut self, top: &[u32]) {
        let p = self.p;
        let mut v = self.v_in;
        for &j in top {
            for &g in p.groups_of.row(j as usize) {
                let g = g as usize;
                if self.active[g] && self.hits[g] == 0 {
                    v += p.weights[g];
                }
                self.hits[g] += 1;
            }
        }
        for &j in top {
            for &g in p.groups_of.row(j as usize) {
                self.hits[g as usize] = 0;
            }
        }
        if v > self.best_value + 1e-9 * self.best_value.abs().max(1.0) {
            self.best_value = v;
            self.best_set = self.ins.iter().chain(top).copied().collect();
        }
    }

    /// Lowers the node's bound from `lambda` by steps on its smoothed form; returns the
    /// least bound found (its multipliers left in `lambda`).
    fn smooth(&mut self, lambda: &mut [f64], kp: usize, max_steps: usize) -> f64 {
        let view = NodeView {
            weights: &self.p.weights,
            groups_of: &self.p.groups_of,
            active: &self.active,
            free: &self.free,
            kp,
            v_in: self.v_in,
        };
        let window = (max_steps / 20).clamp(40, 1000);
        let budget = Budget {
            max_steps,
            min_gain: 0.01,
            window,
            prune_below: self.threshold(),
            deadline: self.deadline,
        };
        descend(&view, lambda, budget)
    }

    /// Subgradient steps on the node, fixing, and the branching choice.
    fn process(&mut self, node: &mut Node, (steps, mut smooth_steps): (usize, usize)) -> Processed {
        let p = self.p;
        loop {
            self.setup(&node.fixes);
            let kp = self.k - self.ins.len();
            if kp == 0 || self.free.len() <= kp {
                // No site left, or every useful free candidate fits: optimal for the node.
                let all = if kp == 0 {
                    Vec::new()
                } else {
                    self.free.clone()
                };
                self.offer(&all);
                return Processed::Pruned;
            }
            if smooth_steps > 0 {
                let bound = self.smooth(&mut node.lambda, kp, smooth_steps);
                node.bound = node.bound.min(bound);
                smooth_steps = 0;
            }
            let lambda = &mut node.lambda;
            for (l, &w) in lambda.iter_mut().zip(&p.weights) {
                *l = l.clamp(0.0, w);
            }
            node.theta = node.theta.max(0.01);
            let mut best_l = f64::INFINITY;
            let mut best_lambda = lambda.clone();
            let mut since = 0;
            for t in 0..steps {
                if t % 4 == 0 && Instant::now() >= self.deadline {
                    node.bound = node.bound.min(best_l);
                    *lambda = best_lambda;
                    return Processed::Interrupted;
                }
                self.score(lambda, kp);
                let top: Vec<u32> = self.scores[..kp].iter().map(|s| s.1).collect();
                let l_val = self.v_in
                    + self.free_term(lambda)
                    + self.scores[..kp].iter().map(|s| s.0).sum::<f64>();
                self.offer(&top);
                if l_val < best_l - 1e-12 * l_val.abs().max(1.0) {
                    best_l = l_val;
                    best_lambda.copy_from_slice(lambda);
                    since = 0;
                } else {
                    since += 1;
                    if since >= if steps > 100 { 20 } else { 5 } {
                        node.theta /= 2.0;
                        since = 0;
                    }
                }
                if best_l.min(node.bound) < self.threshold() {
                    return Processed::Pruned;
                }
                if node.theta < 1e-6 {
                    break;
                }
                // Subgradient over the active groups, each step scaled by the weight (for unit
                // weights: as if the merged demand points kept multipliers of their own).
                for &j in &top {
                    for &g in p.groups_of.row(j as usize) {
                        self.hits[g as usize] += 1;
                    }
                }
                let mut norm2 = 0.0;
                for (g, s) in self.sub.iter_mut().enumerate() {
                    *s = if self.active[g] {
                        let d =
                            self.hits[g] as f64 - if lambda[g] < p.weights[g] { 1.0 } else { 0.0 };
                        norm2 += p.weights[g] * d * d;
                        d * p.weights[g]
                    } else {
                        0.0
                    };
                }
                for &j in &top {
                    for &g in p.groups_of.row(j as usize) {
                        self.hits[g as usize] = 0;
                    }
                }
                if norm2 == 0.0 {
                    break; // the relaxed solution is feasible, hence optimal for the node
                }
                let target = self.best_value;
                let step = node.theta * (l_val - target).max(1e-9) / norm2;
                for (g, l) in lambda.iter_mut().enumerate() {
                    if self.sub[g] != 0.0 {
                        *l = (*l - step * self.sub[g]).clamp(0.0, p.weights[g]);
                    }
                }
            }
            lambda.copy_from_slice(&best_lambda);
            node.bound = node.bound.min(best_l);
            // Reduced-cost fixing with the best multipliers.
            let (kth, next) = self.score(lambda, kp);
            let l_val = self.v_in
                + self.free_term(lambda)
                + self.scores[..kp].iter().map(|s| s.0).sum::<f64>();
            let bound = l_val.min(node.bound);
            node.bound = bound;
            if bound < self.threshold() {
                return Processed::Pruned;
            }
            let thr = self.threshold();
            let mut fixed = 0;
            for (r, &(c, j)) in self.scores.iter().enumerate() {
                if r < kp {
                    if l_val - c + next < thr {
                        node.fixes.push((j, true));
                        fixed += 1;
                    }
                } else if l_val - kth + c < thr {
                    node.fixes.push((j, false));
                    fixed += 1;
                }
            }
            if fixed > 0 {
                continue;
            }
            let branch = self.scores[..kp]
                .iter()
                .max_by(|a, b| a.0.total_cmp(&b.0).then(b.1.cmp(&a.1)))
                .map(|s| s.1)
                .expect("kp > 0");
            return Processed::Branch(branch);
        }
    }
}

/// The levels of the passes after the root, each proving (when it ends in time) that the
/// optimum does not exceed it: for a whole-number objective the whole numbers from just
/// under the root's bound down to above the incumbent's value (every one, or at most eight
/// evenly spaced); otherwise halfway, a quarter and an eighth of the way from the incumbent
/// to the root's bound. The last level, −∞, is the full search against the incumbent. Early
/// passes are cheap, and each one that ends lowers the bound a time limit quotes.
fn levels(s: &Search<'_>, root_bound: f64) -> Vec<f64> {
    let best = s.best_value;
    let mut out: Vec<f64> = if s.integral {
        // At most eight passes before the last: steps of a whole number of units.
        let top = s.quoted(root_bound) - 1.0;
        let step = ((top - best) / 8.0).ceil().max(1.0);
        let n = ((top - best) / step).ceil().max(0.0) as usize;
        (0..n).map(|i| top - i as f64 * step).collect()
    } else {
        [0.5, 0.25, 0.125]
            .iter()
            .map(|f| best + f * (root_bound - best))
            .collect()
    };
    out.push(f64::NEG_INFINITY);
    out
}

/// The two children of `node` on candidate `j`, "out" then "in" (the top of a stack), each
/// from the parent's multipliers and bound.
fn children(node: Node, j: u32) -> [Node; 2] {
    let theta = node.theta.max(0.05);
    let mut out = Node {
        theta,
        ..node.clone()
    };
    out.fixes.push((j, false));
    let mut inside = Node { theta, ..node };
    inside.fixes.push((j, true));
    [out, inside]
}

/// The passes below a root that branches on `j`, level after level until one is stopped
/// by the clock. Returns the bound they prove and whether the last, full pass ended.
fn passes(s: &mut Search<'_>, root: &Node, j: u32, nodes: &mut usize) -> (f64, bool) {
    let mut proven = s.quoted(root.bound);
    for level in levels(s, root.bound) {
        s.level = level;
        let open = search(s, children(root.clone(), j).into(), nodes);
        let reached = s.quoted(level.max(s.best_value));
        match open {
            None if level == f64::NEG_INFINITY => return (reached, true),
            None => proven = reached,
            Some(open) => return (proven.min(open.max(reached)), false),
        }
    }
    (proven, false)
}

/// One depth-first pass from `stack` at the search's level. `None` when it ends; when the
/// clock stops it, the largest bound of its open nodes (quoted).
fn search(s: &mut Search<'_>, mut stack: Vec<Node>, nodes: &mut usize) -> Option<f64> {
    let node_steps = (s.node_steps, 0);
    while let Some(mut node) = stack.pop() {
        if node.bound < s.threshold() {
            continue;
        }
        if Instant::now() >= s.deadline {
            stack.push(node);
            break;
        }
        *nodes += 1;
        match s.process(&mut node, node_steps) {
            Processed::Pruned => continue,
            Processed::Interrupted => {
                stack.push(node);
                break;
            }
            Processed::Branch(j) => stack.extend(children(node, j)),
        }
    }
    let thr = s.threshold();
    let open = (stack.iter())
        .filter(|nd| nd.bound >= thr)
        .map(|nd| s.quoted(nd.bound))
        .fold(f64::NEG_INFINITY, f64::max);
    (open > f64::NEG_INFINITY).then_some(open)
}

/// With the `highs` feature: HiGHS searches what the root leaves (`siting::mip`) for a
/// solution better than the incumbent, until the deadline. Returns the bound proved and
/// whether the search ended; `None` when HiGHS fails (the passes then search instead).
#[cfg(feature = "highs")]
fn by_mip(s: &mut Search<'_>, root: &Node, nodes: &mut usize) -> Option<(f64, bool)> {
    s.setup(&[]);
    let rest = s.rest();
    let beat = s.threshold() - s.v_in;
    let found = super::mip::search(&rest, beat, s.deadline).ok()?;
    *nodes += found.nodes;
    if let Some(chosen) = &found.chosen {
        let top: Vec<u32> = chosen.iter().map(|&at| rest.free[at as usize]).collect();
        s.offer(&top);
    }
    if found.complete {
        return Some((s.best_value, true));
    }
    let mip = s.quoted(s.v_in + found.bound).max(s.quoted(s.best_value));
    Some((s.quoted(root.bound).min(mip), false))
}

/// Without the `highs` feature the passes search below the root.
#[cfg(not(feature = "highs"))]
fn by_mip(_: &mut Search<'_>, _: &Node, _: &mut usize) -> Option<(f64, bool)> {
    None
}

/// Searches for the best `k` candidates of `p`, starting from the incumbent `start`.
pub(crate) fn solve(
    p: &Problem,
    k: usize,
    start: &[usize],
    deadline: Instant,
    settings: Settings,
) -> Outcome {
    let mut s = Search::new(p, k, start, deadline, settings.node_steps);
    let mut out = Outcome {
        chosen: Vec::new(),
        value: 0.0,
        upper_bound: f64::INFINITY,
        complete: false,
        nodes: 0,
        root_bound: f64::INFINITY,
        root_fixed_out: 0,
        root_fixed_in: 0,
    };
    let total: f64 = p.weights.iter().sum();
    let mut root = Node {
        fixes: Vec::new(),
        lambda: p.weights.clone(),
        bound: total,
        theta: 2.0,
    };
    out.nodes = 1;
    let processed = s.process(&mut root, (settings.root_steps, settings.root_smooth_steps));
    out.root_bound = root.bound.max(s.best_value);
    // The proven bound so far, and whether the search ended.
    let (proven, complete) = match processed {
        Processed::Pruned => (s.best_value, true),
        Processed::Interrupted => (s.quoted(root.bound), false),
        Processed::Branch(j) => {
            // Fixes valid against the incumbent hold at every level above it.
            for &(c, on) in &root.fixes {
                s.base[c as usize] = if on { IN } else { OUT };
                *(if on {
                    &mut out.root_fixed_in
                } else {
                    &mut out.root_fixed_out
                }) += 1;
            }
            root.fixes.clear();
            match by_mip(&mut s, &root, &mut out.nodes) {
                Some(end) => end,
                None => passes(&mut s, &root, j, &mut out.nodes),
            }
        }
    };
    let mut chosen: Vec<usize> = s.best_set.iter().map(|&j| j as usize).collect();
    chosen.sort_unstable();
    chosen.dedup();
    out.value = p.value_of(&chosen);
    out.chosen = chosen;
    out.complete = complete || proven <= out.value;
    out.upper_bound = if out.complete {
        out.value
    } else {
        proven.max(out.value)
    };
    if out.root_bound.is_finite() {
        out.root_bound = s.quoted(out.root_bound);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::siting::greedy::tests::{exhaustive, random_instance};

    fn problem_of(inst: &crate::siting::CoveringInstance) -> Problem {
        let groups: Vec<Vec<u32>> = (0..inst.demand.len())
            .map(|i| inst.candidates_covering(i).to_vec())
            .collect();
        Problem::new(inst.weights.clone(), &groups, inst.candidates.len())
    }

    /// The search finished, found exhaustive search's optimum, and chose at most `k` sites.
    fn assert_proven_optimal(
        o: &Outcome,
        inst: &crate::siting::CoveringInstance,
        k: usize,
        seed: u64,
    ) {
        let opt = exhaustive(inst, k);
        assert!(o.complete, "seed {seed} k {k}");
        let value = o.value;
        assert!(
            (value - opt).abs() < 1e-6,
            "seed {seed} k {k}: {value} vs {opt}"
        );
        assert!(o.chosen.len() <= k);
    }

    #[test]
    fn matches_exhaustive_search_from_an_empty_start() {
        let far = Instant::now() + std::time::Duration::from_secs(3600);
        for seed in 0..30 {
            let inst = random_instance(seed, 40, 14);
            let p = problem_of(&inst);
            for k in 1..=5 {
                let o = solve(&p, k, &[], far, Settings::default());
                assert_proven_optimal(&o, &inst, k, seed);
                assert!((o.upper_bound - o.value).abs() < 1e-9);
            }
        }
    }

    #[test]
    fn matches_exhaustive_search_with_fractional_weights_and_a_start() {
        let far = Instant::now() + std::time::Duration::from_secs(3600);
        for seed in 0..20 {
            let mut inst = random_instance(seed, 40, 14);
            for (i, w) in inst.weights.iter_mut().enumerate() {
                *w = *w * 0.37 + (i % 3) as f64 * 0.011;
            }
            let p = problem_of(&inst);
            for k in 1..=4 {
                let start: Vec<usize> = (0..k).collect();
                let o = solve(&p, k, &start, far, Settings::default());
                assert_proven_optimal(&o, &inst, k, seed);
            }
        }
    }

    #[test]
    fn few_node_steps_still_end_exact() {
        let far = Instant::now() + std::time::Duration::from_secs(3600);
        let settings = Settings {
            root_steps: 3,
            node_steps: 2,
            root_smooth_steps: 0,
        };
        for seed in 0..20 {
            let inst = random_instance(seed, 40, 14);
            let p = problem_of(&inst);
            for k in [2, 3, 4] {
                let o = solve(&p, k, &[], far, settings);
                assert!(o.complete);
                assert!(
                    (o.value - exhaustive(&inst, k)).abs() < 1e-6,
                    "seed {seed} k {k}"
                );
            }
        }
    }

    #[test]
    fn the_smoothed_root_bound_is_valid_and_no_looser_than_subgradient_steps_alone() {
        let far = Instant::now() + std::time::Duration::from_secs(3600);
        let plain = Settings {
            root_smooth_steps: 0,
            ..Settings::default()
        };
        for seed in 0..12 {
            let inst = random_instance(seed, 300, 120);
            let p = problem_of(&inst);
            let k = 6;
            let opt = solve(&p, k, &[], far, Settings::default());
            let sub = solve(&p, k, &[], far, plain);
            assert!(opt.complete && sub.complete, "seed {seed}");
            assert!((opt.value - sub.value).abs() < 1e-9, "seed {seed}");
            assert!(opt.root_bound >= opt.value - 1e-9, "seed {seed}");
            assert!(
                opt.root_bound <= sub.root_bound,
                "seed {seed}: smoothed {} against {}",
                opt.root_bound,
                sub.root_bound
            );
        }
    }

    #[test]
    fn levels_step_down_from_the_root_bound_to_the_incumbent() {
        let inst = random_instance(1, 40, 14);
        let p = problem_of(&inst);
        let far = Instant::now() + std::time::Duration::from_secs(60);
        let mut s = Search::new(&p, 3, &[], far, 15);
        s.best_value = 2833.0;
        let l = levels(&s, 2842.6);
        assert_eq!(
            &l[..8],
            &[
                2841.0, 2840.0, 2839.0, 2838.0, 2837.0, 2836.0, 2835.0, 2834.0
            ]
        );
        assert_eq!(l[8], f64::NEG_INFINITY);
        let l = levels(&s, 2833.9);
        assert_eq!(l, vec![f64::NEG_INFINITY]);
        s.best_value = 100.0;
        let l = levels(&s, 1000.0);
        assert!(
            l.len() <= 9 && l[0] == 999.0 && l[l.len() - 2] > 100.0,
            "{l:?}"
        );
        s.integral = false;
        let l = levels(&s, 180.0);
        assert_eq!(&l[..3], &[140.0, 120.0, 110.0]);
    }

    #[test]
    fn the_rest_merges_the_uncovered_sets_by_the_free_candidates_reaching_them() {
        // Candidates 0..4; sets: {0,1} w1, {1,2} w2, {1,2,3} w4 (3 is out: same free reach as
        // {1,2}), {0} w8 (0 is in: covered), {3} w16 (no free candidate).
        let groups = vec![vec![0, 1], vec![1, 2], vec![1, 2, 3], vec![0], vec![3]];
        let p = Problem::new(vec![1.0, 2.0, 4.0, 8.0, 16.0], &groups, 4);
        let far = Instant::now() + std::time::Duration::from_secs(60);
        let mut s = Search::new(&p, 3, &[], far, 15);
        s.setup(&[(0, true), (3, false)]);
        let rest = s.rest();
        assert_eq!(rest.kp, 2);
        assert_eq!(rest.free, vec![1, 2]);
        // {0,1} is covered by 0; {1,2} and {1,2,3} both reach free positions [0, 1].
        assert_eq!(rest.sets, vec![(6.0, vec![0, 1])]);
    }

    #[test]
    fn a_stopped_search_keeps_a_valid_bound() {
        let inst = random_instance(5, 200, 60);
        let p = problem_of(&inst);
        let now = Instant::now();
        let o = solve(&p, 6, &[0, 1, 2, 3, 4, 5], now, Settings::default());
        assert!(!o.complete);
        assert!(o.upper_bound >= o.value);
        assert!(o.upper_bound.is_finite());
    }
}
