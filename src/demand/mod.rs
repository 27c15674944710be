//! Demand: arrests (or any weights) by postcode or as points, turned into weighted demand
//! points in metres (easting/northing, EPSG:27700 for UK data).

pub mod read;
pub mod spread;
pub mod units;

pub use read::{
    DemandError, PointCrs, looks_like_points, point_columns_are_lonlat, read_counts, read_points,
};
pub use spread::{CountRow, DemandLevel, SpreadReport, Unplaced, residents_as_demand, spread};
pub use units::{SkippedUnit, UnitTable};
