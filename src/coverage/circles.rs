//! Radius circles as polygons, and their union, for land-area figures and gap polygons.
//!
//! A circle is a regular polygon of [`CIRCLE_VERTICES`] vertices (64). Two fits:
//! - [`CircleFit::Inscribed`]: vertices on the circle, so the polygon lies inside it. Used for
//!   gaps: every point farther than the radius from all facilities is outside every polygon,
//!   so it lies in a gap (a sliver of at most r·(1−cos(π/64)) ≈ 0.12% of r next to a circle
//!   may be counted as gap although within reach).
//! - [`CircleFit::EqualArea`]: vertex radius scaled so the polygon's area equals πr². Used
//!   for "% of land within the radius".

use geo::{BooleanOps, BoundingRect, Coord, LineString, MultiPolygon, Polygon, Rect};

/// Vertices of a circle polygon.
pub const CIRCLE_VERTICES: usize = 64;

/// How a circle polygon is fitted to the true circle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CircleFit {
    Inscribed,
    EqualArea,
}

/// A counter-clockwise polygon approximating the circle of `radius_m` round (x, y).
pub fn circle_polygon(x_m: f64, y_m: f64, radius_m: f64, fit: CircleFit) -> Polygon<f64> {
    let n = CIRCLE_VERTICES;
    let step = std::f64::consts::TAU / n as f64;
    let r = match fit {
        CircleFit::Inscribed => radius_m,
        // Area of the inscribed n-gon is (n/2) r² sin(2π/n).
        CircleFit::EqualArea => radius_m * (std::f64::consts::TAU / (n as f64 * step.sin())).sqrt(),
    };
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

/// Union of circles of `radius_m` round each centre whose circle meets `clip` (when given),
/// intersected with `clip`.
pub fn circles_union(
    centres: &[(f64, f64)],
    radius_m: f64,
    fit: CircleFit,
    clip: Option<&MultiPolygon<f64>>,
) -> MultiPolygon<f64> {
    let bbox: Option<Rect<f64>> = clip.and_then(|c| c.bounding_rect());
    let circles: Vec<Polygon<f64>> = centres
        .iter()
        .filter(|(x, y)| match bbox {
            Some(b) => {
                *x + radius_m >= b.min().x
                    && *x - radius_m <= b.max().x
                    && *y + radius_m >= b.min().y
                    && *y - radius_m <= b.max().y
            }
            None => clip.is_none(),
        })
        .map(|&(x, y)| circle_polygon(x, y, radius_m, fit))
        .collect();
    if circles.is_empty() {
        return MultiPolygon::new(vec![]);
    }
    let union = geo::unary_union(&circles);
    match clip {
        Some(c) => union.intersection(c),
        None => union,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::Area;

    #[test]
    fn equal_area_circle_has_the_circle_area() {
        let p = circle_polygon(0.0, 0.0, 500.0, CircleFit::EqualArea);
        let want = std::f64::consts::PI * 500.0 * 500.0;
        assert!((p.unsigned_area() - want).abs() / want < 1e-12);
        let q = circle_polygon(0.0, 0.0, 500.0, CircleFit::Inscribed);
        assert!(q.unsigned_area() < want && q.unsigned_area() > 0.998 * want);
    }

    #[test]
    fn union_of_overlapping_circles() {
        let u = circles_union(
            &[(0.0, 0.0), (0.0, 0.0), (10_000.0, 0.0)],
            100.0,
            CircleFit::EqualArea,
            None,
        );
        let want = 2.0 * std::f64::consts::PI * 100.0 * 100.0;
        assert!(
            (u.unsigned_area() - want).abs() / want < 1e-6,
            "{}",
            u.unsigned_area()
        );
    }
}
