//! Per-area statistics for any polygon layer (postcode districts, LSOAs, wards, districts).
//!
//! Areas are `(id, name, MultiPolygon)` in the same metric CRS as the demand. A point (demand
//! or AED) belongs to the first area, in the order given, whose polygon contains it or has it
//! on its boundary; points in no area are counted as outside.
//!
//! Distances (median, 90th percentile) are demand-weighted: the distance below which half
//! (90%) of the area's demand weight lies; points of zero weight do not count.

use super::circles::{CircleFit, circles_union};
use super::engine::{CoverageResult, DemandPoint, FacilityIndex, pct};
use crate::geography::pip::AreaLocator;
use geo::{Area, MultiPolygon};
use rayon::prelude::*;
use std::collections::BTreeMap;

/// An area of a polygon layer: id, name and geometry in metres.
pub type AreaInput = (String, String, MultiPolygon<f64>);

/// Figures for one area at one radius.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AreaRadiusStats {
    pub radius_m: f64,
    pub pct_demand_covered: f64,
    pub pct_residents_covered: f64,
    pub demand_uncovered: f64,
    /// Share of the area's land within the (effective) radius of a counted AED, in percent.
    pub pct_land_within: f64,
}

/// Figures for one area.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AreaStats {
    pub id: String,
    pub name: String,
    pub land_area_km2: f64,
    pub aeds_located: usize,
    /// AEDs known only by a count (e.g. a district table), when supplied.
    pub aeds_known_by_count: Option<u32>,
    pub demand: f64,
    pub residents: f64,
    pub demand_points: usize,
    /// Demand per located AED (`None` when there is none).
    pub demand_per_aed: Option<f64>,
    pub median_distance_m: Option<f64>,
    pub p90_distance_m: Option<f64>,
    pub radii: Vec<AreaRadiusStats>,
}

/// Finds, for each point, the first area (index into `areas`) containing it.
pub fn locate_points(areas: &[AreaInput], points: &[(f64, f64)]) -> Vec<Option<u32>> {
    locate_with(&AreaLocator::new(areas.iter().map(|a| &a.2)), points)
}

fn locate_with(locator: &AreaLocator, points: &[(f64, f64)]) -> Vec<Option<u32>> {
    let found = locator.locate_all(points).into_iter();
    found.map(|a| a.map(|i| i as u32)).collect()
}

/// Weighted quantile `q` (0..1) of (value, weight) pairs; `None` when total weight is 0.
pub fn weighted_quantile(values: &mut [(f64, f64)], q: f64) -> Option<f64> {
    values.sort_by(|a, b| a.0.total_cmp(&b.0));
    let total: f64 = values.iter().map(|v| v.1).sum();
    if total <= 0.0 {
        return None;
    }
    let target = q * total;
    let mut acc = 0.0;
    for &(v, w) in values.iter() {
        acc += w;
        if acc >= target && w > 0.0 {
            return Some(v);
        }
    }
    values.iter().rev().find(|v| v.1 > 0.0).map(|v| v.0)
}

/// Land within reach at each radius: discs around the AEDs (straight line), or given shapes
/// such as walking service areas (metres, one per radius in the result's order).
#[derive(Clone, Copy)]
pub enum LandWithin<'a> {
    Discs,
    Shapes(&'a [(f64, MultiPolygon<f64>)]),
}

/// Statistics for every area, in the order given.
pub fn area_stats(
    areas: &[AreaInput],
    index: &FacilityIndex,
    demand: &[DemandPoint],
    result: &CoverageResult,
    known_by_count: &BTreeMap<String, u32>,
    land: LandWithin<'_>,
) -> Vec<AreaStats> {
    let centres: Vec<(f64, f64)> = index
        .facilities()
        .iter()
        .filter(|f| f.x_m.is_finite() && f.y_m.is_finite())
        .map(|f| (f.x_m, f.y_m))
        .collect();
    let locator = AreaLocator::new(areas.iter().map(|a| &a.2));
    let aed_area = locate_with(&locator, &centres);
    let pts: Vec<(f64, f64)> = demand.iter().map(|p| (p.x_m, p.y_m)).collect();
    let point_area = locate_with(&locator, &pts);
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); areas.len()];
    for (i, a) in point_area.iter().enumerate() {
        if let Some(a) = a {
            members[*a as usize].push(i);
        }
    }
    let mut aeds = vec![0usize; areas.len()];
    for a in aed_area.iter().flatten() {
        aeds[*a as usize] += 1;
    }
    let eff = result.config.effective_radii_m();
    areas
        .par_iter()
        .enumerate()
        .map(|(ai, (id, name, geom))| {
            let land_m2 = geom.unsigned_area();
            let m = &members[ai];
            let demand_sum: f64 = m.iter().map(|&i| demand[i].weight).sum();
            let residents_sum: f64 = m.iter().map(|&i| demand[i].residents).sum();
            let mut dist: Vec<(f64, f64)> = m
                .iter()
                .map(|&i| (result.points[i].distance_m, demand[i].weight))
                .collect();
            // With no counted AED every distance is infinite: the quantile is unknown, not inf.
            let median = weighted_quantile(&mut dist, 0.5).filter(|d| d.is_finite());
            let p90 = weighted_quantile(&mut dist, 0.9).filter(|d| d.is_finite());
            let radii = result
                .config
                .radii_m
                .iter()
                .enumerate()
                .map(|(k, &radius_m)| {
                    let (mut dc, mut rc) = (0.0, 0.0);
                    for &i in m {
                        if result.points[i].covered(k) {
                            dc += demand[i].weight;
                            rc += demand[i].residents;
                        }
                    }
                    let land_within = match land {
                        LandWithin::Discs => {
                            circles_union(&centres, eff[k], CircleFit::EqualArea, Some(geom))
                                .unsigned_area()
                        }
                        LandWithin::Shapes(s) => s.get(k).map_or(0.0, |(_, shape)| {
                            geo::BooleanOps::intersection(shape, geom).unsigned_area()
                        }),
                    };
                    AreaRadiusStats {
                        radius_m,
                        pct_demand_covered: pct(dc, demand_sum),
                        pct_residents_covered: pct(rc, residents_sum),
                        demand_uncovered: demand_sum - dc,
                        pct_land_within: pct(land_within, land_m2),
                    }
                })
                .collect();
            AreaStats {
                id: id.clone(),
                name: name.clone(),
                land_area_km2: land_m2 / 1e6,
                aeds_located: aeds[ai],
                aeds_known_by_count: known_by_count.get(id).copied(),
                demand: demand_sum,
                residents: residents_sum,
                demand_points: m.len(),
                demand_per_aed: (aeds[ai] > 0).then(|| demand_sum / aeds[ai] as f64),
                median_distance_m: median,
                p90_distance_m: p90,
                radii,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::coverage::engine::{CoverageConfig, Facility, assess};
    use geo::{Rect, coord};

    fn square(x0: f64, y0: f64, side: f64) -> MultiPolygon<f64> {
        MultiPolygon::new(vec![
            Rect::new(coord! {x: x0, y: y0}, coord! {x: x0 + side, y: y0 + side}).to_polygon(),
        ])
    }

    #[test]
    fn quantiles_are_weighted() {
        let mut v = vec![(10.0, 1.0), (20.0, 1.0), (30.0, 8.0), (5.0, 0.0)];
        assert_eq!(weighted_quantile(&mut v, 0.5), Some(30.0));
        assert_eq!(weighted_quantile(&mut v, 0.1), Some(10.0));
        assert_eq!(weighted_quantile(&mut [], 0.5), None);
    }

    #[test]
    fn with_no_aed_the_median_distance_is_unknown_not_infinite() {
        let areas = vec![(
            "W".to_string(),
            "West".to_string(),
            square(0.0, 0.0, 2000.0),
        )];
        let idx = FacilityIndex::new(Vec::new());
        let demand = vec![DemandPoint {
            id: "1".into(),
            x_m: 1100.0,
            y_m: 1000.0,
            weight: 2.0,
            residents: 5.0,
        }];
        let r = assess(&idx, &demand, &CoverageConfig::default()).unwrap();
        let s = area_stats(
            &areas,
            &idx,
            &demand,
            &r,
            &BTreeMap::new(),
            LandWithin::Discs,
        );
        assert_eq!((s[0].median_distance_m, s[0].p90_distance_m), (None, None));
    }

    #[test]
    fn two_squares_one_aed() {
        let areas = vec![
            (
                "W".to_string(),
                "West".to_string(),
                square(0.0, 0.0, 2000.0),
            ),
            (
                "E".to_string(),
                "East".to_string(),
                square(2000.0, 0.0, 2000.0),
            ),
        ];
        // One AED in the middle of West, far enough from East that no circle reaches it.
        let idx = FacilityIndex::new(vec![Facility {
            id: "A".into(),
            x_m: 1000.0,
            y_m: 1000.0,
        }]);
        let demand = vec![
            DemandPoint {
                id: "1".into(),
                x_m: 1100.0,
                y_m: 1000.0,
                weight: 2.0,
                residents: 5.0,
            },
            DemandPoint {
                id: "2".into(),
                x_m: 1900.0,
                y_m: 1000.0,
                weight: 1.0,
                residents: 5.0,
            },
            DemandPoint {
                id: "3".into(),
                x_m: 3000.0,
                y_m: 1000.0,
                weight: 4.0,
                residents: 0.0,
            },
            DemandPoint {
                id: "4".into(),
                x_m: 9000.0,
                y_m: 1000.0,
                weight: 1.0,
                residents: 0.0,
            },
        ];
        let cfg = CoverageConfig::default();
        let r = assess(&idx, &demand, &cfg).unwrap();
        let mut known = BTreeMap::new();
        known.insert("E".to_string(), 3);
        let s = area_stats(&areas, &idx, &demand, &r, &known, LandWithin::Discs);
        assert_eq!(s[0].aeds_located, 1);
        assert_eq!(s[1].aeds_located, 0);
        assert_eq!(s[1].aeds_known_by_count, Some(3));
        assert_eq!(s[0].demand, 3.0);
        assert_eq!(s[0].demand_per_aed, Some(3.0));
        assert_eq!(s[1].demand_per_aed, None);
        // Point 4 is in no area.
        assert_eq!(s[0].demand + s[1].demand, 7.0);
        let r500 = &s[0].radii[2];
        assert!((r500.pct_demand_covered - 200.0 / 3.0).abs() < 1e-9);
        assert_eq!(r500.demand_uncovered, 1.0);
        assert_eq!(r500.pct_residents_covered, 50.0);
        // Circle of 500 m fully inside a 2 km square: π·0.25 / 4 km² = 19.63%.
        let want = 100.0 * std::f64::consts::PI * 0.25 / 4.0;
        assert!(
            (r500.pct_land_within - want).abs() < 1e-6,
            "{}",
            r500.pct_land_within
        );
        assert_eq!(s[1].radii[2].pct_land_within, 0.0);
        assert_eq!(s[0].median_distance_m, Some(100.0));
        assert_eq!(s[0].p90_distance_m, Some(900.0));
    }
}
