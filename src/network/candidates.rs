//! Network nodes as siting candidates (`candidates = "network_nodes"` with walking
//! distance): a cabinet can stand where paths meet, which may be far from any demand point
//! or postcode centroid.
//!
//! Thinned so the covering instance stays small: only junctions and dead ends (nodes with a
//! number of edges other than 2 — a node in the middle of a way reaches no more than the
//! junctions either side of it), only those within the siting radius in a straight line of
//! some demand point (walking is never shorter, so a farther node covers nothing), and at
//! most one per square cell of [`NODE_CELL_M`] metres (the node with the most edges, then the
//! smallest node id), which merges the clusters of nodes at one crossing.

use std::collections::BTreeMap;

use rstar::RTree;

use super::WalkNetwork;
use crate::siting::{CandidateSite, DemandSite};

/// Side of the thinning cells, metres in the run's metric CRS.
pub const NODE_CELL_M: f64 = 25.0;

/// The candidates and how many nodes each thinning step kept.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeCandidates {
    pub sites: Vec<CandidateSite>,
    /// Nodes on a walkable edge.
    pub nodes: usize,
    /// Of those, junctions and dead ends.
    pub junctions_and_ends: usize,
    /// Of those, within the radius of a demand point in a straight line.
    pub near_demand: usize,
}

/// The thinned network nodes of `net` as candidate sites for covering `demand` within
/// `radius_m`. Ids are `osm_node:<id>` when the graph came from an OSM file, else
/// `node:<index>`; sites are in node order, so the same network gives the same list.
pub fn node_candidates(net: &WalkNetwork, demand: &[DemandSite], radius_m: f64) -> NodeCandidates {
    let g = &net.graph;
    let tree = RTree::bulk_load(demand.iter().map(|d| [d.x_m, d.y_m]).collect::<Vec<_>>());
    let r2 = radius_m * radius_m;
    let (mut nodes, mut ends, mut near) = (0, 0, 0);
    // Cell → (edges, node): the most edges, then the smallest id, wins the cell.
    let mut cells: BTreeMap<(i64, i64), (usize, u32)> = BTreeMap::new();
    for n in 0..g.node_count() as u32 {
        let deg = g.degree(n);
        if deg == 0 {
            continue;
        }
        nodes += 1;
        if deg == 2 {
            continue;
        }
        ends += 1;
        let [x, y] = g.xy_m[n as usize];
        if tree.locate_within_distance([x, y], r2).next().is_none() {
            continue;
        }
        near += 1;
        let key = (
            (x / NODE_CELL_M).floor() as i64,
            (y / NODE_CELL_M).floor() as i64,
        );
        cells
            .entry(key)
            .and_modify(|best| {
                if deg > best.0 {
                    *best = (deg, n);
                }
            })
            .or_insert((deg, n));
    }
    let mut kept: Vec<u32> = cells.into_values().map(|(_, n)| n).collect();
    kept.sort_unstable();
    let sites = kept
        .into_iter()
        .map(|n| {
            let [x_m, y_m] = g.xy_m[n as usize];
            let id = match g.osm_ids.get(n as usize) {
                Some(osm) => format!("osm_node:{osm}"),
                None => format!("node:{n}"),
            };
            CandidateSite {
                id,
                name: None,
                x_m,
                y_m,
            }
        })
        .collect();
    NodeCandidates {
        sites,
        nodes,
        junctions_and_ends: ends,
        near_demand: near,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::Graph;

    fn demand(x_m: f64, y_m: f64) -> DemandSite {
        DemandSite {
            id: format!("{x_m},{y_m}"),
            x_m,
            y_m,
            arrests: 1.0,
            residents: 0.0,
            residents_65_plus: 0.0,
            deprived_residents: 0.0,
        }
    }

    #[test]
    fn junctions_and_ends_near_demand_one_per_cell() {
        // A T: 0-1-2 along y = 0 with 1-3 up, a spur 4-0, a short lone edge 7-8 in node 2's
        // 25 m cell, and a lone edge 5-6 far away.
        let xy = vec![
            [0.0, 0.0],
            [100.0, 0.0],
            [200.0, 0.0],
            [100.0, 100.0],
            [-5.0, 3.0],
            [5000.0, 5000.0],
            [5100.0, 5000.0],
            [205.0, 5.0],
            [210.0, 20.0],
        ];
        let pairs = [(0, 1), (1, 2), (1, 3), (4, 0), (5, 6), (7, 8)];
        let g = Graph::from_pairs(xy, &pairs);
        let net = WalkNetwork::new(std::path::Path::new("t"), g, Vec::new());
        let c = node_candidates(&net, &[demand(100.0, 10.0)], 500.0);
        // Node 0 is in the middle of a way (2 edges); 5 and 6 are beyond 500 m of the demand;
        // 2, 7 and 8 share a cell, where the smallest id wins (all have one edge).
        assert_eq!((c.nodes, c.junctions_and_ends, c.near_demand), (9, 8, 6));
        let ids: Vec<&str> = c.sites.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, ["node:1", "node:2", "node:3", "node:4"]);
        assert_eq!((c.sites[0].x_m, c.sites[0].y_m), (100.0, 0.0));
    }
}
