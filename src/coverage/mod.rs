//! Coverage: which demand lies within walking radius of a counted AED.
//!
//! `engine` (R-tree, nearest facility, covered at each radius) → `criticality` (sole cover
//! per facility) → `hours` (availability through the week) → `stats` (per-area figures) →
//! `gaps` (uncovered land). Everything is in metres in one metric CRS.

pub mod circles;
pub mod criticality;
pub mod engine;
pub mod gaps;
pub mod hours;
pub mod scan;
pub mod scenario;
pub mod stats;

pub use criticality::{Criticality, criticality};
pub use engine::{
    ConfigError, CoverageConfig, CoverageResult, DemandPoint, DemandSums, Facility, FacilityIndex,
    Neighbours, PointCoverage, RadiusTotals, assess, assess_brute_force, pct,
};
pub use gaps::{Gap, gaps, gaps_outside};
pub use hours::{
    HoursSource, MissingHoursRule, WeekAvailability, WeekCoverage, availability, week_coverage,
};
pub use scan::{Scan, ScanWants, scan};
pub use scenario::{
    CountedRule, ReadyRule, Scenario, Selection, SelectionCounts, is_ready, select, to_bng,
};
pub use stats::{AreaInput, AreaRadiusStats, AreaStats, LandWithin, area_stats, locate_points};
