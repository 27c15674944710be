//! Walking distance on a path network: hand-made OSM fixtures with known answers
//! (tests/fixtures/osm/README.md), a bad PBF, and Rutland on the open data.

use std::path::{Path, PathBuf};

use aedcover::coverage::{DemandPoint, Facility};
use aedcover::geography::MetricProjection;
use aedcover::network::{WalkDistances, WalkNetwork, read_osm, walk};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/osm")
        .join(name)
}

fn bng(lon: f64, lat: f64) -> (f64, f64) {
    MetricProjection::bng().to_metric(lon, lat).unwrap()
}

fn network(name: &str) -> WalkNetwork {
    let path = fixture(name);
    let data = read_osm(&path).unwrap();
    WalkNetwork::from_osm(&path, &data, &MetricProjection::bng()).unwrap()
}

fn facility(id: &str, lon: f64, lat: f64) -> Facility {
    let (x_m, y_m) = bng(lon, lat);
    Facility {
        id: id.into(),
        x_m,
        y_m,
    }
}

fn point(id: &str, lon: f64, lat: f64) -> DemandPoint {
    let (x_m, y_m) = bng(lon, lat);
    DemandPoint {
        id: id.into(),
        x_m,
        y_m,
        weight: 1.0,
        residents: 0.0,
    }
}

/// The river: 80 m straight across, 600 m round by the one bridge (XML and PBF alike).
#[test]
fn river_with_one_bridge_80_m_straight_600_m_walking() {
    for file in ["river.osm", "river.osm.pbf"] {
        let net = network(file);
        assert_eq!(net.graph.stats.edges, 3, "{file}");
        let aed = [facility("north", -0.73, 52.670719)];
        let pt = [point("south", -0.73, 52.67)];
        let straight = (aed[0].x_m - pt[0].x_m).hypot(aed[0].y_m - pt[0].y_m);
        assert!((straight - 80.0).abs() < 0.5, "{file}: straight {straight}");
        let d = WalkDistances::compute(&net, &aed, &pt, 1000.0);
        let (f, walk_m) = d.nearest[0].unwrap();
        assert_eq!(f, 0);
        assert!((walk_m - 600.0).abs() < 1.0, "{file}: walking {walk_m}");
        assert!(walk_m >= straight);
        // Cut at 500 m: not reached, and said why.
        let d = WalkDistances::compute(&net, &aed, &pt, 500.0);
        assert_eq!(d.nearest[0], None);
        assert_eq!(
            d.unreached[0],
            Some(aedcover::network::Unreached::BeyondLargestRadius)
        );
    }
}

/// foot=no, access=private (unless foot=yes/designated), motorways and area=yes are not
/// walkable; steps are.
#[test]
fn walkable_tags_exactly() {
    let data = read_osm(&fixture("access.osm")).unwrap();
    assert_eq!(data.ways_read, 9);
    // 200 footway, 201 steps, 204 private+foot=yes, 206 access=no+foot=designated.
    assert_eq!(
        data.walkable_ways,
        [vec![1, 2], vec![2, 3], vec![5, 6], vec![7, 8]]
    );
    let net =
        WalkNetwork::from_osm(&fixture("access.osm"), &data, &MetricProjection::bng()).unwrap();
    let s = &net.graph.stats;
    assert_eq!(
        (s.walkable_ways, s.nodes, s.edges, s.components),
        (4, 7, 4, 3)
    );
}

/// A building way tagged as an AED comes in at its centroid, through the same tag rules as
/// Overpass JSON; both feet on one edge are measured along it.
#[test]
fn aed_building_way_and_two_feet_on_one_edge() {
    let (aeds, rep) = aedcover::import::import_osm(fixture("aed_building.osm")).unwrap();
    assert_eq!(
        (rep.read, rep.imported, rep.rejected.len()),
        (3, 2, 1),
        "{rep}"
    );
    assert!(
        rep.rejected[0].starts_with("relation/400: a relation"),
        "{rep}"
    );
    assert_eq!(rep.flagged.get("access=PUB"), Some(&1));
    let hall = aeds.iter().find(|a| a.id == "osm-way-301").unwrap();
    assert_eq!(hall.about.name, "Village Hall");
    assert_eq!(hall.access, aedcover::registry::AccessClass::Public247);
    let aedcover::registry::Coord::Wgs84 { lon, lat } = hall.location.unwrap().coord else {
        panic!("not lon/lat");
    };
    assert!(
        (lon + 0.7379).abs() < 1e-9 && (lat - 52.6602).abs() < 1e-9,
        "{lon} {lat}"
    );

    let net = network("aed_building.osm");
    assert_eq!(net.graph.stats.edges, 1);
    let aed = [facility("hall", lon, lat)];
    let pt = [point("p", -0.7360, 52.6601)];
    let d = WalkDistances::compute(&net, &aed, &pt, 500.0);
    let (a, p) = (d.aed_feet[0].unwrap(), d.point_feet[0].unwrap());
    assert_eq!(a.edge, p.edge);
    let along = (a.t - p.t).abs() * net.graph.edges[0].len_m;
    let want = a.snap_m + along + p.snap_m;
    let (_, walk_m) = d.nearest[0].unwrap();
    assert!((walk_m - want).abs() < 1e-9, "{walk_m} vs {want}");
    // Far shorter than through either end of the 500 m street.
    assert!(walk_m < 200.0, "{walk_m}");
    assert_eq!(d.within[0], [(0, walk_m)]);
}

#[test]
fn truncated_or_corrupt_pbf_names_file_and_block() {
    let good = std::fs::read(fixture("river.osm.pbf")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cut = dir.path().join("cut.osm.pbf");
    std::fs::write(&cut, &good[..good.len() - 40]).unwrap();
    let e = read_osm(&cut).unwrap_err().to_string();
    assert!(
        e.contains("cut.osm.pbf: block 2 at byte offset 232: "),
        "{e}"
    );
    assert!(e.contains("truncated"), "{e}");
    let bad = dir.path().join("bad.osm.pbf");
    let mut bytes = good.clone();
    let n = bytes.len();
    for b in &mut bytes[n - 60..n - 20] {
        *b ^= 0x5a;
    }
    std::fs::write(&bad, &bytes).unwrap();
    let e = read_osm(&bad).unwrap_err().to_string();
    assert!(
        e.contains("bad.osm.pbf: block 2 at byte offset 232: "),
        "{e}"
    );
    let junk = dir.path().join("junk.osm.pbf");
    std::fs::write(&junk, b"not a pbf at all, just words").unwrap();
    let e = read_osm(&junk).unwrap_err().to_string();
    assert!(
        e.starts_with(&format!("{}: block 0 at byte offset 0", junk.display())),
        "{e}"
    );
    let empty = dir.path().join("empty.osm.pbf");
    std::fs::write(&empty, b"").unwrap();
    assert!(read_osm(&empty).is_err());
}

#[test]
fn no_walkable_ways_is_an_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("nothing.osm");
    std::fs::write(
        &f,
        r#"<osm><node id="1" lat="52" lon="-0.7"/><node id="2" lat="52.1" lon="-0.7"/><way id="3"><nd ref="1"/><nd ref="2"/><tag k="highway" v="motorway"/></way></osm>"#,
    )
    .unwrap();
    let data = read_osm(&f).unwrap();
    let e = WalkNetwork::from_osm(&f, &data, &MetricProjection::bng())
        .err()
        .unwrap()
        .to_string();
    assert!(
        e.starts_with(&format!("{}: no walkable ways", f.display())),
        "{e}"
    );
}

#[test]
fn cli_imports_aeds_from_a_pbf() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("aeds.csv");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_aedcover"))
        .args(["import", "osm"])
        .arg(fixture("river.osm.pbf"))
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("1 read, 1 imported, 0 rejected"), "{err}");
    let csv = std::fs::read_to_string(&out).unwrap();
    assert!(csv.contains("osm-node-9"), "{csv}");
}

const RUTLAND_PBF: &str = "osm_rutland/rutland-latest_2022-07-19.osm.pbf";
const CODEPOINT_LE: &str = "codepoint_open/codepoint_open_2025-10_LE_CV_DE_NG_PE.csv";

/// Whether every named open-data file is there (`file_for_test` says why not, and fails
/// under `CI=true`).
fn have_open_data(files: &[&str]) -> bool {
    files
        .iter()
        .all(|f| aedcover::opendata::file_for_test(f).is_some())
}

fn rutland_study() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("studies/rutland-walk.toml")
}

/// Rutland (SOURCES.md §7): AEDs from the PBF, every located Code-Point postcode of
/// E06000017, walking and straight-line coverage in one run; walking never beats the straight
/// line; the bounded searches agree with unbounded Dijkstra from every AED.
#[test]
fn rutland_walking_and_straight_line_coverage() {
    if !have_open_data(&[RUTLAND_PBF, CODEPOINT_LE]) {
        return;
    }
    let study = aedcover::study::Study::load(rutland_study()).unwrap();
    let run = aedcover::pipeline::run(study, &aedcover::export::Progress::new(false)).unwrap();
    let a = &run.assessment;
    let w = a.walk.as_ref().expect("walking assessment");
    let c = &a.selection.counts;
    assert_eq!((c.registry_total, c.counted), (18, 18));
    assert_eq!(run.registry.bad_rows, 0);
    let points = &run.demand.points;
    assert_eq!(points.len(), 1279);
    let walk_pct: Vec<f64> = a.totals.iter().map(|t| t.pct_covered).collect();
    let straight_pct: Vec<f64> = w.straight_totals.iter().map(|t| t.pct_covered).collect();
    let near =
        |got: &[f64], want: [f64; 3]| got.iter().zip(want).all(|(g, w)| (g - w).abs() < 0.001);
    assert!(near(&walk_pct, [1.095, 4.300, 16.966]), "{walk_pct:?}");
    assert!(
        near(&straight_pct, [2.737, 8.757, 21.579]),
        "{straight_pct:?}"
    );
    let st = &run.network.as_ref().unwrap().graph.stats;
    assert_eq!(
        (st.walkable_ways, st.nodes, st.edges, st.components),
        (6206, 40797, 42697, 119)
    );
    // Walking is never shorter than the straight line, point by point.
    assert_eq!(w.walk_beats_straight, 0);
    for (k, (pw, ps)) in a.result.points.iter().zip(&w.straight.points).enumerate() {
        assert!(pw.distance_m >= ps.distance_m - 1e-6, "point {k}");
        assert_eq!(pw.covered_mask & !ps.covered_mask, 0, "point {k}");
    }
    // A point counted as covered lies inside its service area, at every radius.
    for (k, (r, area)) in w.service_areas.iter().enumerate() {
        for (p, c) in points.iter().zip(&a.result.points) {
            if c.covered(k) {
                let inside = geo::Contains::contains(area, &geo::Point::new(p.x_m, p.y_m));
                assert!(
                    inside,
                    "{} covered at {r} m but outside its service area",
                    p.id
                );
            }
        }
    }
    // An unbounded Dijkstra from each AED gives the same nearest distances.
    let net = run.network.as_ref().unwrap();
    let g = &net.graph;
    let d = &w.distances;
    let from_aed: Vec<_> = d
        .aed_feet
        .iter()
        .map(|f| {
            let f = f.unwrap();
            let e = g.edges[f.edge as usize];
            let (da, db) = f.along_m(g);
            walk::bounded_dijkstra(
                g,
                &[(e.a, f.snap_m + da), (e.b, f.snap_m + db)],
                f64::INFINITY,
            )
        })
        .collect();
    for (i, pf) in d.point_feet.iter().enumerate() {
        let Some(p) = pf else { continue };
        let e = g.edges[p.edge as usize];
        let (pa, pb) = p.along_m(g);
        let mut best = f64::INFINITY;
        for (k, dist) in from_aed.iter().enumerate() {
            let via = |n: u32, off: f64| dist.get(&n).map_or(f64::INFINITY, |x| x + off);
            let mut dk = via(e.a, pa).min(via(e.b, pb));
            let af = d.aed_feet[k].unwrap();
            if af.edge == p.edge {
                dk = dk.min(af.snap_m + (af.t - p.t).abs() * e.len_m);
            }
            best = best.min(dk + p.snap_m);
        }
        match d.nearest[i] {
            Some((_, m)) => assert!((m - best).abs() < 1e-6, "point {i}: {m} vs {best}"),
            None => assert!(best > 500.0, "point {i}: {best}"),
        }
    }
}

/// Siting with network nodes as candidates (`--candidates network_nodes`): on the star the
/// only site that covers all three path ends within 500 m walking is the junction, a network
/// node no demand point is near; demand points as candidates cover one end each.
#[test]
fn network_node_candidates_find_the_junction() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("demand.csv"),
        "id,lat,lon,weight\nnorth,52.673596,-0.73,1\neast,52.67,-0.724079,1\nwest,52.67,-0.735921,1\n",
    )
    .unwrap();
    // `sites --demand demand.csv --k 1` with more arguments.
    let run_sites = |more: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_aedcover"))
            .current_dir(dir.path())
            .args(["sites", "--demand", "demand.csv", "--k", "1"])
            .args(more)
            .output()
            .unwrap()
    };
    let star = fixture("star.osm");
    let run = |candidates: &str| {
        let walk = ["--distance", "walk", "--network", star.to_str().unwrap()];
        let o = run_sites(
            &[
                &walk[..],
                &["--candidates", candidates, "--out", candidates],
            ]
            .concat(),
        );
        let err = String::from_utf8_lossy(&o.stderr).to_string();
        assert!(o.status.success(), "{candidates}: {err}");
        let sites = std::fs::read_to_string(dir.path().join(candidates).join("sites.csv")).unwrap();
        (err, sites)
    };
    let (err, sites) = run("network_nodes");
    assert!(
        err.contains("1 sites (greedy+local_search) cover 3 more arrests"),
        "{err}"
    );
    assert!(sites.contains("osm_node:1"), "{sites}");
    // The thinning: 5 nodes, 4 of them junctions or ends (node 5 is mid-way), all near demand.
    let summary = std::fs::read_to_string(dir.path().join("network_nodes/summary.json")).unwrap();
    assert!(
        summary.contains("candidates: 4 network nodes of 5 (4 junctions and dead ends"),
        "{summary}"
    );
    let (err, _) = run("demand");
    assert!(
        err.contains("1 sites (greedy+local_search) cover 1 more arrests"),
        "{err}"
    );
    // Without walking distance the option is refused, naming the flag.
    let o = run_sites(&["--candidates", "network_nodes", "--out", "x"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success()
            && err.contains("--candidates")
            && err.contains("network_nodes needs walking distance"),
        "{err}"
    );
}

/// Equity by walking (Rutland with `[equity]`): coverage by decile and the residents-weighted
/// medians follow the distance kind. The walking figures agree with the assessment's walking
/// coverage point by point, are never better than the straight line's, and `equity.csv` names
/// its distance columns as walking.
#[test]
fn rutland_equity_follows_walking_distance() {
    if !have_open_data(&[
        RUTLAND_PBF,
        CODEPOINT_LE,
        "imd2025_llr/imd2025_lsoa21_llr.csv",
        "population_census2021/lsoa21_population_llr.csv",
        "ons_boundaries_llr/lsoa21_E06000017.geojson",
    ]) {
        return;
    }
    let study_file = rutland_study();
    let walk_text = std::fs::read_to_string(&study_file).unwrap()
        + "\n[population]\nlsoa_csv = \"${AEDCOVER_OPEN_DATA}/population_census2021/lsoa21_population_llr.csv\"\n\
           lsoa_geojson = [\"${AEDCOVER_OPEN_DATA}/ons_boundaries_llr/lsoa21_E06000017.geojson\"]\n\
           [equity]\nimd_csv = \"${AEDCOVER_OPEN_DATA}/imd2025_llr/imd2025_lsoa21_llr.csv\"\n";
    let straight_text = walk_text
        .replace("distance = \"walk\"\n", "")
        .lines()
        .filter(|l| !l.starts_with("network = "))
        .collect::<Vec<_>>()
        .join("\n");
    let run = |text: &str| {
        let study = aedcover::study::Study::from_str_at(text, &study_file).unwrap();
        aedcover::pipeline::run(study, &aedcover::export::Progress::new(false)).unwrap()
    };
    let walk = run(&walk_text);
    let straight = run(&straight_text);
    let (we, se) = (
        walk.equity.as_ref().unwrap(),
        straight.equity.as_ref().unwrap(),
    );
    assert!(we.by_walking && !se.by_walking);
    // The walking residents covered at each radius are the assessment's walking coverage.
    for k in 0..3 {
        let covered: f64 = walk
            .demand
            .points
            .iter()
            .zip(&walk.assessment.result.points)
            .filter(|(_, c)| c.covered(k))
            .map(|(p, _)| p.residents)
            .sum();
        let got = we.overall.residents_covered[k];
        assert!(
            (covered - got).abs() < 1e-6 * got.max(1.0),
            "radius {k}: {covered} vs {got}"
        );
    }
    for (w, s) in we.groups.iter().zip(&se.groups) {
        assert_eq!(w.key, s.key);
        for k in 0..3 {
            assert!(
                w.residents_covered[k] <= s.residents_covered[k] + 1e-9,
                "{}",
                w.key
            );
        }
        match (w.median_distance_m, s.median_distance_m) {
            (Some(wm), Some(sm)) => assert!(wm >= sm - 1e-9, "{}: {wm} < {sm}", w.key),
            (None, _) => {}
            (Some(_), None) => panic!("{}: walking median without a straight one", w.key),
        }
    }
    // Medians are not cut at the largest radius: most of Rutland is beyond 500 m walking.
    let m = we.overall.median_distance_m.unwrap();
    assert!(
        m > 500.0 && m >= se.overall.median_distance_m.unwrap(),
        "{m}"
    );
    let head = walk.equity_table().unwrap().headers.join(",");
    assert!(
        head.contains(",median_walking_distance_m,p90_walking_distance_m,"),
        "{head}"
    );
    let head = straight.equity_table().unwrap().headers.join(",");
    assert!(
        head.contains(",median_distance_m,p90_distance_m,"),
        "{head}"
    );
}
