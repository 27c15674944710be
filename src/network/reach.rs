//! Siting by walking distance: covering sets from one bounded Dijkstra per candidate, cut at
//! the siting radius, through the same walking distance as coverage (snap + network + snap).

use super::WalkNetwork;
use super::walk;
use crate::siting::{CandidateSite, DemandSite, ExistingSite, Reach};

/// "Within the radius" by walking along `net`.
pub struct WalkReach<'a> {
    pub net: &'a WalkNetwork,
}

impl WalkReach<'_> {
    fn feet(
        &self,
        xy: impl Iterator<Item = (f64, f64)>,
        radius_m: f64,
    ) -> Vec<Option<super::Foot>> {
        self.net.snap_all(&xy.collect::<Vec<_>>(), radius_m)
    }
}

impl Reach for WalkReach<'_> {
    fn covered_by_existing(
        &self,
        demand: &[DemandSite],
        existing: &[ExistingSite],
        radius_m: f64,
    ) -> Vec<bool> {
        let aeds = self.feet(existing.iter().map(|e| (e.x_m, e.y_m)), radius_m);
        let points = self.feet(demand.iter().map(|d| (d.x_m, d.y_m)), radius_m);
        walk::nearest_within(&self.net.graph, &aeds, &points, radius_m)
            .iter()
            .map(Option::is_some)
            .collect()
    }

    fn candidates_within(
        &self,
        demand: &[DemandSite],
        candidates: &[CandidateSite],
        skip: &[bool],
        radius_m: f64,
    ) -> Vec<Vec<u32>> {
        let sites = self.feet(candidates.iter().map(|c| (c.x_m, c.y_m)), radius_m);
        let points: Vec<_> = self
            .feet(demand.iter().map(|d| (d.x_m, d.y_m)), radius_m)
            .into_iter()
            .zip(skip)
            .map(|(f, &skip)| if skip { None } else { f })
            .collect();
        walk::all_within(&self.net.graph, &sites, &points, radius_m)
            .into_iter()
            .map(|row| {
                let mut ids: Vec<u32> = row.into_iter().map(|(c, _)| c).collect();
                ids.sort_unstable();
                ids
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::Graph;
    use crate::siting::{CoveringInstance, InstanceOptions};

    fn site(id: &str, x_m: f64, y_m: f64) -> CandidateSite {
        CandidateSite {
            id: id.into(),
            name: None,
            x_m,
            y_m,
        }
    }

    /// The river with one bridge: the site across the river is 80 m away in a straight line
    /// but 600 m walking, so by walking it covers nothing at 500 m; the one 300 m along the
    /// same bank covers the point.
    #[test]
    fn a_site_across_the_river_does_not_cover() {
        let xy = vec![[0.0, 0.0], [260.0, 0.0], [260.0, 80.0], [0.0, 80.0]];
        let g = Graph::from_pairs(xy, &[(0, 1), (1, 2), (2, 3)]);
        let net = WalkNetwork::new(std::path::Path::new("river"), g, Vec::new());
        let demand = vec![DemandSite {
            id: "south".into(),
            x_m: 0.0,
            y_m: 0.0,
            arrests: 1.0,
            residents: 0.0,
            residents_65_plus: 0.0,
            deprived_residents: 0.0,
        }];
        let candidates = vec![site("north", 0.0, 80.0), site("bank", 250.0, 0.0)];
        let opts = InstanceOptions::default();
        let walk = CoveringInstance::build_by(
            demand.clone(),
            candidates.clone(),
            &[],
            opts,
            &WalkReach { net: &net },
        )
        .unwrap();
        assert_eq!(walk.candidates_covering(0), [1]);
        assert!(walk.demand_covered_by(0).is_empty());
        let straight = CoveringInstance::build(demand.clone(), candidates, &[], opts).unwrap();
        assert_eq!(straight.candidates_covering(0), [0, 1]);
        // An existing AED across the river does not cover the point by walking either.
        let existing = [ExistingSite {
            id: "aed".into(),
            x_m: 0.0,
            y_m: 80.0,
        }];
        let w = CoveringInstance::build_by(
            demand,
            vec![site("bank", 250.0, 0.0)],
            &existing,
            opts,
            &WalkReach { net: &net },
        )
        .unwrap();
        assert!(!w.covered_by_existing[0]);
        assert_eq!(w.candidates_covering(0), [0]);
    }
}
