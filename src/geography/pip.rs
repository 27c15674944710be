//! Prepared point-in-polygon: a multipolygon's edges indexed by horizontal strips, so that a
//! point is tested against the few edges that span its northing instead of every edge.
//!
//! [`PreparedPolygon::intersects`] gives exactly geo's `MultiPolygon::intersects(&Point)`
//! (a point on a boundary intersects; the same winding-number rules and robust orientation
//! test as geo's `coord_pos_relative_to_ring`), in O(edges in one strip) per point after an
//! O(V) build, where geo's test is O(V) per point (issue 15 §4: a 200 k-vertex area tested
//! against every demand point).

use geo::kernels::{Kernel, Orientation};
use geo_types::{Coord, MultiPolygon, Rect};
use rayon::prelude::*;
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};

type Ker = <f64 as geo::GeoNum>::Ker;

/// Where a point lies relative to one ring.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum RingPos {
    Outside,
    OnBoundary,
    Inside,
}

/// Finds which of many areas holds a point: an R-tree of their bounding boxes, then each
/// candidate's [`PreparedPolygon`]. The one piece behind every point-in-area lookup.
#[derive(Clone, Debug)]
pub struct AreaLocator {
    tree: RTree<GeomWithData<Rectangle<[f64; 2]>, usize>>,
    prepared: Vec<PreparedPolygon>,
}

impl AreaLocator {
    /// Prepares the areas in the order given (their positions are the answers).
    pub fn new<'a>(areas: impl IntoIterator<Item = &'a MultiPolygon<f64>>) -> AreaLocator {
        let prepared: Vec<PreparedPolygon> = areas.into_iter().map(PreparedPolygon::new).collect();
        let entries = prepared
            .iter()
            .enumerate()
            .filter_map(|(i, p)| {
                let b = p.bounds?;
                let corners = ([b.min().x, b.min().y], [b.max().x, b.max().y]);
                Some(GeomWithData::new(
                    Rectangle::from_corners(corners.0, corners.1),
                    i,
                ))
            })
            .collect();
        AreaLocator {
            tree: RTree::bulk_load(entries),
            prepared,
        }
    }

    /// The first area (lowest position) holding (x, y), boundary included, so that a point on
    /// a shared boundary goes to the area read first.
    pub fn locate(&self, x: f64, y: f64) -> Option<usize> {
        self.containing(x, y).min()
    }

    /// Every area holding (x, y), boundary included, in no particular order.
    pub fn containing(&self, x: f64, y: f64) -> impl Iterator<Item = usize> + '_ {
        self.tree
            .locate_in_envelope_intersecting(&AABB::from_point([x, y]))
            .map(|e| e.data)
            .filter(move |&i| self.prepared[i].intersects(x, y))
    }

    /// [`AreaLocator::locate`] for every point, in parallel, in order.
    pub fn locate_all(&self, points: &[(f64, f64)]) -> Vec<Option<usize>> {
        points
            .par_iter()
            .with_min_len(1024)
            .map(|&(x, y)| self.locate(x, y))
            .collect()
    }
}

/// One edge and the ring it belongs to (rings numbered polygon by polygon, exterior first).
#[derive(Clone, Copy, Debug)]
struct Edge {
    start: Coord<f64>,
    end: Coord<f64>,
    ring: u32,
}

/// A multipolygon prepared for many point-in-polygon tests.
#[derive(Clone, Debug)]
pub struct PreparedPolygon {
    edges: Vec<Edge>,
    /// For polygon `p`, its rings are `rings[p]..rings[p + 1]`, the exterior first.
    rings: Vec<u32>,
    /// The edges' bounding box; `None` when there is no edge (a polygon repaired to
    /// nothing), which holds no point.
    bounds: Option<Rect<f64>>,
    strip_height_m: f64,
    /// Strip `s` holds the edges `strip_edges[strip_start[s]..strip_start[s + 1]]`, in order.
    strip_start: Vec<u32>,
    strip_edges: Vec<u32>,
}

/// At most this many strips; edges per strip stay small for any real boundary.
const MAX_STRIPS: usize = 1 << 16;

impl PreparedPolygon {
    /// Indexes every edge of every ring of `mp` (O(V) time and memory for real boundaries).
    pub fn new(mp: &MultiPolygon<f64>) -> PreparedPolygon {
        let (edges, rings) = edges_of(mp);
        let bounds = edges.first().map(|first| {
            let (mut min, mut max) = (first.start, first.start);
            for c in edges.iter().flat_map(|e| [e.start, e.end]) {
                (min.x, min.y) = (min.x.min(c.x), min.y.min(c.y));
                (max.x, max.y) = (max.x.max(c.x), max.y.max(c.y));
            }
            Rect::new(min, max)
        });
        let mut p = PreparedPolygon {
            edges,
            rings,
            bounds,
            strip_height_m: 1.0,
            strip_start: Vec::new(),
            strip_edges: Vec::new(),
        };
        let mut strips = (p.edges.len() / 2).clamp(1, MAX_STRIPS);
        // Edges that each span many strips (a hostile comb) would be listed many times:
        // fewer strips keep the index within a few entries per edge.
        while strips > 1 && p.with_strips(strips).1 > 8 * p.edges.len() + MAX_STRIPS {
            strips /= 2;
        }
        p.strip_height_m = p.with_strips(strips).0;
        p.index_strips(strips);
        p
    }

    /// The strip height for `strips` strips, and how many index entries the edges then need.
    fn with_strips(&mut self, strips: usize) -> (f64, usize) {
        let span = self.bounds.map_or(0.0, |b| b.height());
        self.strip_height_m = if span > 0.0 && span.is_finite() {
            span / strips as f64
        } else {
            1.0
        };
        let entries = self
            .edges
            .iter()
            .map(|e| {
                let (lo, hi) = (e.start.y.min(e.end.y), e.start.y.max(e.end.y));
                self.strip(hi, strips) - self.strip(lo, strips) + 1
            })
            .sum();
        (self.strip_height_m, entries)
    }

    /// The strip holding northing `y` (a monotone function of `y`, so an edge spanning
    /// `y` is always listed in `y`'s strip).
    fn strip(&self, y: f64, strips: usize) -> usize {
        let min_y = self.bounds.map_or(0.0, |b| b.min().y);
        let s = ((y - min_y) / self.strip_height_m).floor();
        if s.is_nan() || s < 0.0 {
            0
        } else {
            (s as usize).min(strips - 1)
        }
    }

    fn index_strips(&mut self, strips: usize) {
        let spans: Vec<(usize, usize)> = self
            .edges
            .iter()
            .map(|e| {
                let (lo, hi) = (e.start.y.min(e.end.y), e.start.y.max(e.end.y));
                (self.strip(lo, strips), self.strip(hi, strips))
            })
            .collect();
        let mut count = vec![0u32; strips + 1];
        for &(a, b) in &spans {
            for c in &mut count[a + 1..=b + 1] {
                *c += 1;
            }
        }
        for s in 0..strips {
            count[s + 1] += count[s];
        }
        let mut next = count.clone();
        self.strip_edges = vec![0; count[strips] as usize];
        for (i, &(a, b)) in spans.iter().enumerate() {
            for n in &mut next[a..=b] {
                self.strip_edges[*n as usize] = i as u32;
                *n += 1;
            }
        }
        self.strip_start = count;
    }

    /// Whether (x, y) lies inside or on the boundary of any polygon: geo's
    /// `MultiPolygon::intersects(&Point::new(x, y))`.
    pub fn intersects(&self, x: f64, y: f64) -> bool {
        let Some(b) = self.bounds else {
            return false;
        };
        let (min, max) = (b.min(), b.max());
        if !(x >= min.x && x <= max.x && y >= min.y && y <= max.y) {
            return false;
        }
        let strips = self.strip_start.len() - 1;
        let s = self.strip(y, strips);
        let ids = &self.strip_edges[self.strip_start[s] as usize..self.strip_start[s + 1] as usize];
        let p = Coord { x, y };
        let touched = ring_positions(&self.edges, ids, p);
        let pos = |ring: u32| {
            touched
                .iter()
                .find(|t| t.0 == ring)
                .map_or(RingPos::Outside, |t| t.1)
        };
        self.rings
            .windows(2)
            .any(|r| polygon_intersects(r[0]..r[1], &pos))
    }
}

/// Every ring's edges in order (a one-position ring as one zero-length edge, as geo treats
/// it) and the ring ranges of each polygon.
fn edges_of(mp: &MultiPolygon<f64>) -> (Vec<Edge>, Vec<u32>) {
    let mut edges = Vec::new();
    let mut rings = vec![0u32];
    let mut ring = 0u32;
    for poly in &mp.0 {
        for r in std::iter::once(poly.exterior()).chain(poly.interiors()) {
            match r.0.as_slice() {
                [] => {}
                [c] => edges.push(Edge {
                    start: *c,
                    end: *c,
                    ring,
                }),
                cs => edges.extend(cs.windows(2).map(|w| Edge {
                    start: w[0],
                    end: w[1],
                    ring,
                })),
            }
            ring += 1;
        }
        rings.push(ring);
    }
    (edges, rings)
}

/// geo's polygon rule: outside the exterior → no; on it → yes; inside → decided by the first
/// hole the point is not outside of (on its boundary → yes, inside it → no), else yes.
fn polygon_intersects(rings: std::ops::Range<u32>, pos: &impl Fn(u32) -> RingPos) -> bool {
    let mut rings = rings;
    let Some(exterior) = rings.next() else {
        return false;
    };
    match pos(exterior) {
        RingPos::Outside => false,
        RingPos::OnBoundary => true,
        RingPos::Inside => rings
            .map(pos)
            .find(|p| *p != RingPos::Outside)
            .is_none_or(|p| p == RingPos::OnBoundary),
    }
}

/// The position of `p` relative to each ring with an edge among `ids` (ascending, so each
/// ring's edges are contiguous); rings not listed have no edge spanning `p.y`: outside.
fn ring_positions(edges: &[Edge], ids: &[u32], p: Coord<f64>) -> Vec<(u32, RingPos)> {
    let mut out: Vec<(u32, RingPos)> = Vec::new();
    let mut current: Option<(u32, i32, bool)> = None;
    for &i in ids {
        let e = edges[i as usize];
        match current {
            Some((ring, _, _)) if ring == e.ring => {}
            _ => {
                out.extend(current.map(finish_ring));
                current = Some((e.ring, 0, false));
            }
        }
        let (_, winding, on_boundary) = current.as_mut().expect("set above");
        if !*on_boundary {
            match crossing(e, p) {
                Crossing::Boundary => *on_boundary = true,
                Crossing::Winding(w) => *winding += w,
            }
        }
    }
    out.extend(current.map(finish_ring));
    out
}

fn finish_ring((ring, winding, on_boundary): (u32, i32, bool)) -> (u32, RingPos) {
    let pos = if on_boundary {
        RingPos::OnBoundary
    } else if winding != 0 {
        RingPos::Inside
    } else {
        RingPos::Outside
    };
    (ring, pos)
}

enum Crossing {
    Boundary,
    Winding(i32),
}

/// One edge's share of the winding number of `p` (geo's edge-crossing rules: an upward edge
/// includes its start, a downward edge its end, horizontal edges only touch).
fn crossing(e: Edge, p: Coord<f64>) -> Crossing {
    let collinear_between =
        |o: Orientation| o == Orientation::Collinear && between(p.x, e.start.x, e.end.x);
    if e.start.y <= p.y {
        if e.end.y >= p.y {
            let o = Ker::orient2d(e.start, e.end, p);
            if o == Orientation::CounterClockwise && e.end.y != p.y {
                return Crossing::Winding(1);
            } else if collinear_between(o) {
                return Crossing::Boundary;
            }
        }
    } else if e.end.y <= p.y {
        let o = Ker::orient2d(e.start, e.end, p);
        if o == Orientation::Clockwise {
            return Crossing::Winding(-1);
        } else if collinear_between(o) {
            return Crossing::Boundary;
        }
    }
    Crossing::Winding(0)
}

fn between(v: f64, a: f64, b: f64) -> bool {
    if a < b {
        v >= a && v <= b
    } else {
        v >= b && v <= a
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::Intersects;
    use geo_types::{LineString, Point, Polygon};

    fn ring(n: usize, r: f64, cx: f64, cy: f64, jag: f64) -> LineString<f64> {
        let mut cs: Vec<Coord<f64>> = (0..n)
            .map(|i| {
                let t = i as f64 / n as f64 * std::f64::consts::TAU;
                let rr = r * (1.0 + jag * ((i % 7) as f64 - 3.0) / 10.0);
                Coord {
                    x: cx + rr * t.cos(),
                    y: cy + rr * t.sin(),
                }
            })
            .collect();
        cs.push(cs[0]);
        LineString::new(cs)
    }

    #[test]
    fn a_polygon_repaired_to_nothing_holds_no_point_and_no_infinite_box() {
        let empty = MultiPolygon::<f64>::new(vec![]);
        let p = PreparedPolygon::new(&empty);
        assert!(p.bounds.is_none());
        assert!(!p.intersects(0.0, 0.0));
        let square = MultiPolygon::new(vec![geo_types::Polygon::new(
            geo_types::LineString::from(vec![(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)]),
            vec![],
        )]);
        let at = AreaLocator::new([&empty, &square]);
        assert_eq!(at.locate(0.5, 0.5), Some(1));
        assert_eq!(at.locate(5.0, 5.0), None);
    }

    /// Two parts, one with two holes; a jagged outline; points on a lattice that hits
    /// vertices, edges and horizontal edges exactly.
    #[test]
    fn agrees_with_geo_on_every_point_of_a_lattice() {
        let square = |x0: f64, y0: f64, s: f64| {
            LineString::from(vec![
                (x0, y0),
                (x0 + s, y0),
                (x0 + s, y0 + s),
                (x0, y0 + s),
                (x0, y0),
            ])
        };
        let mp = MultiPolygon::new(vec![
            Polygon::new(
                square(0.0, 0.0, 100.0),
                vec![square(10.0, 10.0, 20.0), square(50.0, 50.0, 30.0)],
            ),
            Polygon::new(ring(500, 40.0, 200.0, 50.0, 0.5), vec![]),
            Polygon::new(LineString::new(vec![]), vec![]),
        ]);
        let prepared = PreparedPolygon::new(&mp);
        let mut inside = 0;
        for i in -20..=260 {
            for j in -20..=120 {
                let (x, y) = (i as f64, j as f64);
                let want = mp.intersects(&Point::new(x, y));
                assert_eq!(prepared.intersects(x, y), want, "({x}, {y})");
                inside += want as usize;
            }
        }
        assert!(inside > 10_000, "{inside}");
        for c in mp.0[1].exterior().0.iter().step_by(37) {
            assert!(prepared.intersects(c.x, c.y), "a vertex is on the boundary");
        }
    }

    #[test]
    fn a_comb_of_full_height_teeth_keeps_a_small_index() {
        let mut cs = vec![(0.0, -1.0)];
        for i in 0..20_000 {
            let x = i as f64;
            cs.extend([(x, 10_000.0), (x + 0.5, 0.0)]);
        }
        cs.extend([(20_000.0, -1.0), (0.0, -1.0)]);
        let mp = MultiPolygon::new(vec![Polygon::new(LineString::from(cs), vec![])]);
        let p = PreparedPolygon::new(&mp);
        assert!(p.strip_edges.len() <= 8 * p.edges.len() + MAX_STRIPS);
        for (x, y) in [(0.2, 5_000.0), (0.7, 5_000.0), (100.25, 1.0), (5.0, -0.5)] {
            assert_eq!(
                p.intersects(x, y),
                mp.intersects(&Point::new(x, y)),
                "({x}, {y})"
            );
        }
    }

    #[test]
    fn empty_and_one_point_rings_behave_as_in_geo() {
        let empty = MultiPolygon::<f64>::new(vec![]);
        assert!(!PreparedPolygon::new(&empty).intersects(0.0, 0.0));
        let dot = MultiPolygon::new(vec![Polygon::new(
            LineString::from(vec![(1.0, 1.0)]),
            vec![],
        )]);
        let p = PreparedPolygon::new(&dot);
        for (x, y) in [(1.0, 1.0), (1.0, 2.0), (0.0, 1.0)] {
            assert_eq!(
                p.intersects(x, y),
                dot.intersects(&Point::new(x, y)),
                "({x}, {y})"
            );
        }
    }

    #[test]
    fn a_200k_vertex_area_answers_from_a_few_edges() {
        let mp = MultiPolygon::new(vec![Polygon::new(
            ring(200_000, 5_000.0, 0.0, 0.0, 0.0),
            vec![],
        )]);
        let p = PreparedPolygon::new(&mp);
        let per_strip = p.strip_edges.len() as f64 / (p.strip_start.len() - 1) as f64;
        assert!(per_strip < 8.0, "{per_strip} edges per strip");
        for (x, y) in [
            (0.0, 0.0),
            (4_000.0, 100.0),
            (6_000.0, 0.0),
            (-4_999.0, 3.0),
        ] {
            assert_eq!(
                p.intersects(x, y),
                mp.intersects(&Point::new(x, y)),
                "({x}, {y})"
            );
        }
    }
}
