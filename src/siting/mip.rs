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

/// Searches `rest` for a solution whose objective reaches `beat`, until `deadline`.
pub(crate) fn search(rest: &Rest, beat: f64, deadline: Instant) -> Result<Found, String> {
    let mut model = model_of(rest).optimise(Sense::Minimise);
    let seconds = deadline
        .saturating_duration_since(Instant::now())
        .as_secs_f64();
    let options: [(&str, f64); 3] = [
        ("time_limit", seconds.max(0.001)),
        // The cut-off, in the minimised objective −Σ w y.
        ("objective_bound", -beat),
        ("mip_rel_gap", 0.0),
    ];
    for (name, value) in options {
        (model.try_set_option(name, value)).map_err(|e| format!("HiGHS option {name}: {e:?}"))?;
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
    let nodes = solved.int_info_value(c"mip_node_count").unwrap_or(0).max(0) as usize;
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

fn has_solution(solved: &highs::SolvedModel) -> bool {
    solved.primal_solution_status() == highs::HighsSolutionStatus::Feasible
}
