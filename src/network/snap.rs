//! Snapping points to the network: the exact nearest point on any edge (the perpendicular
//! foot, or the nearer end), found through an R-tree of the edges' segments. Metres.

use rstar::RTree;
use rstar::primitives::{GeomWithData, Line};

use super::graph::Graph;

type Segment = GeomWithData<Line<[f64; 2]>, u32>;

/// Where a point meets the network.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Foot {
    /// The edge the foot lies on.
    pub edge: u32,
    /// Position along the edge from its node `a` (0) to `b` (1).
    pub t: f64,
    /// Straight-line distance from the point to the foot, metres.
    pub snap_m: f64,
}

impl Foot {
    /// Metres along the edge from node `a` and from node `b`.
    pub fn along_m(&self, graph: &Graph) -> (f64, f64) {
        let len = graph.edges[self.edge as usize].len_m;
        (self.t * len, (1.0 - self.t) * len)
    }
}

/// An R-tree over every edge of a graph.
pub struct SegmentIndex {
    tree: RTree<Segment>,
}

impl SegmentIndex {
    /// Bulk-loads the edges of `graph`.
    pub fn new(graph: &Graph) -> SegmentIndex {
        let segments = graph
            .edges
            .iter()
            .enumerate()
            .map(|(k, e)| {
                GeomWithData::new(
                    Line::new(graph.xy_m[e.a as usize], graph.xy_m[e.b as usize]),
                    k as u32,
                )
            })
            .collect();
        SegmentIndex {
            tree: RTree::bulk_load(segments),
        }
    }

    /// The foot of (x, y) on the nearest edge, if one lies within `max_m` (inclusive).
    /// Among edges at the same distance the smallest edge id wins.
    pub fn snap(&self, graph: &Graph, x_m: f64, y_m: f64, max_m: f64) -> Option<Foot> {
        let p = [x_m, y_m];
        // Every segment at the least distance: ties go to the smallest edge id.
        let nearest = self.tree.nearest_neighbors(&p);
        let best = nearest.iter().map(|s| s.data).min()?;
        let foot = foot_on(graph, best, p);
        (foot.snap_m <= max_m).then_some(foot)
    }
}

/// The foot of `p` on edge `k`.
pub fn foot_on(graph: &Graph, k: u32, p: [f64; 2]) -> Foot {
    let e = graph.edges[k as usize];
    let (a, b) = (graph.xy_m[e.a as usize], graph.xy_m[e.b as usize]);
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let len2 = dx * dx + dy * dy;
    let t = if len2 > 0.0 {
        (((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let (fx, fy) = (a[0] + t * dx, a[1] + t * dy);
    Foot {
        edge: k,
        t,
        snap_m: (p[0] - fx).hypot(p[1] - fy),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perpendicular_foot_or_nearer_end() {
        let g = Graph::from_pairs(
            vec![[0.0, 0.0], [100.0, 0.0], [100.0, 100.0]],
            &[(0, 1), (1, 2)],
        );
        let idx = SegmentIndex::new(&g);
        let f = idx.snap(&g, 30.0, -4.0, 500.0).unwrap();
        assert_eq!((f.edge, f.t, f.snap_m), (0, 0.3, 4.0));
        let f = idx.snap(&g, -3.0, -4.0, 500.0).unwrap();
        assert_eq!((f.edge, f.t, f.snap_m), (0, 0.0, 5.0));
        // Equidistant from both edges (at their shared node): the smaller edge id.
        let f = idx.snap(&g, 103.0, -3.0, 500.0).unwrap();
        assert_eq!((f.edge, f.t), (0, 1.0));
        assert!(idx.snap(&g, 30.0, -4.0, 3.9).is_none());
        assert_eq!(f.along_m(&g), (100.0, 0.0));
    }
}
