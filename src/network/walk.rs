//! Walking distance between snapped points: snap(point) + network distance between the two
//! feet (through either end of each edge, or along the edge when both feet lie on one edge)
//! + snap(AED). Bounded Dijkstra with a binary heap; every search is cut at `max_m`.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use super::graph::Graph;
use super::snap::Foot;

/// Feet grouped by edge: `(edge, item)` pairs sorted by edge, then item.
struct ByEdge(Vec<(u32, u32)>);

impl ByEdge {
    fn new(feet: &[Option<Foot>]) -> ByEdge {
        let mut v: Vec<(u32, u32)> = feet
            .iter()
            .enumerate()
            .filter_map(|(i, f)| f.map(|f| (f.edge, i as u32)))
            .collect();
        v.sort_unstable();
        ByEdge(v)
    }

    fn on(&self, edge: u32) -> impl Iterator<Item = u32> + '_ {
        let lo = self.0.partition_point(|&(e, _)| e < edge);
        self.0[lo..]
            .iter()
            .take_while(move |&&(e, _)| e == edge)
            .map(|&(_, i)| i)
    }
}

/// Heap key: distance bits (non-negative floats order as their bits), label, node.
type Key = Reverse<(u64, u32, u32)>;

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
    let best = multi_source(graph, aed_feet, max_m);
    let aeds_on = ByEdge::new(aed_feet);
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
            for f in aeds_on.on(p.edge) {
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
    let mut heap: BinaryHeap<Key> = BinaryHeap::new();
    let push = |best: &mut Vec<(f64, u32)>, heap: &mut BinaryHeap<Key>, v: u32, d: f64, f: u32| {
        if d <= max_m && (d, f) < best[v as usize] {
            best[v as usize] = (d, f);
            heap.push(Reverse((d.to_bits(), f, v)));
        }
    };
    for (f, foot) in aed_feet.iter().enumerate() {
        if let Some(foot) = foot {
            for (v, d) in seeds(graph, foot) {
                push(&mut best, &mut heap, v, d, f as u32);
            }
        }
    }
    while let Some(Reverse((bits, f, u))) = heap.pop() {
        let d = f64::from_bits(bits);
        if (d, f) != best[u as usize] {
            continue;
        }
        for &(v, e) in graph.neighbours(u) {
            push(
                &mut best,
                &mut heap,
                v,
                d + graph.edges[e as usize].len_m,
                f,
            );
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
    let points_on = ByEdge::new(point_feet);
    let mut triples: Vec<(u32, u32, f64)> = aed_feet
        .par_iter()
        .enumerate()
        .flat_map_iter(|(f, foot)| {
            let reach = match foot {
                Some(a) => reach_from(graph, a, point_feet, &points_on, max_m),
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

/// The points within `max_m` walking of one AED, each once with its distance.
fn reach_from(
    graph: &Graph,
    a: &Foot,
    point_feet: &[Option<Foot>],
    points_on: &ByEdge,
    max_m: f64,
) -> Vec<(u32, f64)> {
    let dist = bounded_dijkstra(graph, &seeds(graph, a), max_m);
    let mut found: FxHashMap<u32, f64> = FxHashMap::default();
    let mut offer = |p: u32, d: f64| {
        if d <= max_m {
            let slot = found.entry(p).or_insert(f64::INFINITY);
            if d < *slot {
                *slot = d;
            }
        }
    };
    for (&u, &du) in &dist {
        for &(_, e) in graph.neighbours(u) {
            for p in points_on.on(e) {
                let Some(pf) = point_feet[p as usize] else {
                    continue;
                };
                offer(p, du + from_end(graph, &pf, u) + pf.snap_m);
            }
        }
    }
    for p in points_on.on(a.edge) {
        let Some(pf) = point_feet[p as usize] else {
            continue;
        };
        offer(p, a.snap_m + along_same_edge(graph, a, &pf) + pf.snap_m);
    }
    let mut v: Vec<(u32, f64)> = found.into_iter().collect();
    v.sort_unstable_by_key(|x| x.0);
    v
}

/// Dijkstra from `seeds` (node, metres), settling every node within `max_m`.
pub fn bounded_dijkstra(graph: &Graph, seeds: &[(u32, f64)], max_m: f64) -> FxHashMap<u32, f64> {
    let mut dist: FxHashMap<u32, f64> = FxHashMap::default();
    let mut heap: BinaryHeap<Reverse<(u64, u32)>> = BinaryHeap::new();
    let push = |dist: &mut FxHashMap<u32, f64>, heap: &mut BinaryHeap<_>, v: u32, d: f64| {
        if d <= max_m && dist.get(&v).is_none_or(|&old| d < old) {
            dist.insert(v, d);
            heap.push(Reverse((d.to_bits(), v)));
        }
    };
    for &(v, d) in seeds {
        push(&mut dist, &mut heap, v, d);
    }
    while let Some(Reverse((bits, u))) = heap.pop() {
        let d = f64::from_bits(bits);
        if dist.get(&u) != Some(&d) {
            continue;
        }
        for &(v, e) in graph.neighbours(u) {
            push(&mut dist, &mut heap, v, d + graph.edges[e as usize].len_m);
        }
    }
    dist
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
