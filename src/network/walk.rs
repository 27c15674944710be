//! Walking distance between snapped points: snap(point) plus the network distance between
//! the two feet (through either end of each edge, or along the edge when both feet lie on
//! one edge) plus snap(AED). Bounded Dijkstra on dense per-node arrays with a radix heap on
//! the distances' bits; every search is cut at `max_m`.

use std::cell::RefCell;

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use super::graph::Graph;
use super::heap::RadixHeap;
use super::snap::Foot;

/// Feet grouped by edge (CSR): the items on edge `e` are `items[start[e]..start[e + 1]]`,
/// ascending.
struct ByEdge {
    start: Vec<u32>,
    items: Vec<u32>,
}

impl ByEdge {
    fn new(feet: &[Option<Foot>], edge_count: usize) -> ByEdge {
        let mut start = vec![0u32; edge_count + 1];
        for f in feet.iter().flatten() {
            start[f.edge as usize + 1] += 1;
        }
        for e in 0..edge_count {
            start[e + 1] += start[e];
        }
        let mut fill = start.clone();
        let mut items = vec![0u32; start[edge_count] as usize];
        for (i, f) in feet.iter().enumerate() {
            if let Some(f) = f {
                items[fill[f.edge as usize] as usize] = i as u32;
                fill[f.edge as usize] += 1;
            }
        }
        ByEdge { start, items }
    }

    fn on(&self, edge: u32) -> &[u32] {
        let e = edge as usize;
        match (self.start.get(e), self.start.get(e + 1)) {
            (Some(&a), Some(&b)) => &self.items[a as usize..b as usize],
            _ => &[],
        }
    }
}

/// Seeds of a search from `foot`: its edge's two ends at snap + along-edge metres.
fn seeds(graph: &Graph, foot: &Foot) -> [(u32, f64); 2] {
    let e = graph.edges[foot.edge as usize];
    let (da, db) = foot.along_m(graph);
    [(e.a, foot.snap_m + da), (e.b, foot.snap_m + db)]
}

/// Metres from the end `node` of edge `foot.edge` to the foot, along the edge.
fn from_end(graph: &Graph, foot: &Foot, node: u32) -> f64 {
    let (da, db) = foot.along_m(graph);
    if graph.edges[foot.edge as usize].a == node {
        da
    } else {
        db
    }
}

/// Along one edge between two feet on it, metres.
fn along_same_edge(graph: &Graph, p: &Foot, q: &Foot) -> f64 {
    (p.t - q.t).abs() * graph.edges[p.edge as usize].len_m
}

/// The nearest AED of every point by walking distance, within `max_m` (inclusive): one
/// multi-source Dijkstra from all AEDs' feet at once. Returns `(aed index, metres)` per point,
/// `None` when no AED is within `max_m` (or the point is not snapped). Ties go to the
/// smaller AED index.
pub fn nearest_within(
    graph: &Graph,
    aed_feet: &[Option<Foot>],
    point_feet: &[Option<Foot>],
    max_m: f64,
) -> Vec<Option<(u32, f64)>> {
    nearest_from(
        graph,
        &multi_source(graph, aed_feet, max_m),
        aed_feet,
        point_feet,
        max_m,
    )
}

/// [`nearest_within`] from the per-node result of [`multi_source`] (same `aed_feet`, same
/// `max_m`).
pub fn nearest_from(
    graph: &Graph,
    best: &[(f64, u32)],
    aed_feet: &[Option<Foot>],
    point_feet: &[Option<Foot>],
    max_m: f64,
) -> Vec<Option<(u32, f64)>> {
    let aeds_on = ByEdge::new(aed_feet, graph.edges.len());
    point_feet
        .par_iter()
        .with_min_len(4096)
        .map(|foot| {
            let p = foot.as_ref()?;
            let e = graph.edges[p.edge as usize];
            let mut cand = [e.a, e.b]
                .into_iter()
                .map(|v| {
                    let (d, f) = best[v as usize];
                    (d + from_end(graph, p, v), f)
                })
                .fold((f64::INFINITY, u32::MAX), min_pair);
            for &f in aeds_on.on(p.edge) {
                let Some(a) = aed_feet[f as usize] else {
                    continue;
                };
                cand = min_pair(cand, (a.snap_m + along_same_edge(graph, p, &a), f));
            }
            let d = cand.0 + p.snap_m;
            (d <= max_m).then_some((cand.1, d))
        })
        .collect()
}

/// Per node: walking metres to the nearest AED foot and that AED's index, by one
/// multi-source Dijkstra cut at `max_m` (`(INFINITY, u32::MAX)` beyond). Ties go to the
/// smaller AED index.
pub fn multi_source(graph: &Graph, aed_feet: &[Option<Foot>], max_m: f64) -> Vec<(f64, u32)> {
    let n = graph.node_count();
    let mut best: Vec<(f64, u32)> = vec![(f64::INFINITY, u32::MAX); n];
    // Values are (AED, node). Among equal distances the heap's order is arbitrary; a node
    // improved to a smaller AED index at the same distance is pushed again, so every node
    // ends at the least (distance, AED) over all paths whatever the order.
    let mut heap: RadixHeap<(u32, u32)> = RadixHeap::new();
    let push =
        |best: &mut [(f64, u32)], heap: &mut RadixHeap<(u32, u32)>, v: u32, d: f64, f: u32| {
            if d <= max_m && (d, f) < best[v as usize] {
                best[v as usize] = (d, f);
                heap.push(d.to_bits(), (f, v));
            }
        };
    for (f, foot) in aed_feet.iter().enumerate() {
        if let Some(foot) = foot {
            for (v, d) in seeds(graph, foot) {
                push(&mut best, &mut heap, v, d, f as u32);
            }
        }
    }
    while let Some((bits, (f, u))) = heap.pop() {
        let d = f64::from_bits(bits);
        if (d, f) != best[u as usize] {
            continue;
        }
        for &(v, len_m) in graph.arcs(u) {
            push(&mut best, &mut heap, v, d + len_m, f);
        }
    }
    best
}

fn min_pair(a: (f64, u32), b: (f64, u32)) -> (f64, u32) {
    if b < a { b } else { a }
}

/// Every AED within `max_m` walking of every point, with its distance: one bounded Dijkstra
/// from each AED's foot, inverted to per-point lists sorted by distance, then AED index.
pub fn all_within(
    graph: &Graph,
    aed_feet: &[Option<Foot>],
    point_feet: &[Option<Foot>],
    max_m: f64,
) -> Vec<Vec<(u32, f64)>> {
    let points_on = ByEdge::new(point_feet, graph.edges.len());
    let mut triples: Vec<(u32, u32, f64)> = aed_feet
        .par_iter()
        .enumerate()
        .flat_map_iter(|(f, foot)| {
            let reach = match foot {
                Some(a) => with_scratch(graph, |s| {
                    reach_from(graph, s, a, point_feet, &points_on, max_m)
                }),
                None => Vec::new(),
            };
            reach.into_iter().map(move |(p, d)| (p, f as u32, d))
        })
        .collect();
    triples.par_sort_unstable_by(|x, y| {
        (x.0, x.2, x.1)
            .partial_cmp(&(y.0, y.2, y.1))
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    let mut out = vec![Vec::new(); point_feet.len()];
    for (p, f, d) in triples {
        out[p as usize].push((f, d));
    }
    out
}

/// The points within `max_m` walking of one AED, each once with its (least) distance,
/// ascending by point.
fn reach_from(
    graph: &Graph,
    s: &mut Scratch,
    a: &Foot,
    point_feet: &[Option<Foot>],
    points_on: &ByEdge,
    max_m: f64,
) -> Vec<(u32, f64)> {
    s.search(graph, &seeds(graph, a), max_m);
    let mut found: Vec<(u32, f64)> = Vec::new();
    let mut offer = |p: u32, d: f64| {
        if d <= max_m {
            found.push((p, d));
        }
    };
    for &u in &s.touched {
        let du = s.dist[u as usize];
        for &(_, e) in graph.neighbours(u) {
            for &p in points_on.on(e) {
                let Some(pf) = point_feet[p as usize] else {
                    continue;
                };
                offer(p, du + from_end(graph, &pf, u) + pf.snap_m);
            }
        }
    }
    for &p in points_on.on(a.edge) {
        let Some(pf) = point_feet[p as usize] else {
            continue;
        };
        offer(p, a.snap_m + along_same_edge(graph, a, &pf) + pf.snap_m);
    }
    found.sort_unstable_by(|x, y| x.0.cmp(&y.0).then(x.1.total_cmp(&y.1)));
    found.dedup_by_key(|x| x.0);
    found
}

/// State of one bounded search, reused from search to search on a thread: a distance per
/// node (infinite when not reached) and the nodes the last search reached.
#[derive(Default)]
struct Scratch {
    dist: Vec<f64>,
    touched: Vec<u32>,
    heap: RadixHeap<u32>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// Runs `f` with this thread's scratch (a fresh one if it is in use).
fn with_scratch<T>(graph: &Graph, f: impl FnOnce(&mut Scratch) -> T) -> T {
    SCRATCH.with(|cell| match cell.try_borrow_mut() {
        Ok(mut s) => {
            s.fit(graph);
            f(&mut s)
        }
        Err(_) => {
            let mut s = Scratch::default();
            s.fit(graph);
            f(&mut s)
        }
    })
}

impl Scratch {
    fn fit(&mut self, graph: &Graph) {
        self.reset();
        if self.dist.len() < graph.node_count() {
            self.dist.resize(graph.node_count(), f64::INFINITY);
        }
    }

    fn reset(&mut self) {
        for &v in &self.touched {
            self.dist[v as usize] = f64::INFINITY;
        }
        self.touched.clear();
        self.heap.clear();
    }

    /// Dijkstra from `seeds` (node, metres): afterwards `touched` lists every node within
    /// `max_m` and `dist` holds its metres.
    fn search(&mut self, graph: &Graph, seeds: &[(u32, f64)], max_m: f64) {
        self.reset();
        let Scratch {
            dist,
            touched,
            heap,
        } = self;
        for &(v, d) in seeds {
            relax(dist, touched, heap, v, d, max_m);
        }
        while let Some((bits, u)) = heap.pop() {
            let d = f64::from_bits(bits);
            if dist[u as usize] != d {
                continue;
            }
            for &(v, len_m) in graph.arcs(u) {
                relax(dist, touched, heap, v, d + len_m, max_m);
            }
        }
    }
}

/// Offers `d` metres to node `v` in a bounded search.
fn relax(
    dist: &mut [f64],
    touched: &mut Vec<u32>,
    heap: &mut RadixHeap<u32>,
    v: u32,
    d: f64,
    max_m: f64,
) {
    let old = dist[v as usize];
    if d <= max_m && d < old {
        if old == f64::INFINITY {
            touched.push(v);
        }
        dist[v as usize] = d;
        heap.push(d.to_bits(), v);
    }
}

/// Dijkstra from `seeds` (node, metres), settling every node within `max_m`.
pub fn bounded_dijkstra(graph: &Graph, seeds: &[(u32, f64)], max_m: f64) -> FxHashMap<u32, f64> {
    with_scratch(graph, |s| {
        s.search(graph, seeds, max_m);
        s.touched.iter().map(|&v| (v, s.dist[v as usize])).collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::snap::SegmentIndex;

    /// A river between y=0 and y=80 crossed by one bridge at x=260: two banks 600 m long.
    fn river() -> Graph {
        let xy = vec![[0.0, 0.0], [260.0, 0.0], [260.0, 80.0], [0.0, 80.0]];
        Graph::from_pairs(xy, &[(0, 1), (1, 2), (2, 3)])
    }

    #[test]
    fn river_with_one_bridge() {
        let g = river();
        let idx = SegmentIndex::new(&g);
        let aed = [idx.snap(&g, 0.0, 80.0, 1000.0)];
        let pt = [idx.snap(&g, 0.0, 0.0, 1000.0)];
        let near = nearest_within(&g, &aed, &pt, 1000.0);
        assert_eq!(near[0], Some((0, 600.0)));
        assert_eq!(nearest_within(&g, &aed, &pt, 599.9)[0], None);
        assert_eq!(all_within(&g, &aed, &pt, 1000.0)[0], [(0, 600.0)]);
    }

    #[test]
    fn two_feet_on_one_edge_go_along_it() {
        let g = Graph::from_pairs(vec![[0.0, 0.0], [1000.0, 0.0]], &[(0, 1)]);
        let idx = SegmentIndex::new(&g);
        let aed = [idx.snap(&g, 400.0, 10.0, 500.0)];
        let pt = [idx.snap(&g, 450.0, -20.0, 500.0)];
        // 10 m snap + 50 m along the edge + 20 m snap.
        let (f, d) = nearest_within(&g, &aed, &pt, 500.0)[0].unwrap();
        assert!(f == 0 && (d - 80.0).abs() < 1e-9, "{d}");
        let all = &all_within(&g, &aed, &pt, 500.0)[0];
        assert!(all.len() == 1 && (all[0].1 - 80.0).abs() < 1e-9, "{all:?}");
    }

    #[test]
    fn nearest_agrees_with_all_within() {
        // A 6×6 grid, 50 m apart, AEDs and points scattered off the lines.
        let mut xy = Vec::new();
        let mut pairs = Vec::new();
        for j in 0..6u32 {
            for i in 0..6u32 {
                xy.push([50.0 * i as f64, 50.0 * j as f64]);
                if i > 0 {
                    pairs.push((j * 6 + i - 1, j * 6 + i));
                }
                if j > 0 {
                    pairs.push(((j - 1) * 6 + i, j * 6 + i));
                }
            }
        }
        let g = Graph::from_pairs(xy, &pairs);
        let idx = SegmentIndex::new(&g);
        let snap = |x: f64, y: f64| idx.snap(&g, x, y, 300.0);
        let aeds = [snap(12.0, 3.0), snap(203.0, 177.0), snap(130.0, 61.0)];
        let pts: Vec<_> = (0..40)
            .map(|k| snap((k * 37 % 250) as f64 + 0.5, (k * 53 % 250) as f64 + 0.25))
            .collect();
        let near = nearest_within(&g, &aeds, &pts, 200.0);
        let all = all_within(&g, &aeds, &pts, 200.0);
        for (n, a) in near.iter().zip(&all) {
            match (n, a.first()) {
                (None, None) => {}
                (Some((_, d)), Some((_, d2))) => assert!((d - d2).abs() < 1e-9),
                other => panic!("{other:?}"),
            }
        }
    }
}
