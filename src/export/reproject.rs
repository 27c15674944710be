//! Geometry from British National Grid metres to WGS84 lon/lat for publishing, through
//! [`crate::geography::crs`] (OSTN15). The only place export converts coordinates.

use geo::MapCoords;
use geo_types::{Coord, Geometry};

use crate::geography::crs::{CrsError, bng_to_wgs84};

/// easting/northing in EPSG:27700 metres → lon/lat in WGS84 degrees, every vertex.
pub fn bng_to_wgs84_geometry(g: &Geometry<f64>) -> Result<Geometry<f64>, CrsError> {
    g.try_map_coords(|c| {
        let (lon, lat) = bng_to_wgs84(c.x, c.y)?;
        Ok(Coord { x: lon, y: lat })
    })
}

/// Metres in `projection`'s CRS → lon/lat in WGS84 degrees, every vertex.
pub fn to_wgs84_geometry(
    g: &Geometry<f64>,
    projection: &crate::geography::MetricProjection,
) -> Result<Geometry<f64>, CrsError> {
    g.try_map_coords(|c| {
        let (lon, lat) = projection.to_wgs84(c.x, c.y)?;
        Ok(Coord { x: lon, y: lat })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::{Point, polygon};

    #[test]
    fn leicester_clock_tower_converts() {
        // Leicester Clock Tower: about SK 5876 0459.
        let g = bng_to_wgs84_geometry(&Point::new(458_760.0, 304_590.0).into()).unwrap();
        let Geometry::Point(p) = g else {
            panic!("point expected")
        };
        assert!(
            (p.x() - -1.1335).abs() < 0.01 && (p.y() - 52.6365).abs() < 0.01,
            "{p:?}"
        );
    }

    #[test]
    fn polygons_keep_their_shape_kind() {
        let sq = polygon![(x: 450_000.0, y: 300_000.0), (x: 451_000.0, y: 300_000.0), (x: 451_000.0, y: 301_000.0)];
        let g = bng_to_wgs84_geometry(&sq.into()).unwrap();
        assert!(matches!(g, Geometry::Polygon(ref p) if p.exterior().0.len() == 4));
    }
}
