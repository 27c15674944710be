//! Snapping points to the network: the exact nearest point on any edge (the perpendicular
//! foot, or the nearer end), found through a uniform grid of cells over the edges' segments
//! searched ring by ring outwards, so a query touches only the cells near the point. Metres.

use super::graph::Graph;

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

/// A grid of square cells over every edge of a graph: each cell lists the edges whose
/// bounding box meets it (CSR, `u32` edge ids).
pub struct SegmentIndex {
    /// South-west corner of cell (0, 0), metres.
    origin_m: [f64; 2],
    cell_m: f64,
    nx: i64,
    ny: i64,
    /// Edges of cell `j * nx + i` are `edges[start[c]..start[c + 1]]`, ascending.
    start: Vec<u32>,
    edges: Vec<u32>,
}

/// Cells per axis are capped so a sparse network over a wide area stays small.
const MAX_CELLS: f64 = 4.0e6;

impl SegmentIndex {
    /// Indexes the edges of `graph`.
    pub fn new(graph: &Graph) -> SegmentIndex {
        let boxes: Vec<[f64; 4]> = graph
            .edges
            .iter()
            .map(|e| {
                let (p, q) = (graph.xy_m[e.a as usize], graph.xy_m[e.b as usize]);
                [
                    p[0].min(q[0]),
                    p[1].min(q[1]),
                    p[0].max(q[0]),
                    p[1].max(q[1]),
                ]
            })
            .collect();
        let mut ext = [
            f64::INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NEG_INFINITY,
        ];
        for b in &boxes {
            ext = [
                ext[0].min(b[0]),
                ext[1].min(b[1]),
                ext[2].max(b[2]),
                ext[3].max(b[3]),
            ];
        }
        if boxes.is_empty() {
            ext = [0.0, 0.0, 0.0, 0.0];
        }
        let (w, h) = ((ext[2] - ext[0]).max(1.0), (ext[3] - ext[1]).max(1.0));
        let mean_len = graph.edges.iter().map(|e| e.len_m).sum::<f64>() / boxes.len().max(1) as f64;
        // Cells about an edge long: a query looks at a few cells around its point.
        let cell_m = mean_len.max((w * h / MAX_CELLS).sqrt()).max(1.0);
        let nx = (w / cell_m).floor() as i64 + 1;
        let ny = (h / cell_m).floor() as i64 + 1;
        let cell = |v: f64, o: f64, n: i64| (((v - o) / cell_m).floor() as i64).clamp(0, n - 1);
        let ranges: Vec<[i64; 4]> = boxes
            .iter()
            .map(|b| {
                [
                    cell(b[0], ext[0], nx),
                    cell(b[1], ext[1], ny),
                    cell(b[2], ext[0], nx),
                    cell(b[3], ext[1], ny),
                ]
            })
            .collect();
        let mut start = vec![0u32; (nx * ny) as usize + 1];
        for r in &ranges {
            for j in r[1]..=r[3] {
                for i in r[0]..=r[2] {
                    start[(j * nx + i) as usize + 1] += 1;
                }
            }
        }
        for c in 0..(nx * ny) as usize {
            start[c + 1] += start[c];
        }
        let mut fill = start.clone();
        let mut edges = vec![0u32; start[(nx * ny) as usize] as usize];
        for (k, r) in ranges.iter().enumerate() {
            for j in r[1]..=r[3] {
                for i in r[0]..=r[2] {
                    let c = (j * nx + i) as usize;
                    edges[fill[c] as usize] = k as u32;
                    fill[c] += 1;
                }
            }
        }
        SegmentIndex {
            origin_m: [ext[0], ext[1]],
            cell_m,
            nx,
            ny,
            start,
            edges,
        }
    }

    /// The foot of (x, y) on the nearest edge, if one lies within `max_m` (inclusive).
    /// Among edges at the same distance the smallest edge id wins.
    pub fn snap(&self, graph: &Graph, x_m: f64, y_m: f64, max_m: f64) -> Option<Foot> {
        if self.edges.is_empty() || !(x_m.is_finite() && y_m.is_finite()) {
            return None;
        }
        let p = [x_m, y_m];
        let ci = ((x_m - self.origin_m[0]) / self.cell_m).floor() as i64;
        let cj = ((y_m - self.origin_m[1]) / self.cell_m).floor() as i64;
        let mut best: Option<Foot> = None;
        let better = |f: &Foot, b: &Option<Foot>| match b {
            None => true,
            Some(b) => (f.snap_m, f.edge) < (b.snap_m, b.edge),
        };
        // Rings (cells k steps from the point's cell) closer than k0 lie outside the grid.
        let k0 = [-ci, ci - (self.nx - 1), -cj, cj - (self.ny - 1), 0]
            .into_iter()
            .max()
            .unwrap_or(0);
        for k in k0.. {
            // Every point of ring k's cells is at least (k - 1) cells away from p.
            let lower_m = (k - 1).max(0) as f64 * self.cell_m;
            if lower_m > max_m || best.is_some_and(|b| b.snap_m < lower_m) {
                break;
            }
            let (i0, i1, j0, j1) = (ci - k, ci + k, cj - k, cj + k);
            if i0 < 0 && j0 < 0 && i1 >= self.nx && j1 >= self.ny {
                // This ring and every later one lie wholly outside the grid.
                break;
            }
            for j in j0.max(0)..=j1.min(self.ny - 1) {
                let edge_row = j == j0 || j == j1;
                let step = if edge_row { 1 } else { (i1 - i0).max(1) };
                let mut i = i0;
                while i <= i1 {
                    if i >= 0 && i < self.nx {
                        for &e in self.cell(i, j) {
                            let (t, f) = foot_point(graph, e, p);
                            let (dx, dy) = (p[0] - f[0], p[1] - f[1]);
                            // The square is a cheap filter; the winner is chosen on the same
                            // `hypot` as `foot_on`, so the margin only keeps near-ties in.
                            if best.is_some_and(|b| {
                                dx * dx + dy * dy > b.snap_m * b.snap_m * (1.0 + 1e-9)
                            }) {
                                continue;
                            }
                            let f = Foot {
                                edge: e,
                                t,
                                snap_m: dx.hypot(dy),
                            };
                            if better(&f, &best) {
                                best = Some(f);
                            }
                        }
                    }
                    i += step;
                }
            }
        }
        best.filter(|f| f.snap_m <= max_m)
    }

    /// A key that orders positions by the cell they fall in (rows of cells, south to north,
    /// each west to east; outside the grid, the nearest cell), so queries made in key order
    /// read the index and the graph in memory order. Non-finite positions sort last.
    pub fn cell_key(&self, x_m: f64, y_m: f64) -> u64 {
        if !(x_m.is_finite() && y_m.is_finite()) {
            return u64::MAX;
        }
        let i = (((x_m - self.origin_m[0]) / self.cell_m).floor() as i64).clamp(0, self.nx - 1);
        let j = (((y_m - self.origin_m[1]) / self.cell_m).floor() as i64).clamp(0, self.ny - 1);
        (j * self.nx + i) as u64
    }

    fn cell(&self, i: i64, j: i64) -> &[u32] {
        let c = (j * self.nx + i) as usize;
        &self.edges[self.start[c] as usize..self.start[c + 1] as usize]
    }
}

/// The foot of `p` on edge `k`.
pub fn foot_on(graph: &Graph, k: u32, p: [f64; 2]) -> Foot {
    let (t, f) = foot_point(graph, k, p);
    Foot {
        edge: k,
        t,
        snap_m: (p[0] - f[0]).hypot(p[1] - f[1]),
    }
}

/// Position along edge `k` (0 at `a`, 1 at `b`) of the point nearest `p`, and that point.
#[inline]
fn foot_point(graph: &Graph, k: u32, p: [f64; 2]) -> (f64, [f64; 2]) {
    let e = graph.edges[k as usize];
    let (a, b) = (graph.xy_m[e.a as usize], graph.xy_m[e.b as usize]);
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let len2 = dx * dx + dy * dy;
    let t = if len2 > 0.0 {
        (((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    (t, [a[0] + t * dx, a[1] + t * dy])
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

    /// The grid search finds what a scan of every edge finds, near and far from the network.
    #[test]
    fn same_as_scanning_every_edge() {
        let mut rng = crate::test_rng::Lcg(5);
        let mut next = move || rng.unit();
        let xy: Vec<[f64; 2]> = (0..200)
            .map(|_| [next() * 2000.0, next() * 800.0])
            .collect();
        let pairs: Vec<(u32, u32)> = (0..300)
            .map(|_| ((next() * 200.0) as u32, (next() * 200.0) as u32))
            .filter(|(a, b)| a != b)
            .collect();
        let g = Graph::from_pairs(xy, &pairs);
        let idx = SegmentIndex::new(&g);
        for _ in 0..500 {
            let p = [next() * 3000.0 - 500.0, next() * 2000.0 - 600.0];
            let scan = (0..g.edges.len() as u32)
                .map(|k| foot_on(&g, k, p))
                .min_by(|a, b| (a.snap_m, a.edge).partial_cmp(&(b.snap_m, b.edge)).unwrap());
            for max_m in [f64::INFINITY, 150.0] {
                let want = scan.filter(|f| f.snap_m <= max_m);
                assert_eq!(idx.snap(&g, p[0], p[1], max_m), want, "{p:?} {max_m}");
            }
        }
    }
}
