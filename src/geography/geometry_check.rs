//! Checking a GeoJSON geometry before it is converted to `geo` types.
//!
//! The `geojson` crate's conversion indexes positions without checking their length, so a
//! one-number position (`[[[-5]]]`) panics inside it. Every GeoJSON reader calls [`check`]
//! first: positions are 2 or 3 finite numbers with lon in [-180, 180] and lat in [-90, 90]
//! (RFC 7946 WGS84), line strings have at least 2 positions, and polygon rings at least 4
//! once closed (an unclosed ring of 3 is closed by the conversion and reported by the area
//! reader as a repair).

use geojson::{GeometryValue, Position};

fn position(p: &Position) -> Result<(), String> {
    let p = p.as_slice();
    if !(2..=3).contains(&p.len()) {
        return Err(format!(
            "a position has {} number(s), expected 2 or 3 ({p:?})",
            p.len()
        ));
    }
    if p.iter().any(|v| !v.is_finite()) {
        return Err(format!("a position is not finite ({p:?})"));
    }
    if !(-180.0..=180.0).contains(&p[0]) || !(-90.0..=90.0).contains(&p[1]) {
        return Err(format!(
            "a position is outside lon [-180, 180], lat [-90, 90] ({p:?})"
        ));
    }
    Ok(())
}

fn line(l: &[Position], min: usize, what: &str) -> Result<(), String> {
    l.iter().try_for_each(position)?;
    if l.len() < min {
        return Err(format!(
            "a {what} has {} position(s), needs at least {min}",
            l.len()
        ));
    }
    Ok(())
}

fn ring(r: &[Position]) -> Result<(), String> {
    let closed = r.len() > 1 && r.first() == r.last();
    line(r, if closed { 4 } else { 3 }, "polygon ring")
}

fn polygon(rings: &[Vec<Position>]) -> Result<(), String> {
    if rings.is_empty() {
        return Err("a polygon has no rings".into());
    }
    rings.iter().try_for_each(|r| ring(r))
}

/// Checks `value` as described in the module docs; the error says what is wrong, with the
/// offending position.
pub fn check(value: &GeometryValue) -> Result<(), String> {
    match value {
        GeometryValue::Point { coordinates } => position(coordinates),
        GeometryValue::MultiPoint { coordinates } => coordinates.iter().try_for_each(position),
        GeometryValue::LineString { coordinates } => line(coordinates, 2, "line string"),
        GeometryValue::MultiLineString { coordinates } => coordinates
            .iter()
            .try_for_each(|l| line(l, 2, "line string")),
        GeometryValue::Polygon { coordinates } => polygon(coordinates),
        GeometryValue::MultiPolygon { coordinates } => {
            coordinates.iter().try_for_each(|p| polygon(p))
        }
        GeometryValue::GeometryCollection { geometries } => {
            geometries.iter().try_for_each(|g| check(&g.value))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(json: &str) -> GeometryValue {
        json.parse::<geojson::Geometry>().unwrap().value
    }

    #[test]
    fn one_number_positions_are_refused_in_every_container() {
        let one = || vec![vec![Position::from(vec![-5.0])]];
        let polygon = GeometryValue::Polygon { coordinates: one() };
        for g in [
            polygon.clone(),
            GeometryValue::MultiPolygon {
                coordinates: vec![one()],
            },
            GeometryValue::GeometryCollection {
                geometries: vec![geojson::Geometry::new(polygon)],
            },
            GeometryValue::Point {
                coordinates: Position::from(vec![1.0]),
            },
        ] {
            let e = check(&g).unwrap_err();
            assert!(e.contains("expected 2 or 3"), "{g:?}: {e}");
        }
    }

    #[test]
    fn short_rings_empty_polygons_and_out_of_range_positions_are_refused() {
        let short = r#"{"type":"Polygon","coordinates":[[[0,0],[1,0],[0,0]]]}"#;
        assert!(check(&value(short)).unwrap_err().contains("at least 4"));
        let empty = r#"{"type":"Polygon","coordinates":[]}"#;
        assert!(check(&value(empty)).unwrap_err().contains("no rings"));
        let far = r#"{"type":"Point","coordinates":[0,91]}"#;
        assert!(check(&value(far)).unwrap_err().contains("outside"));
    }

    #[test]
    fn a_good_square_and_an_unclosed_triangle_pass() {
        let sq = r#"{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1],[0,0]]]}"#;
        assert_eq!(check(&value(sq)), Ok(()));
        let open = r#"{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1]]]}"#;
        assert_eq!(check(&value(open)), Ok(()));
    }
}
