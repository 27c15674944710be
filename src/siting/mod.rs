//! Siting: where new cabinets would cover the most demand (arrests by default), with the
//! existing AEDs kept in place.
//!
//! [`CoveringInstance`] holds sparse coverage lists built from an R-tree; [`greedy()`] is the
//! lazy greedy solver for any size, with the bounds it proves; [`exact()`] is the exact solver
//! (a pure-Rust Lagrangian branch and bound, [`lagbb`]) with a time limit kept on every path
//! and a proven gap; [`budget`] turns a budget in
//! pounds into a number of sites and prices the result.

pub mod bound;
pub mod bounds;
pub mod budget;
pub mod exact;
pub mod greedy;
pub mod instance;
pub mod lagbb;
pub mod local;
#[cfg(feature = "highs")]
mod mip;
pub mod report;
mod smooth;

pub use bound::{LagrangianBound, lagrangian_bound};
pub use bounds::{fewest_sites, upper_bounds_by_k};
pub use budget::{CostModel, CostPerArrest, SiteCost};
pub use exact::{ExactOptions, ExactResult, ExactStatus, Reduction, exact, mip_solver};
pub use greedy::{GreedyResult, RankedSite, greedy};
pub use instance::{
    AlreadyCovered, CandidateSite, CoveringInstance, DemandSite, ExistingSite, InstanceOptions,
    NamedSites, Objective, PostcodeLookup, Reach, StraightLine, demand_candidates, grid_candidates,
    read_named_sites,
};
pub use local::{LocalOptions, LocalResult, local_search};
pub use report::{GainPoint, Summary, gain_curve, rank_chosen};

/// What can go wrong when siting.
#[derive(Debug, thiserror::Error)]
pub enum SitingError {
    #[error("{file}:{line}: {reason}")]
    Csv {
        file: String,
        line: u64,
        reason: String,
    },
    #[error("{0}")]
    BadPoint(String),
    #[error("{0}")]
    BadOption(String),
    #[error("{0}")]
    Input(String),
    #[error("writing output: {0}")]
    Output(String),
    #[error("MIP solver: {0}")]
    Solver(String),
}
