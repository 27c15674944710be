//! Walking distance on the real path network, from an OpenStreetMap extract.
//!
//! [`osm`] reads PBF or XML (nodes, walkable ways, AED elements, `place=*` names) →
//! [`graph`] builds the undirected graph (CSR, `u32` ids, metres in the run's metric CRS) →
//! [`snap`] puts points on their exact nearest edge → [`walk`] runs bounded Dijkstra: one
//! multi-source search for every point's nearest AED, one search per AED for every AED
//! within the largest radius. [`WalkNetwork`] and [`WalkDistances`] tie them together.

pub mod candidates;
pub mod graph;
mod heap;
pub mod lookup;
pub mod osm;
pub mod reach;
pub mod service;
pub mod snap;
pub mod walk;

use std::path::{Path, PathBuf};

use serde::Serialize;

pub use candidates::{NodeCandidates, node_candidates};
pub use graph::{Edge, Graph, NetworkStats};
pub use lookup::WalkLookup;
pub use osm::{OsmData, OsmError, Place, read_osm};
pub use reach::WalkReach;
pub use snap::{Foot, SegmentIndex};

use crate::coverage::{DemandPoint, Facility};
use crate::geography::MetricProjection;

/// A network could not be used.
#[derive(Debug, thiserror::Error)]
pub enum NetworkError {
    #[error(transparent)]
    Osm(#[from] OsmError),
    #[error("{path}: no walkable ways (highway=footway, residential, … without foot=no)")]
    NoWalkableWays { path: PathBuf },
    #[error(
        "{path}: no demand point lies within {max_m} m of a walkable way: the network does not overlap the demand"
    )]
    NoOverlap { path: PathBuf, max_m: f64 },
}

/// A walkable network loaded for a run.
pub struct WalkNetwork {
    /// The file it came from.
    pub path: PathBuf,
    pub graph: Graph,
    pub index: SegmentIndex,
    /// `place=*` names, lon/lat WGS84.
    pub places: Vec<Place>,
}

impl WalkNetwork {
    /// Builds the network of an OSM extract already read.
    pub fn from_osm(
        path: &Path,
        data: &OsmData,
        projection: &MetricProjection,
    ) -> Result<WalkNetwork, NetworkError> {
        let graph = Graph::from_osm(data, projection);
        if graph.edges.is_empty() {
            return Err(NetworkError::NoWalkableWays {
                path: path.to_path_buf(),
            });
        }
        Ok(WalkNetwork::new(path, graph, data.places.clone()))
    }

    /// A network of a graph built elsewhere (synthetic networks, tests).
    pub fn new(path: &Path, graph: Graph, places: Vec<Place>) -> WalkNetwork {
        WalkNetwork {
            path: path.to_path_buf(),
            index: SegmentIndex::new(&graph),
            graph,
            places,
        }
    }

    /// Snaps positions (metres) to the network; `None` beyond `max_m`.
    pub fn snap_all(&self, xy: &[(f64, f64)], max_m: f64) -> Vec<Option<Foot>> {
        use rayon::prelude::*;
        let snap = |&(x, y): &(f64, f64)| self.index.snap(&self.graph, x, y, max_m);
        if xy.len() < 4096 {
            return xy.iter().map(snap).collect();
        }
        // Scattered points read the index and the graph at random; in cell order, neighbours
        // in the queue share cells, which stay in cache. Each answer is the same either way.
        let mut order: Vec<(u64, u32)> = xy
            .par_iter()
            .enumerate()
            .map(|(i, &(x, y))| (self.index.cell_key(x, y), i as u32))
            .collect();
        order.par_sort_unstable();
        let sorted: Vec<Option<Foot>> = order
            .par_iter()
            .with_min_len(1024)
            .map(|&(_, i)| snap(&xy[i as usize]))
            .collect();
        let mut out = vec![None; xy.len()];
        for (&(_, i), f) in order.iter().zip(sorted) {
            out[i as usize] = f;
        }
        out
    }
}

/// Every point's nearest AED by walking, with the feet of both.
pub struct Nearest {
    pub aed_feet: Vec<Option<Foot>>,
    pub point_feet: Vec<Option<Foot>>,
    /// Per point: (AED index, walking metres), `None` beyond `max_m`; as
    /// [`walk::nearest_within`].
    pub nearest: Vec<Option<(u32, f64)>>,
}

impl WalkNetwork {
    /// Snaps AEDs and points (metres) and finds every point's nearest AED within `max_m`
    /// walking: the points are snapped while the multi-source Dijkstra runs, which needs only
    /// the AEDs' feet.
    pub fn nearest(&self, aed_xy: &[(f64, f64)], point_xy: &[(f64, f64)], max_m: f64) -> Nearest {
        let aed_feet = self.snap_all(aed_xy, max_m);
        let (point_feet, best) = rayon::join(
            || self.snap_all(point_xy, max_m),
            || walk::multi_source(&self.graph, &aed_feet, max_m),
        );
        let nearest = walk::nearest_from(&self.graph, &best, &aed_feet, &point_feet, max_m);
        Nearest {
            aed_feet,
            point_feet,
            nearest,
        }
    }
}

/// Why a demand point has no AED within the largest radius by walking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unreached {
    /// No walkable way lies within the largest radius of the point.
    NoWalkableWayNear,
    /// Its piece of network holds no counted AED that snapped to it.
    NoAedOnItsNetworkPiece,
    /// An AED is on its piece of network, but farther than the largest radius.
    BeyondLargestRadius,
}

impl Unreached {
    /// A sentence for reports.
    pub fn describe(&self) -> &'static str {
        match self {
            Unreached::NoWalkableWayNear => "no walkable way within the largest radius",
            Unreached::NoAedOnItsNetworkPiece => {
                "on a piece of network (connected component) with no counted AED"
            }
            Unreached::BeyondLargestRadius => {
                "every counted AED is farther than the largest radius"
            }
        }
    }
}

/// Walking distances of a run: per demand point, the nearest counted AED and every counted
/// AED within the largest radius; per point and AED, the foot on the network.
pub struct WalkDistances {
    /// The search cut, metres (the largest radius).
    pub max_m: f64,
    pub point_feet: Vec<Option<Foot>>,
    pub aed_feet: Vec<Option<Foot>>,
    /// Per point: (AED index, walking metres) of the nearest, within `max_m`.
    pub nearest: Vec<Option<(u32, f64)>>,
    /// Per point: every AED within `max_m`, by distance then index.
    pub within: Vec<Vec<(u32, f64)>>,
    /// Per point not reached: why.
    pub unreached: Vec<Option<Unreached>>,
    /// AEDs farther than `max_m` from every walkable way (they reach no one by walking).
    pub aeds_off_network: usize,
}

impl WalkDistances {
    /// Snaps `facilities` and `points`, and measures walking distance up to `max_m`.
    pub fn compute(
        net: &WalkNetwork,
        facilities: &[Facility],
        points: &[DemandPoint],
        max_m: f64,
    ) -> WalkDistances {
        let aed_xy: Vec<(f64, f64)> = facilities.iter().map(|f| (f.x_m, f.y_m)).collect();
        let point_xy: Vec<(f64, f64)> = points.iter().map(|p| (p.x_m, p.y_m)).collect();
        let Nearest {
            aed_feet,
            point_feet,
            nearest,
        } = net.nearest(&aed_xy, &point_xy, max_m);
        let within = walk::all_within(&net.graph, &aed_feet, &point_feet, max_m);
        let comp = |f: &Foot| net.graph.component[net.graph.edges[f.edge as usize].a as usize];
        let aed_components: std::collections::HashSet<u32> =
            aed_feet.iter().flatten().map(comp).collect();
        let unreached = point_feet
            .iter()
            .zip(&nearest)
            .map(|(foot, near)| match (foot, near) {
                (_, Some(_)) => None,
                (None, None) => Some(Unreached::NoWalkableWayNear),
                (Some(f), None) if !aed_components.contains(&comp(f)) => {
                    Some(Unreached::NoAedOnItsNetworkPiece)
                }
                (Some(_), None) => Some(Unreached::BeyondLargestRadius),
            })
            .collect();
        WalkDistances {
            max_m,
            aeds_off_network: aed_feet.iter().filter(|f| f.is_none()).count(),
            point_feet,
            aed_feet,
            nearest,
            within,
            unreached,
        }
    }

    /// Points not reached, per reason.
    pub fn unreached_counts(&self) -> std::collections::BTreeMap<Unreached, usize> {
        let mut m = std::collections::BTreeMap::new();
        for u in self.unreached.iter().flatten() {
            *m.entry(*u).or_default() += 1;
        }
        m
    }
}

/// Walking distance seen from the demand points, for [`crate::coverage::assess`],
/// criticality and hour of week. Facilities beyond the search cut (`max_m`) are not seen.
impl crate::coverage::Neighbours for WalkDistances {
    fn facility_count(&self) -> usize {
        self.aed_feet.len()
    }

    fn nearest_to(&self, i: usize, _p: &DemandPoint) -> Option<(u32, f64)> {
        self.nearest
            .get(i)
            .copied()
            .flatten()
            .map(|(f, d)| (f, d * d))
    }

    fn within(&self, i: usize, _p: &DemandPoint, radius_m: f64, mut f: impl FnMut(u32, f64)) {
        for &(fac, d) in self.within.get(i).into_iter().flatten() {
            if d <= radius_m {
                f(fac, d * d);
            }
        }
    }
}
