//! The walkable network as a graph: one node per OSM node used by a walkable way, one
//! undirected edge per consecutive pair of nodes along a way, lengths in metres in the run's
//! metric CRS. Adjacency in CSR form with `u32` node and edge ids.

use rayon::prelude::*;
use serde::Serialize;

use super::osm::OsmData;
use crate::geography::MetricProjection;

/// One undirected edge: node ids and its length, metres.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Edge {
    pub a: u32,
    pub b: u32,
    pub len_m: f64,
}

/// The size of a network, as outputs report it.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct NetworkStats {
    /// Walkable ways read from the file.
    pub walkable_ways: usize,
    pub nodes: usize,
    pub edges: usize,
    /// Connected components (a lone edge is one).
    pub components: usize,
    /// Nodes in the largest component.
    pub largest_component_nodes: usize,
    /// Way node refs the file does not hold (the pairs they are in are left out, counted here).
    pub missing_node_refs: usize,
    /// Nodes that could not be put into the metric CRS (their pairs are left out).
    pub unprojectable_nodes: usize,
}

/// A walkable graph in a metric CRS.
#[derive(Debug, Clone)]
pub struct Graph {
    /// Node positions, metres in the run's metric CRS.
    pub xy_m: Vec<[f64; 2]>,
    pub edges: Vec<Edge>,
    /// CSR: the (neighbour, edge) pairs of node `n` are `adj[start[n]..start[n + 1]]`.
    start: Vec<u32>,
    adj: Vec<(u32, u32)>,
    /// `adj[i]`'s neighbour and the length of its edge, metres, side by side: a search
    /// reads one record per arc instead of the pair plus the edge.
    arcs: Vec<(u32, f64)>,
    /// Component id of each node (ids in order of first node).
    pub component: Vec<u32>,
    /// The OSM id of each node; empty for a graph not read from OSM.
    pub osm_ids: Vec<i64>,
    pub stats: NetworkStats,
}

impl Graph {
    /// Builds the graph of `data`'s walkable ways, projecting nodes with `projection`.
    pub fn from_osm(data: &OsmData, projection: &MetricProjection) -> Graph {
        let mut used: Vec<i64> = data.walkable_ways.iter().flatten().copied().collect();
        used.sort_unstable();
        used.dedup();
        let projected: Vec<Option<[f64; 2]>> = used
            .par_iter()
            .map(|&id| {
                let [lon, lat] = data.node(id)?;
                projection.to_metric(lon, lat).ok().map(|(x, y)| [x, y])
            })
            .collect();
        let missing_node_refs = used.iter().filter(|&&id| data.node(id).is_none()).count();
        let unprojectable = projected.iter().filter(|p| p.is_none()).count() - missing_node_refs;
        // Only nodes with a position become graph nodes.
        let mut node_of = vec![u32::MAX; used.len()];
        let mut xy_m = Vec::with_capacity(used.len());
        let mut osm_ids = Vec::with_capacity(used.len());
        for (i, p) in projected.iter().enumerate() {
            if let Some(p) = p {
                node_of[i] = xy_m.len() as u32;
                xy_m.push(*p);
                osm_ids.push(used[i]);
            }
        }
        let lookup = |id: i64| {
            used.binary_search(&id)
                .ok()
                .map(|i| node_of[i])
                .filter(|&n| n != u32::MAX)
        };
        let mut pairs = Vec::new();
        for way in &data.walkable_ways {
            for w in way.windows(2) {
                if let (Some(a), Some(b)) = (lookup(w[0]), lookup(w[1]))
                    && a != b
                {
                    pairs.push((a, b));
                }
            }
        }
        let mut g = Graph::from_pairs(xy_m, &pairs);
        g.osm_ids = osm_ids;
        g.stats.walkable_ways = data.walkable_ways.len();
        g.stats.missing_node_refs = missing_node_refs;
        g.stats.unprojectable_nodes = unprojectable;
        g
    }

    /// A graph of the given node positions (metres) and node pairs; lengths are the straight
    /// lines between the pair's nodes. Nodes on no edge are dropped from the count of nodes
    /// but keep their ids.
    pub fn from_pairs(xy_m: Vec<[f64; 2]>, pairs: &[(u32, u32)]) -> Graph {
        let edges: Vec<Edge> = pairs
            .iter()
            .map(|&(a, b)| {
                let (p, q) = (xy_m[a as usize], xy_m[b as usize]);
                Edge {
                    a,
                    b,
                    len_m: (q[0] - p[0]).hypot(q[1] - p[1]),
                }
            })
            .collect();
        let n = xy_m.len();
        let mut degree = vec![0u32; n + 1];
        for e in &edges {
            degree[e.a as usize + 1] += 1;
            degree[e.b as usize + 1] += 1;
        }
        for i in 0..n {
            degree[i + 1] += degree[i];
        }
        let start = degree;
        let mut fill = start.clone();
        let mut adj = vec![(0u32, 0u32); 2 * edges.len()];
        let mut arcs = vec![(0u32, 0.0); 2 * edges.len()];
        for (k, e) in edges.iter().enumerate() {
            for (from, to) in [(e.a, e.b), (e.b, e.a)] {
                let i = fill[from as usize] as usize;
                adj[i] = (to, k as u32);
                arcs[i] = (to, e.len_m);
                fill[from as usize] += 1;
            }
        }
        let mut g = Graph {
            xy_m,
            edges,
            start,
            adj,
            arcs,
            component: Vec::new(),
            osm_ids: Vec::new(),
            stats: NetworkStats::default(),
        };
        g.label_components();
        g
    }

    /// Number of nodes (ids `0..len`).
    pub fn node_count(&self) -> usize {
        self.xy_m.len()
    }

    /// The (neighbour, edge id) pairs of node `n`.
    pub fn neighbours(&self, n: u32) -> &[(u32, u32)] {
        &self.adj[self.start[n as usize] as usize..self.start[n as usize + 1] as usize]
    }

    /// The neighbours of node `n` with the length of the edge to each, metres.
    #[inline]
    pub fn arcs(&self, n: u32) -> &[(u32, f64)] {
        &self.arcs[self.start[n as usize] as usize..self.start[n as usize + 1] as usize]
    }

    /// The number of edges at node `n` (an edge repeated between the same pair counts each time).
    pub fn degree(&self, n: u32) -> usize {
        (self.start[n as usize + 1] - self.start[n as usize]) as usize
    }

    fn label_components(&mut self) {
        let n = self.node_count();
        let mut comp = vec![u32::MAX; n];
        let mut sizes: Vec<usize> = Vec::new();
        let mut stack = Vec::new();
        let mut on_edges = 0;
        for s in 0..n as u32 {
            if comp[s as usize] != u32::MAX || self.neighbours(s).is_empty() {
                continue;
            }
            let id = sizes.len() as u32;
            let mut size = 0;
            comp[s as usize] = id;
            stack.push(s);
            while let Some(u) = stack.pop() {
                size += 1;
                for &(v, _) in self.neighbours(u) {
                    if comp[v as usize] == u32::MAX {
                        comp[v as usize] = id;
                        stack.push(v);
                    }
                }
            }
            on_edges += size;
            sizes.push(size);
        }
        self.component = comp;
        self.stats.nodes = on_edges;
        self.stats.edges = self.edges.len();
        self.stats.components = sizes.len();
        self.stats.largest_component_nodes = sizes.iter().copied().max().unwrap_or(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csr_and_components() {
        let xy = vec![
            [0.0, 0.0],
            [3.0, 4.0],
            [3.0, 0.0],
            [100.0, 0.0],
            [101.0, 0.0],
            [7.0, 7.0],
        ];
        let g = Graph::from_pairs(xy, &[(0, 1), (1, 2), (3, 4)]);
        assert_eq!(g.edges[0].len_m, 5.0);
        assert_eq!(g.neighbours(1), &[(0, 0), (2, 1)]);
        assert_eq!(g.stats.components, 2);
        assert_eq!(g.stats.nodes, 5);
        assert_eq!(g.stats.largest_component_nodes, 3);
        assert_eq!(g.component[5], u32::MAX);
        assert_ne!(g.component[0], g.component[3]);
    }
}
