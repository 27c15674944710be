//! Publishing: RFC 7946 GeoJSON layers, CSV tables, printable SVG/PNG maps, and a progress
//! helper for long steps.

pub mod geojson;

pub use geojson::{Feature, FeatureId, GeoJsonError, Layer, Value, write_layer};
pub mod map_png;
pub mod map_svg;
pub mod progress;
pub mod reproject;
pub mod validate;
