//! Publishing: RFC 7946 GeoJSON layers, CSV tables, printable SVG/PNG maps, and a progress
//! helper for long steps.
//!
//! Everything here works on plain `geo-types` geometry: GeoJSON takes WGS84 lon/lat
//! (convert with [`bng_to_wgs84_geometry`]); maps take projected metres (British National
//! Grid for UK studies).

pub mod bar_chart;
pub mod csv_out;
pub mod geojson;
pub mod map_png;
pub mod map_svg;
pub mod outdir;
pub mod progress;
pub mod reproject;
pub mod validate;

pub use bar_chart::{BarChart, render_bar_svg};
pub use csv_out::{CsvOutError, CsvTable, write_table};
pub use geojson::{Feature, FeatureId, GeoJsonError, Layer, Value, feature_to_string, write_layer};
pub use map_png::{MapError, render_png, write_map};
pub use map_svg::{
    AreaFill, Choropleth, CoverageLayer, GapLayer, MapAed, MapArea, MapBase, MapSite, MapSpec,
    render_svg,
};
pub use outdir::{MANIFEST, OutDirError, Staging};
pub use progress::{Bar, Progress};
pub use reproject::{bng_to_wgs84_geometry, to_wgs84_geometry};
pub use validate::{Rule, Violation, check_file, ogrinfo_check};
