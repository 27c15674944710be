//! Radius circles and their dissolved union, in projected metres.

use geo::{LineString, MultiPolygon, Polygon};
use geo_types::Coord;

/// Vertices of a circle polygon.
pub const CIRCLE_VERTICES: usize = 64;

/// A counter-clockwise 64-gon with the area of the circle of `radius_m` round (x, y), so land
/// areas computed from it are those of true circles.
pub fn circle_polygon(x_m: f64, y_m: f64, radius_m: f64) -> Polygon<f64> {
    let n = CIRCLE_VERTICES;
    let step = std::f64::consts::TAU / n as f64;
    // The inscribed n-gon has area (n/2) r² sin(2π/n); scale r to make it πr².
    let r = radius_m * (std::f64::consts::TAU / (n as f64 * step.sin())).sqrt();
    let mut ring: Vec<Coord<f64>> = (0..n)
        .map(|i| {
            let a = step * i as f64;
            Coord {
                x: x_m + r * a.cos(),
                y: y_m + r * a.sin(),
            }
        })
        .collect();
    ring.push(ring[0]);
    Polygon::new(LineString::new(ring), vec![])
}

/// The dissolved union of the circles of `radius_m` round each centre.
pub fn circles_union(centres_m: &[(f64, f64)], radius_m: f64) -> MultiPolygon<f64> {
    let circles: Vec<Polygon<f64>> = centres_m
        .iter()
        .map(|&(x, y)| circle_polygon(x, y, radius_m))
        .collect();
    if circles.is_empty() {
        return MultiPolygon::new(vec![]);
    }
    geo::unary_union(&circles)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::Area;

    #[test]
    fn circle_has_the_true_area() {
        let a = circle_polygon(0.0, 0.0, 500.0).unsigned_area();
        let want = std::f64::consts::PI * 250_000.0;
        assert!((a - want).abs() / want < 1e-12);
    }

    #[test]
    fn overlapping_circles_dissolve() {
        let u = circles_union(&[(0.0, 0.0), (0.0, 0.0), (5_000.0, 0.0)], 100.0);
        assert_eq!(u.0.len(), 2);
        let want = 2.0 * std::f64::consts::PI * 10_000.0;
        assert!((u.unsigned_area() - want).abs() / want < 1e-6);
    }
}
