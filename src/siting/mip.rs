//! HiGHS (the `highs` feature) finishes exact siting below the Lagrangian root.
//!
//! The root of [`super::lagbb`] reduces the instance and proves, by reduced-cost fixing,
//! which candidates no solution better than the incumbent can use or can do without. What
//! is left ([`Rest`]: the free candidates, `k'` sites, and the uncovered demand sets merged
//! by the free candidates that reach them) goes to HiGHS as
//!
//! ```text
//! maximise   Σ_s w_s · y_s
//! subject to y_s ≤ Σ_{j ∈ N(s)} x_j   for every demand set s
//!            Σ_j x_j ≤ k'
//!            x_j ∈ {0, 1},  0 ≤ y_s ≤ 1
//! ```
//!
//! with the incumbent as a cut-off: HiGHS prunes every node that cannot reach `beat`, the
//! least a better solution reaches, so a search that ends proves the incumbent optimal or
//! returns a better solution. The time limit is what is left of the caller's.

use std::time::Instant;

use highs::{ColProblem, HighsModelStatus, Sense};

use super::lagbb::Rest;

/// What HiGHS returned.
#[derive(Debug, Clone)]
pub(crate) struct Found {
    /// A solution HiGHS found (positions in `Rest::free`), to be valued by the caller.
    pub chosen: Option<Vec<u32>>,
    /// The search ended: no solution reaching `beat` exists beyond `chosen`.
    pub complete: bool,
    /// When stopped: HiGHS's bound on the rest's objective (+∞ before it has one).
    pub bound: f64,
    /// Branch-and-bound nodes HiGHS solved.
    pub nodes: usize,
}

/// What HiGHS need not do here. Its primal heuristics look for a first good solution, and
/// the incumbent (local search's, on Leicester the optimum) is already the cut-off: their
/// sub-MIPs took 18 s of a 165 s proof. Symmetry detection took about 10 s and found nothing
/// the reduction had not merged (the same 619 nodes without it). On Leicester the proof
/// went from 174 s to 107 s.
const SWITCHED_OFF: [&str; 7] = [
    "mip_detect_symmetry",
    "mip_heuristic_run_feasibility_jump",
    "mip_heuristic_run_rens",
    "mip_heuristic_run_rins",
    "mip_heuristic_run_root_reduced_cost",
    "mip_heuristic_run_shifting",
    "mip_heuristic_run_zi_round",
];

/// Searches `rest` for a solution whose objective reaches `beat`, until `deadline`.
pub(crate) fn search(rest: &Rest, beat: f64, deadline: Instant) -> Result<Found, String> {
    let mut model = model_of(rest).optimise(Sense::Minimise);
    let seconds = deadline
        .saturating_duration_since(Instant::now())
        .as_secs_f64();
    let numbers: [(&str, f64); 4] = [
        ("time_limit", seconds.max(0.001)),
        // The cut-off, in the minimised objective −Σ w y.
        ("objective_bound", -beat),
        ("mip_rel_gap", 0.0),
        ("mip_heuristic_effort", 0.0),
    ];
    for (name, value) in numbers {
        (model.try_set_option(name, value)).map_err(|e| format!("HiGHS option {name}: {e:?}"))?;
    }
    for name in SWITCHED_OFF {
        (model.try_set_option(name, false)).map_err(|e| format!("HiGHS option {name}: {e:?}"))?;
    }
    model.make_quiet();
    let solved = model.try_solve().map_err(|e| format!("HiGHS: {e:?}"))?;
    let chosen = has_solution(&solved).then(|| {
        let solution = solved.get_solution();
        let x = &solution.columns()[..rest.free.len()];
        (0..x.len() as u32)
            .filter(|&at| x[at as usize] > 0.5)
            .collect()
    });
    let complete = matches!(
        solved.status(),
        HighsModelStatus::Optimal | HighsModelStatus::Infeasible | HighsModelStatus::ObjectiveBound
    );
    let bound = match solved.double_info_value(c"mip_dual_bound") {
        Ok(b) if b.is_finite() => -b,
        _ => f64::INFINITY,
    };
    let nodes = node_count(&solved);
    Ok(Found {
        chosen,
        complete,
        bound,
        nodes,
    })
}

/// The columns: `x` (binary, one per free candidate), then `y` (one per demand set).
fn model_of(rest: &Rest) -> ColProblem {
    let mut pb = ColProblem::default();
    let set_rows: Vec<_> = (rest.sets.iter()).map(|_| pb.add_row(..=0.0)).collect();
    let sites = pb.add_row(..=rest.kp as f64);
    let mut rows_of: Vec<Vec<(highs::Row, f64)>> = vec![vec![(sites, 1.0)]; rest.free.len()];
    for ((_, free_at), &row) in rest.sets.iter().zip(&set_rows) {
        for &at in free_at {
            rows_of[at as usize].push((row, -1.0));
        }
    }
    for factors in rows_of {
        pb.add_integer_column(0.0, 0.0..=1.0, factors);
    }
    for ((w, _), &row) in rest.sets.iter().zip(&set_rows) {
        pb.add_column(-w, 0.0..=1.0, [(row, 1.0)]);
    }
    pb
}

/// HiGHS's node count, an `int64` info value, which the `highs` crate's `int_info_value`
/// cannot read (0 if HiGHS does not give it).
fn node_count(solved: &highs::SolvedModel) -> usize {
    let mut n: i64 = 0;
    // SAFETY: `solved` owns a live HiGHS instance for the whole call; the name is a
    // NUL-terminated C string and `n` a valid i64 to write.
    let status = unsafe {
        highs_sys::Highs_getInt64InfoValue(solved.as_ptr(), c"mip_node_count".as_ptr(), &mut n)
    };
    if status == highs_sys::kHighsStatusOk {
        n.max(0) as usize
    } else {
        0
    }
}

fn has_solution(solved: &highs::SolvedModel) -> bool {
    solved.primal_solution_status() == highs::HighsSolutionStatus::Feasible
}
