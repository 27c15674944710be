//! Geography: UK postcodes, coordinate systems, postcode lookup, area layers, population.

pub mod crs;
pub mod postcode;

pub use postcode::{Postcode, PostcodeError, PostcodeLevel};
