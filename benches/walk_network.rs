//! Walking distance (issue 11).
//!
//! - `rutland_network_stage`: read the Rutland PBF, import its AEDs, build the graph, snap the
//!   1,279 Rutland postcode units and the AEDs, walking coverage at 100/200/500 m (nearest by
//!   one multi-source Dijkstra, and every AED within 500 m per point). Target: < 300 ms.
//!   Skips with a message without the open data.
//! - `grid_2m_nodes`: a synthetic 1,415 × 1,414 street grid (2,000,810 nodes, 20 m blocks),
//!   50,000 AEDs and 1,000,000 demand points off the lines: snapping both and the nearest AED
//!   of every point by one multi-source Dijkstra cut at 500 m (`WalkNetwork::nearest`, as
//!   the pipeline does it), coverage at 100/200/500 m.
//!   The graph and its segment index are built once, outside the timing. Target: < 5 s.

use aedcover::coverage::{CoverageConfig, DemandPoint, Facility, assess};
use aedcover::geography::MetricProjection;
use aedcover::network::{Graph, WalkDistances, WalkNetwork, read_osm, walk};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

fn rutland_postcodes(path: &std::path::Path) -> Vec<DemandPoint> {
    let mut rdr = csv::Reader::from_path(path).expect("Code-Point");
    let h = rdr.headers().expect("header").clone();
    let col = |n: &str| h.iter().position(|c| c == n).expect(n);
    let (pc, e, n, d) = (
        col("postcode"),
        col("easting"),
        col("northing"),
        col("admin_district_code"),
    );
    rdr.records()
        .map(|r| r.expect("row"))
        .filter(|r| &r[d] == "E06000017" && &r[e] != "0")
        .map(|r| DemandPoint {
            id: r[pc].into(),
            x_m: r[e].parse().expect("easting"),
            y_m: r[n].parse().expect("northing"),
            weight: 1.0,
            residents: 0.0,
        })
        .collect()
}

fn rutland_stage(pbf: &std::path::Path, points: &[DemandPoint]) -> (usize, Vec<usize>) {
    let proj = MetricProjection::bng();
    let data = read_osm(pbf).expect("pbf");
    let (aeds, _) = aedcover::import::osm::import_osm_extract(&data);
    let facilities: Vec<Facility> = aeds
        .iter()
        .filter_map(|a| match a.location?.coord {
            aedcover::registry::Coord::Wgs84 { lon, lat } => {
                let (x_m, y_m) = proj.to_metric(lon, lat).ok()?;
                Some(Facility {
                    id: a.id.clone(),
                    x_m,
                    y_m,
                })
            }
            _ => None,
        })
        .collect();
    let net = WalkNetwork::from_osm(pbf, &data, &proj).expect("network");
    let d = WalkDistances::compute(&net, &facilities, points, 500.0);
    let r = assess(&d, points, &CoverageConfig::default()).expect("assess");
    let covered = r.totals(points).iter().map(|t| t.points_covered).collect();
    (facilities.len(), covered)
}

fn rutland(c: &mut Criterion) {
    let (Some(pbf), Some(cp)) = (
        aedcover::opendata::file_for_test("osm_rutland/rutland-latest_2022-07-19.osm.pbf"),
        aedcover::opendata::file_for_test(
            "codepoint_open/codepoint_open_2025-10_LE_CV_DE_NG_PE.csv",
        ),
    ) else {
        eprintln!("SKIPPED rutland_network_stage: open data not found");
        return;
    };
    let points = rutland_postcodes(&cp);
    assert_eq!(points.len(), 1279);
    // The figures tests/walk_network.rs pins through the pipeline.
    assert_eq!(rutland_stage(&pbf, &points), (18, vec![14, 55, 217]));
    let mut g = c.benchmark_group("walk");
    g.sample_size(20);
    g.bench_function("rutland_network_stage", |b| {
        b.iter(|| rutland_stage(black_box(&pbf), black_box(&points)))
    });
    g.finish();
}

/// A square grid of `nx × ny` nodes `spacing_m` apart.
fn grid(nx: u32, ny: u32, spacing_m: f64) -> Graph {
    let mut xy = Vec::with_capacity((nx * ny) as usize);
    let mut pairs = Vec::with_capacity(2 * (nx * ny) as usize);
    for j in 0..ny {
        for i in 0..nx {
            xy.push([i as f64 * spacing_m, j as f64 * spacing_m]);
            let n = j * nx + i;
            if i > 0 {
                pairs.push((n - 1, n));
            }
            if j > 0 {
                pairs.push((n - nx, n));
            }
        }
    }
    Graph::from_pairs(xy, &pairs)
}

/// Deterministic positions in `[0, w) × [0, h)` (a 64-bit LCG).
fn scatter(n: usize, w: f64, h: f64, mut seed: u64) -> Vec<(f64, f64)> {
    let mut next = move || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 11) as f64 / (1u64 << 53) as f64
    };
    (0..n).map(|_| (next() * w, next() * h)).collect()
}

fn grid_bench(c: &mut Criterion) {
    let (nx, ny, s) = (1415u32, 1414u32, 20.0);
    let net = WalkNetwork::new(
        std::path::Path::new("synthetic grid"),
        grid(nx, ny, s),
        Vec::new(),
    );
    assert_eq!(net.graph.node_count(), 2_000_810);
    let (w, h) = ((nx - 1) as f64 * s, (ny - 1) as f64 * s);
    let aeds = scatter(50_000, w, h, 7);
    let points = scatter(1_000_000, w, h, 11);
    let demand: Vec<DemandPoint> = points
        .iter()
        .map(|&(x_m, y_m)| DemandPoint {
            id: Default::default(),
            x_m,
            y_m,
            weight: 1.0,
            residents: 0.0,
        })
        .collect();
    let radii = [100.0, 200.0, 500.0];
    let run = || {
        let near = net.nearest(&aeds, &points, 500.0).nearest;
        radii.map(|r| {
            near.iter()
                .filter(|n| n.is_some_and(|(_, d)| d <= r))
                .count()
        })
    };
    // One run by stage, untimed by criterion, so a slow run says where the time went.
    let t = std::time::Instant::now();
    let af = net.snap_all(&aeds, 500.0);
    let t_aeds = t.elapsed();
    let pf = net.snap_all(&points, 500.0);
    let t_points = t.elapsed() - t_aeds;
    let best = walk::multi_source(&net.graph, &af, 500.0);
    let t_dijkstra = t.elapsed() - t_aeds - t_points;
    let near = walk::nearest_from(&net.graph, &best, &af, &pf, 500.0);
    let t_near = t.elapsed() - t_aeds - t_points - t_dijkstra;
    eprintln!(
        "grid stages, one after another: snap AEDs {t_aeds:.2?}, snap points {t_points:.2?}, multi-source Dijkstra {t_dijkstra:.2?}, nearest per point {t_near:.2?} (timed: the points are snapped during the Dijkstra)"
    );
    drop((best, near));
    let covered = run();
    eprintln!(
        "grid: points covered at 100/200/500 m: {covered:?} of {}",
        demand.len()
    );
    // Every point is within 10 m of a street and AEDs are ~130 m apart: nearly all covered
    // at 500 m, and the counts rise with the radius.
    assert!(covered[0] < covered[1] && covered[1] < covered[2] && covered[2] > 990_000);
    let mut g = c.benchmark_group("walk");
    g.sample_size(10);
    g.bench_function("grid_2m_nodes_50k_aeds_1m_points", |b| {
        b.iter(|| black_box(run()))
    });
    g.finish();
}

criterion_group!(benches, rutland, grid_bench);
// The binary's allocator, so that the bench times what a user's run does.
#[global_allocator]
static ALLOC: aedcover::huge_pages::HugePageAlloc = aedcover::huge_pages::HugePageAlloc;

criterion_main!(benches);
