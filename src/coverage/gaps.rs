//! Gap polygons: land in the study area farther than the radius from every counted AED,
//! split into its separate parts, each carrying the demand and residents inside it.
//!
//! Circles are inscribed 64-gons (see [`super::circles`]), so every demand point the engine
//! calls uncovered lies outside every circle. Gaps are ranked by uncovered demand, then
//! residents, then area (all descending), then by the lowest-left corner of their bounding box;
//! ids `gap-0001`, `gap-0002`, … follow that rank, so the same input gives the same ids.

use super::circles::{CircleFit, circles_union};
use super::engine::{CoverageResult, DemandPoint, FacilityIndex};
use super::stats::locate_points;
use geo::{Area, BooleanOps, BoundingRect, MultiPolygon, Polygon};

/// One gap polygon (metres, in the demand's CRS).
#[derive(Debug, Clone, PartialEq)]
pub struct Gap {
    pub id: String,
    pub rank: usize,
    pub radius_m: f64,
    pub polygon: Polygon<f64>,
    pub area_km2: f64,
    /// Uncovered demand inside it.
    pub demand: f64,
    pub residents: f64,
    pub demand_points: usize,
}

/// Gaps at radius number `k` of the result's configuration.
///
/// Uncovered demand points that fall in no gap (outside the study area) are not in any gap;
/// the caller can compare the gaps' total with the engine's uncovered total.
pub fn gaps(
    study_area: &MultiPolygon<f64>,
    index: &FacilityIndex,
    demand: &[DemandPoint],
    result: &CoverageResult,
    k: usize,
) -> Vec<Gap> {
    let eff = result
        .config
        .effective_radii_m()
        .get(k)
        .copied()
        .unwrap_or(0.0);
    let centres: Vec<(f64, f64)> = index
        .facilities()
        .iter()
        .filter(|f| f.x_m.is_finite() && f.y_m.is_finite())
        .map(|f| (f.x_m, f.y_m))
        .collect();
    let covered = circles_union(&centres, eff, CircleFit::Inscribed, Some(study_area));
    gaps_outside(study_area, &covered, demand, result, k)
}

/// Gaps at radius number `k`: the study area outside `covered` (the land within reach, e.g.
/// walking service areas), each part with the uncovered demand inside it.
pub fn gaps_outside(
    study_area: &MultiPolygon<f64>,
    covered: &MultiPolygon<f64>,
    demand: &[DemandPoint],
    result: &CoverageResult,
    k: usize,
) -> Vec<Gap> {
    let radius_m = result.config.radii_m.get(k).copied().unwrap_or(0.0);
    let rest = if covered.0.is_empty() {
        study_area.clone()
    } else {
        study_area.difference(covered)
    };
    let parts: Vec<(String, String, MultiPolygon<f64>)> = rest
        .0
        .into_iter()
        .filter(|p| p.unsigned_area() > 0.0)
        .map(|p| (String::new(), String::new(), MultiPolygon::new(vec![p])))
        .collect();
    let uncovered: Vec<usize> = (0..demand.len())
        .filter(|&i| !result.points[i].covered(k))
        .collect();
    let xy: Vec<(f64, f64)> = uncovered
        .iter()
        .map(|&i| (demand[i].x_m, demand[i].y_m))
        .collect();
    let at = locate_points(&parts, &xy);
    let mut sums = vec![(0.0f64, 0.0f64, 0usize); parts.len()];
    for (&i, a) in uncovered.iter().zip(&at) {
        if let Some(a) = a {
            let s = &mut sums[*a as usize];
            s.0 += demand[i].weight;
            s.1 += demand[i].residents;
            s.2 += 1;
        }
    }
    let mut out: Vec<Gap> = parts
        .into_iter()
        .zip(sums)
        .filter_map(|((_, _, mp), (d, r, n))| {
            let polygon = mp.0.into_iter().next()?;
            Some(Gap {
                id: String::new(),
                rank: 0,
                radius_m,
                area_km2: polygon.unsigned_area() / 1e6,
                polygon,
                demand: d,
                residents: r,
                demand_points: n,
            })
        })
        .collect();
    let corner = |g: &Gap| {
        g.polygon
            .bounding_rect()
            .map(|b| (b.min().x, b.min().y))
            .unwrap_or((0.0, 0.0))
    };
    out.sort_by(|a, b| {
        b.demand
            .total_cmp(&a.demand)
            .then(b.residents.total_cmp(&a.residents))
            .then(b.area_km2.total_cmp(&a.area_km2))
            .then(corner(a).0.total_cmp(&corner(b).0))
            .then(corner(a).1.total_cmp(&corner(b).1))
    });
    for (i, g) in out.iter_mut().enumerate() {
        g.rank = i + 1;
        g.id = format!("gap-{:04}", i + 1);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::coverage::engine::{CoverageConfig, Facility, assess};
    use geo::{Rect, coord};

    #[test]
    fn a_strip_cut_in_two_by_a_circle() {
        // 4 km × 400 m strip; one AED in the middle with 500 m radius splits it in two gaps.
        let strip = MultiPolygon::new(vec![
            Rect::new(coord! {x: 0.0, y: 0.0}, coord! {x: 4000.0, y: 400.0}).to_polygon(),
        ]);
        let idx = FacilityIndex::new(vec![Facility {
            id: "A".into(),
            x_m: 2000.0,
            y_m: 200.0,
        }]);
        let d = |x: f64, w: f64| DemandPoint {
            id: Default::default(),
            x_m: x,
            y_m: 200.0,
            weight: w,
            residents: 1.0,
        };
        let demand = vec![
            d(100.0, 1.0),
            d(3900.0, 2.0),
            d(3800.0, 1.0),
            d(2100.0, 5.0),
        ];
        let cfg = CoverageConfig {
            radii_m: vec![500.0],
            detour_factor: 1.0,
        };
        let r = assess(&idx, &demand, &cfg).unwrap();
        let g = gaps(&strip, &idx, &demand, &r, 0);
        assert_eq!(g.len(), 2);
        assert_eq!(g[0].id, "gap-0001");
        assert_eq!(g[0].demand, 3.0);
        assert_eq!(g[0].demand_points, 2);
        assert_eq!(g[1].demand, 1.0);
        assert!(g[0].polygon.bounding_rect().unwrap().min().x > 2000.0);
        // Each part is a bit more than 1.5 km × 400 m.
        assert!(
            g[0].area_km2 > 0.6 && g[0].area_km2 < 0.7,
            "{}",
            g[0].area_km2
        );
    }
}
