//! Coverage: which demand lies within walking radius of a counted AED.
//!
//! `engine` (R-tree, nearest facility, covered at each radius) → `criticality` (sole cover
//! per facility) → `hours` (availability through the week) → `stats` (per-area figures) →
//! `gaps` (uncovered land). Everything is in metres in one metric CRS.

pub mod criticality;
pub mod engine;

pub use criticality::{Criticality, criticality};
pub use engine::{
    ConfigError, CoverageConfig, CoverageResult, DemandPoint, Facility, FacilityIndex,
    PointCoverage, RadiusTotals, assess, assess_brute_force, pct,
};
