//! Coordinate reference systems. This module owns every CRS conversion in the crate.
//!
//! British National Grid (EPSG:27700) ⇄ WGS84 uses `lonlat_bng`, which applies OSTN15,
//! the exact Ordnance Survey transformation.

/// A coordinate conversion failed (e.g. a point outside the OSTN15 grid).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("cannot convert ({x}, {y}) {what}: {reason}")]
pub struct CrsError {
    pub x: f64,
    pub y: f64,
    pub what: &'static str,
    pub reason: String,
}

/// easting/northing in EPSG:27700 metres → (lon, lat) in WGS84 degrees, via OSTN15.
pub fn bng_to_wgs84(easting_m: f64, northing_m: f64) -> Result<(f64, f64), CrsError> {
    lonlat_bng::convert_osgb36_to_ll(easting_m, northing_m).map_err(|e| CrsError {
        x: easting_m,
        y: northing_m,
        what: "from British National Grid to WGS84",
        reason: e.to_string(),
    })
}

/// (lon, lat) in WGS84 degrees → easting/northing in EPSG:27700 metres, via OSTN15.
pub fn wgs84_to_bng(lon: f64, lat: f64) -> Result<(f64, f64), CrsError> {
    lonlat_bng::convert_osgb36(lon, lat).map_err(|e| CrsError {
        x: lon,
        y: lat,
        what: "from WGS84 to British National Grid",
        reason: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leicester_known_answer_and_round_trip() {
        let (lon, lat) = bng_to_wgs84(454_000.0, 304_000.0).unwrap();
        assert!((lon - -1.203584).abs() < 1e-5, "{lon}");
        assert!((lat - 52.631095).abs() < 1e-5, "{lat}");
        let (e, n) = wgs84_to_bng(lon, lat).unwrap();
        assert!((e - 454_000.0).abs() < 0.002 && (n - 304_000.0).abs() < 0.002);
    }
}
