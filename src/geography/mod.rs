//! Geography: UK postcodes, coordinate systems, postcode lookup, area layers, population.

pub mod areas;
pub mod codepoint;
pub mod crs;
pub mod population;
pub mod postcode;
pub mod repair;

pub use areas::{Area, AreaError, AreaLayer, AreaOptions};
pub use codepoint::{CodepointError, LoadReport, PostcodeIndex, PostcodeRecord};
pub use population::{
    LsoaPopulation, PopulationError, PopulationReport, ResidentsByPostcode, UnitPosition,
};
pub use postcode::{Postcode, PostcodeError, PostcodeLevel};
pub use repair::RepairNote;
