//! Geography: UK postcodes, coordinate systems, postcode lookup, area layers, population.

pub mod codepoint;
pub mod crs;
pub mod postcode;

pub use codepoint::{CodepointError, LoadReport, PostcodeIndex, PostcodeRecord};
pub use postcode::{Postcode, PostcodeError, PostcodeLevel};
