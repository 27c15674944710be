//! Service areas: the land within `r` walking distance of a counted AED, metres.
//!
//! Along every reached edge, walking distance `d(s)` from the nearest AED is sampled at both
//! ends, at AED feet, and at most `STEP_M` apart; round each sample a disk of radius
//! `min(r - d(s), CAP_M)`: what is left to walk, capped, so that the area follows the
//! streets and paths rather than spreading across fields and rivers. So that every point
//! counted as covered lies inside (tested), each such point adds a disk of its own, of
//! radius `r - d` clamped to [`POINT_DISK_M`, `CAP_M`]. Disks are circumscribed polygons.

use geo::{MultiPolygon, Polygon};

use super::graph::Graph;
use super::snap::Foot;
use super::walk;

/// Largest gap between samples along an edge, metres.
pub const STEP_M: f64 = 25.0;
/// Largest distance the area reaches off the network, metres.
pub const CAP_M: f64 = 50.0;
/// Smallest disk round a covered point, metres.
pub const POINT_DISK_M: f64 = 1.0;

/// Sides of the disk polygons.
const SIDES: usize = 24;

/// A regular polygon of `SIDES` sides whose inscribed circle has radius `r` (so it holds
/// the whole disk).
fn disk(x: f64, y: f64, r: f64) -> Polygon<f64> {
    let step = std::f64::consts::TAU / SIDES as f64;
    let outer = r / (step / 2.0).cos();
    let ring: Vec<geo::Coord<f64>> = (0..=SIDES)
        .map(|i| {
            let a = (i % SIDES) as f64 * step;
            geo::Coord {
                x: x + outer * a.cos(),
                y: y + outer * a.sin(),
            }
        })
        .collect();
    Polygon::new(geo::LineString::new(ring), vec![])
}

/// The union of land within `radius_m` walking distance of any AED foot. `covered` are the
/// points counted as covered at this radius: (x, y, walking metres).
pub fn service_area(
    graph: &Graph,
    aed_feet: &[Option<Foot>],
    radius_m: f64,
    covered: &[(f64, f64, f64)],
) -> MultiPolygon<f64> {
    let node = walk::multi_source(graph, aed_feet, radius_m);
    let mut on_edge: Vec<(u32, Foot)> = aed_feet.iter().flatten().map(|f| (f.edge, *f)).collect();
    on_edge.sort_by_key(|x| x.0);
    let mut disks: Vec<Polygon<f64>> = Vec::new();
    for (k, e) in graph.edges.iter().enumerate() {
        let (da, db) = (node[e.a as usize].0, node[e.b as usize].0);
        let lo = on_edge.partition_point(|x| x.0 < k as u32);
        let feet: Vec<Foot> = on_edge[lo..]
            .iter()
            .take_while(|x| x.0 == k as u32)
            .map(|x| x.1)
            .collect();
        if da >= radius_m && db >= radius_m && feet.is_empty() {
            continue;
        }
        let mut s: Vec<f64> = (0..=(e.len_m / STEP_M).ceil() as usize)
            .map(|i| (i as f64 * STEP_M).min(e.len_m))
            .chain(feet.iter().map(|f| f.t * e.len_m))
            .collect();
        s.sort_by(f64::total_cmp);
        s.dedup();
        let (p, q) = (graph.xy_m[e.a as usize], graph.xy_m[e.b as usize]);
        for s in s {
            let mut d = (da + s).min(db + e.len_m - s);
            for f in &feet {
                d = d.min(f.snap_m + (f.t * e.len_m - s).abs());
            }
            let left = radius_m - d;
            if left > 0.0 {
                let t = if e.len_m > 0.0 { s / e.len_m } else { 0.0 };
                let (x, y) = (p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1]));
                disks.push(disk(x, y, left.min(CAP_M)));
            }
        }
    }
    for &(x, y, d) in covered {
        disks.push(disk(x, y, (radius_m - d).clamp(POINT_DISK_M, CAP_M)));
    }
    if disks.is_empty() {
        return MultiPolygon::new(vec![]);
    }
    geo::unary_union(&disks)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::snap::SegmentIndex;
    use geo::Contains;

    #[test]
    fn covered_points_lie_inside_the_service_area() {
        let xy = vec![[0.0, 0.0], [260.0, 0.0], [260.0, 80.0], [0.0, 80.0]];
        let g = Graph::from_pairs(xy, &[(0, 1), (1, 2), (2, 3)]);
        let idx = SegmentIndex::new(&g);
        let aed = [idx.snap(&g, 10.0, 85.0, 500.0)];
        let pts: Vec<_> = (0..200)
            .map(|k| ((k * 7 % 300) as f64 - 20.0, (k * 13 % 140) as f64 - 30.0))
            .collect();
        let feet: Vec<_> = pts
            .iter()
            .map(|&(x, y)| idx.snap(&g, x, y, 300.0))
            .collect();
        let near = walk::nearest_within(&g, &aed, &feet, 300.0);
        let cov: Vec<_> = pts
            .iter()
            .zip(&near)
            .filter_map(|(&(x, y), n)| n.map(|(_, d)| (x, y, d)))
            .collect();
        let area = service_area(&g, &aed, 300.0, &cov);
        let mut covered = 0;
        for (&(x, y), n) in pts.iter().zip(&near) {
            if n.is_some() {
                covered += 1;
                assert!(area.contains(&geo::Point::new(x, y)), "({x}, {y})");
            }
        }
        assert!(covered > 20);
        // The far bank, 80 m away in a straight line but 600 m round, is not served.
        assert!(!area.contains(&geo::Point::new(10.0, -60.0)));
        assert!(!area.contains(&geo::Point::new(10.0, 400.0)));
    }
}
