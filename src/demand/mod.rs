//! Demand: arrests (or any weights) by postcode or as points, turned into weighted demand
//! points in metres (easting/northing, EPSG:27700 for UK data).

pub mod read;
pub mod spread;
pub mod units;

pub use read::{
    DemandError, DemandRows, PointCrs, looks_like_points, point_columns_are_lonlat, read_counts,
    read_counts_with, read_points, read_points_with,
};
pub use spread::{CountRow, DemandLevel, SpreadReport, Unplaced, residents_as_demand, spread};
pub use units::{SkippedUnit, UnitTable};
