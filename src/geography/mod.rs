//! Geography: UK postcodes, coordinate systems, postcode lookup, area layers, population.

pub mod areas;
pub mod codepoint;
pub mod crs;
pub mod deprivation;
pub mod derive;
pub mod geocode;
pub mod geometry_check;
pub mod pip;
pub mod population;
pub mod postcode;
pub mod repair;

pub use areas::{Area, AreaError, AreaLayer, AreaOptions};
pub use codepoint::{CodepointError, LoadReport, PostcodeIndex, PostcodeRecord};
pub use crs::{Crs, CrsError, CrsSpecError, MetricProjection};
pub use deprivation::{DeprivationError, DeprivationTable, LsoaAges, LsoaDeprivation};
pub use geocode::{GeocodeReport, Resolved, geocode_aeds, resolve};
pub use population::{
    LsoaPopulation, PopulationError, PopulationReport, ResidentsByPostcode, UnitPosition,
};
pub use postcode::{Postcode, PostcodeError, PostcodeLevel};
pub use repair::RepairNote;
