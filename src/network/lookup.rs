//! Walking distance from one place to a fixed set of targets (the service's `/nearest`):
//! the targets are snapped once; each question snaps its point and runs one Dijkstra from
//! it, cut at the radius asked. Walking is two-way, so from the point to a target is the
//! same as from the target to the point.

use std::sync::Arc;

use super::{Foot, WalkNetwork, walk};

/// Targets (e.g. counted AEDs) on a walkable network.
#[derive(Clone)]
pub struct WalkLookup {
    pub net: Arc<WalkNetwork>,
    feet: Vec<Option<Foot>>,
}

impl WalkLookup {
    /// Snaps `targets_xy` (metres in the network's metric CRS); a target farther than
    /// `max_snap_m` from every walkable way is never reached.
    pub fn new(net: Arc<WalkNetwork>, targets_xy: &[(f64, f64)], max_snap_m: f64) -> WalkLookup {
        let feet = net.snap_all(targets_xy, max_snap_m);
        WalkLookup { net, feet }
    }

    /// Targets within `radius_m` walking of (x, y) metres: (target index, metres), nearest
    /// first, ties by index.
    pub fn within(&self, x_m: f64, y_m: f64, radius_m: f64) -> Vec<(usize, f64)> {
        let from = [self.net.index.snap(&self.net.graph, x_m, y_m, radius_m)];
        let mut out: Vec<(usize, f64)> =
            walk::all_within(&self.net.graph, &from, &self.feet, radius_m)
                .into_iter()
                .enumerate()
                .filter_map(|(t, hits)| hits.first().map(|&(_, d)| (t, d)))
                .collect();
        out.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::Graph;

    #[test]
    fn across_the_river_is_600_m() {
        let xy = vec![[0.0, 0.0], [260.0, 0.0], [260.0, 80.0], [0.0, 80.0]];
        let g = Graph::from_pairs(xy, &[(0, 1), (1, 2), (2, 3)]);
        let net = Arc::new(WalkNetwork::new(
            std::path::Path::new("river"),
            g,
            Vec::new(),
        ));
        let l = WalkLookup::new(net, &[(0.0, 80.0), (100.0, 0.0)], 500.0);
        let hits = l.within(0.0, 0.0, 1000.0);
        assert_eq!(hits.len(), 2);
        assert_eq!(hits[0].0, 1);
        assert!((hits[0].1 - 100.0).abs() < 1e-9 && (hits[1].1 - 600.0).abs() < 1e-9);
        assert_eq!(l.within(0.0, 0.0, 500.0).len(), 1);
    }
}
