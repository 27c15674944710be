//! Geography: UK postcodes, coordinate systems, postcode lookup, area layers, population.

pub mod codepoint;
pub mod crs;
pub mod geocode;
pub mod postcode;

pub use codepoint::{CodepointError, LoadReport, PostcodeIndex, PostcodeRecord};
pub use crs::{Crs, CrsError, CrsSpecError, MetricProjection};
pub use geocode::{GeocodeReport, Resolved, geocode_aeds, resolve};
pub use postcode::{Postcode, PostcodeError, PostcodeLevel};
