//! The one pipeline through the binary, in any country's metres: Virginia Beach (UTM 18N),
//! Switzerland and Poland (OSM AEDs), radii without 500, studies that fail before any data is
//! read, and the same figures from `analyse --study`, `coverage`, `sites` and `serve --study`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::api_support;

fn aedcover(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_aedcover"))
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap()
}

fn ok(o: Output) -> Output {
    assert!(
        o.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

fn json(path: impl AsRef<Path>) -> serde_json::Value {
    let p = path.as_ref();
    serde_json::from_str(
        &std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display())),
    )
    .unwrap()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

// ---- Virginia Beach: lat/lon as given, through `sites --exact` ----

#[test]
fn virginia_beach_through_the_cli_in_utm_18n() {
    let Some(vb) = aedcover::opendata::file_for_test(
        "ohca_virginia_beach/vbohca_ohca_dispatches_2017-01_2019-06.csv",
    ) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    // Each distinct location weighted by its arrests (the file has one row per arrest).
    let mut rdr = csv::Reader::from_path(&vb).unwrap();
    let h = rdr.headers().unwrap().clone();
    let col = |n: &str| h.iter().position(|c| c == n).unwrap();
    let (c_lat, c_lon) = (col("lat"), col("lon"));
    let mut counts: BTreeMap<(String, String), u32> = BTreeMap::new();
    for r in rdr.records() {
        let r = r.unwrap();
        *counts
            .entry((r[c_lat].to_string(), r[c_lon].to_string()))
            .or_default() += 1;
    }
    let mut demand = String::from("id,lat,lon,arrests\n");
    for (i, ((lat, lon), n)) in counts.iter().enumerate() {
        demand.push_str(&format!("vb{i},{lat},{lon},{n}\n"));
    }
    assert_eq!(counts.len(), 1455);
    std::fs::write(tmp.path().join("vb.csv"), demand).unwrap();
    // (k, greedy, exact optimum) — the table of tests/siting_virginia_beach.rs.
    for (k, greedy, optimum) in [
        (5, 238.0, 238.0),
        (10, 396.0, 396.0),
        (20, 647.0, 647.0),
        (40, 1039.0, 1041.0),
    ] {
        let out = format!("out{k}");
        let kk = k.to_string();
        let args = [
            "sites",
            "--demand",
            "vb.csv",
            "--candidates",
            "demand",
            "--radius",
            "500",
            "--k",
            &kk,
            "--exact",
            "--out",
            &out,
        ];
        ok(aedcover(tmp.path(), &args));
        let sm = json(tmp.path().join(&out).join("summary.json"));
        assert_eq!(
            sm["metric_crs"], "EPSG:32618",
            "{}",
            sm["metric_crs_reason"]
        );
        assert_eq!(sm["metric_crs_name"], "UTM zone 18N (EPSG:32618)");
        let st = &sm["siting"];
        assert_eq!(st["demand_points"], 1455);
        assert_eq!(st["uncovered_weight"], 2706.0);
        assert_eq!(st["greedy"]["value"], greedy, "greedy at k = {k}");
        assert_eq!(st["exact"]["status"], "optimal", "k = {k}");
        assert_eq!(st["covered_arrests"], optimum, "exact at k = {k}");
        eprintln!("Virginia Beach k = {k}: greedy {greedy}, exact {optimum} (CLI, UTM 18N)");
    }
}

// ---- Switzerland and Poland: known offsets from isolated OSM AEDs ----

/// A point `d` metres north (or east) of (lon, lat) on the WGS84 ellipsoid.
fn offset(lon: f64, lat: f64, d: f64, north: bool) -> (f64, f64) {
    let (a, e2) = (6_378_137.0f64, 6.694_379_990_14e-3f64);
    let phi = lat.to_radians();
    let w = (1.0 - e2 * phi.sin().powi(2)).sqrt();
    if north {
        let m = a * (1.0 - e2) / w.powi(3);
        (lon, lat + (d / m).to_degrees())
    } else {
        let n = a / w;
        (lon + (d / (n * phi.cos())).to_degrees(), lat)
    }
}

fn haversine_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (p1, p2) = (a.1.to_radians(), b.1.to_radians());
    let dp = p2 - p1;
    let dl = (b.0 - a.0).to_radians();
    let h = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * 6_371_008.8 * h.sqrt().asin()
}

fn country_offsets(file: &str, expect_crs_contains: &str) {
    let Some(osm) = aedcover::opendata::file_for_test(file) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let aeds = tmp.path().join("aeds.csv");
    ok(aedcover(
        tmp.path(),
        &["import", "osm", s(&osm), "--out", s(&aeds)],
    ));
    let reg =
        aedcover::registry::read_aeds(&aeds, aedcover::registry::ReadOptions::default()).unwrap();
    let pos: Vec<(f64, f64)> = reg
        .aeds
        .iter()
        .filter_map(|a| match a.location.as_ref()?.coord {
            aedcover::registry::Coord::Wgs84 { lon, lat } => Some((lon, lat)),
            _ => None,
        })
        .collect();
    // AEDs with no other AED within 1,200 m, spread over the country (every 10th).
    let isolated: Vec<(f64, f64)> = pos
        .iter()
        .copied()
        .filter(|p| pos.iter().filter(|q| haversine_m(*p, **q) < 1200.0).count() == 1)
        .step_by(10)
        .collect();
    assert!(isolated.len() >= 10, "{} isolated AEDs", isolated.len());
    let mut demand = String::from("id,lat,lon\n");
    for (i, p) in isolated.iter().enumerate() {
        for (j, d) in [99.0, 101.0, 499.0, 501.0].iter().enumerate() {
            let (lon, lat) = offset(p.0, p.1, *d, (i + j) % 2 == 0);
            demand.push_str(&format!("a{i}-{d},{lat:.9},{lon:.9}\n"));
        }
    }
    std::fs::write(tmp.path().join("points.csv"), demand).unwrap();
    ok(aedcover(
        tmp.path(),
        &[
            "coverage",
            "--aeds",
            "aeds.csv",
            "--demand",
            "points.csv",
            "--radius",
            "100,500",
            "--out",
            "out",
        ],
    ));
    let sm = json(tmp.path().join("out/summary.json"));
    let m = sm["metric_crs"].as_str().unwrap();
    assert!(
        m.contains(expect_crs_contains),
        "{m}: {}",
        sm["metric_crs_reason"]
    );
    let pct: Vec<f64> = sm["radii"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["pct_covered"].as_f64().unwrap())
        .collect();
    assert_eq!(
        pct,
        [25.0, 75.0],
        "{file}: 99 m covered at 100 m; 99, 101, 499 m at 500 m"
    );
    eprintln!(
        "{file}: {} isolated AEDs x 4 offsets, {m}: {pct:?} %",
        isolated.len()
    );
}

#[test]
fn switzerland_offsets_through_the_cli() {
    country_offsets(
        "aed_switzerland_osm/defikarte_ch_overpass_2020-12.json",
        "EPSG:32632",
    );
}

#[test]
fn poland_offsets_through_the_cli() {
    country_offsets("aed_poland_osm/aed_poland.geojson", "tmerc");
}

#[test]
fn switzerland_study_end_to_end_with_clean_layers() {
    if aedcover::opendata::file_for_test("aed_switzerland_osm/defikarte_ch_overpass_2020-12.json")
        .is_none()
    {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let study = Path::new(env!("CARGO_MANIFEST_DIR")).join("studies/switzerland.toml");
    ok(aedcover(
        tmp.path(),
        &["analyse", "--quiet", "--study", s(&study), "--out", "out"],
    ));
    let out = tmp.path().join("out");
    let sm = json(out.join("summary.json"));
    assert_eq!(sm["metric_crs"], "EPSG:32632");
    assert_eq!(sm["aeds"]["registry_total"], 1550);
    let layers: Vec<PathBuf> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "geojson"))
        .collect();
    assert!(layers.len() >= 8, "{layers:?}");
    for l in &layers {
        let v = aedcover::export::check_file(l);
        assert!(v.is_empty(), "{}: {v:?}", l.display());
    }
    if let Some(ogrinfo) = aedcover::opendata::program_for_test("ogrinfo") {
        for l in &layers {
            if let Err(bad) = aedcover::export::ogrinfo_check(&ogrinfo, l) {
                panic!("ogrinfo {}: {bad:?}", l.display());
            }
        }
    }
    let attribution = std::fs::read_to_string(out.join("aeds.geojson")).unwrap();
    assert!(attribution.contains("OpenStreetMap contributors"));
}

// ---- Labels follow the radii ----

fn small_inputs(dir: &Path) {
    std::fs::write(
        dir.join("aeds.csv"),
        "id,name,easting,northing,access\nA1,Hall,459000,304000,public_24_7\nA2,Shop,462000,304000,public_24_7\n",
    )
    .unwrap();
    let mut d = String::from("id,easting,northing,arrests\n");
    for i in 0..40 {
        d.push_str(&format!(
            "p{i},{},{},1\n",
            458_500 + 100 * i,
            304_000 + 37 * (i % 5)
        ));
    }
    std::fs::write(dir.join("demand.csv"), d).unwrap();
    std::fs::write(
        dir.join("study.toml"),
        "title = \"Radii 150 and 300\"\n[registry]\naeds = \"aeds.csv\"\n[demand]\nkind = \"points\"\npath = \"demand.csv\"\n[analysis]\nradii_m = [150, 300]\n[siting]\nk = 2\ncandidates = \"demand\"\n",
    )
    .unwrap();
}

#[test]
fn radii_150_and_300_leave_no_500_anywhere() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    small_inputs(dir);
    ok(aedcover(
        dir,
        &["analyse", "--quiet", "--study", "study.toml", "--out", "a"],
    ));
    ok(aedcover(
        dir,
        &[
            "coverage",
            "--aeds",
            "aeds.csv",
            "--demand",
            "demand.csv",
            "--radius",
            "150,300",
            "--out",
            "c",
        ],
    ));
    ok(aedcover(
        dir,
        &[
            "sites",
            "--aeds",
            "aeds.csv",
            "--demand",
            "demand.csv",
            "--radius",
            "300",
            "--k",
            "2",
            "--out",
            "s",
        ],
    ));
    for sub in ["a", "c", "s"] {
        for e in std::fs::read_dir(dir.join(sub)).unwrap() {
            let p = e.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            assert!(!name.contains("500"), "{sub}/{name}");
            if name.ends_with(".png") {
                continue;
            }
            let text = std::fs::read_to_string(&p).unwrap();
            // Tables: the header names the radii; the rows hold distances, which may be 500.0.
            let text = if name.ends_with(".csv") {
                text.lines().next().unwrap_or("").to_string()
            } else {
                text
            };
            for bad in ["500m", "500 m", "_500", "500.0", "\"500\""] {
                assert!(!text.contains(bad), "{sub}/{name} contains {bad:?}");
            }
        }
    }
    let sm = json(dir.join("a/summary.json"));
    assert_eq!(sm["main_radius_m"], 300.0);
    let points = std::fs::read_to_string(dir.join("c/coverage_points.csv")).unwrap();
    assert!(
        points
            .starts_with("id,weight,residents,nearest_aed,distance_m,covered_150m,covered_300m\n")
    );
}

// ---- Studies fail before any data file is opened ----

/// The registry's problem is named first, whether the CRS is decided from the demand header
/// before the files are read (the AEDs are then indexed while the demand file is read) or
/// after both are read.
#[test]
fn a_bad_registry_is_named_before_a_bad_demand_file() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    small_inputs(dir);
    std::fs::write(dir.join("aeds.csv"), "\n").unwrap();
    for (header, early) in [
        ("id,easting,northing,arrests", true),
        ("id,where,arrests", false),
    ] {
        // A bad row, which --strict makes fatal, after a header that decides the CRS or not.
        std::fs::write(dir.join("demand.csv"), format!("{header}\np1,x,1,1\n")).unwrap();
        let o = aedcover(
            dir,
            &[
                "analyse",
                "--quiet",
                "--strict",
                "--study",
                "study.toml",
                "--out",
                "o",
            ],
        );
        assert!(!o.status.success());
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("aeds.csv"), "early CRS {early}: {err}");
        assert!(!err.contains("demand.csv"), "early CRS {early}: {err}");
    }
}

#[test]
fn bad_studies_fail_with_file_line_and_key_before_any_data() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    // Every data path is missing: an error about the study itself proves no data was read.
    let base = "title = \"T\"\n[registry]\naeds = \"missing-aeds.csv\"\n[demand]\nkind = \"points\"\npath = \"missing.csv\"\n";
    for (text, line, key) in [
        (
            format!("{base}[analysis]\nscenario = \"24/8\"\n"),
            8,
            "analysis.scenario",
        ),
        (format!("{base}weigth = 1\n"), 7, "weigth"),
        (
            format!("{base}[analysis]\nradii_m = [100, 200]\nmain_radius_m = 500\n"),
            9,
            "analysis.main_radius_m",
        ),
        (
            format!("{base}[siting]\nk = 3\ncandidates = \"gird:100\"\n"),
            9,
            "siting.candidates",
        ),
        (format!("crs = \"EPSG:123456789\"\n{base}"), 1, "crs"),
    ] {
        std::fs::write(dir.join("bad.toml"), &text).unwrap();
        let o = aedcover(
            dir,
            &["analyse", "--quiet", "--study", "bad.toml", "--out", "o"],
        );
        assert!(!o.status.success());
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains(&format!("bad.toml:{line}: {key}:")),
            "{key}: {err}"
        );
        assert!(!err.contains("missing"), "{key}: read data first: {err}");
        assert!(!dir.join("o").exists(), "{key}: wrote outputs");
    }
}

#[test]
fn no_decision_is_taken_from_a_path_substring() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut stack = vec![src];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let t = std::fs::read_to_string(&p).unwrap();
                for bad in ["contains(\"trafford\")", "contains(\"wikipedia\")"] {
                    assert!(!t.contains(bad), "{}: {bad}", p.display());
                }
            }
        }
    }
}

// ---- The same figures from every command ----

fn radii_figures(summary: &serde_json::Value) -> Vec<(f64, f64, f64)> {
    summary["radii"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["radius_m"].as_f64().unwrap(),
                r["demand_covered"].as_f64().unwrap(),
                r["demand_total"].as_f64().unwrap(),
            )
        })
        .collect()
}

fn site_ids(dir: &Path) -> Vec<String> {
    let mut r = csv::Reader::from_path(dir.join("sites.csv")).unwrap();
    r.records().map(|x| x.unwrap()[1].to_string()).collect()
}

/// analyse --study, coverage, sites and serve --study on the same inputs.
fn same_figures(study: &Path, coverage: &[&str], sites: &[&str], dir: &Path) {
    ok(aedcover(
        dir,
        &["analyse", "--quiet", "--study", s(study), "--out", "a"],
    ));
    let a = json(dir.join("a/summary.json"));
    let mut cov = vec!["coverage", "--out", "c"];
    cov.extend_from_slice(coverage);
    ok(aedcover(dir, &cov));
    let c = json(dir.join("c/summary.json"));
    assert_eq!(radii_figures(&a), radii_figures(&c), "analyse vs coverage");
    assert_eq!(
        a["accounting"], c["accounting"],
        "analyse vs coverage accounting"
    );
    assert_eq!(a["aeds"]["counted"], c["aeds"]["counted"]);
    assert_eq!(a["metric_crs"], c["metric_crs"]);
    let mut st = vec!["sites", "--out", "s"];
    st.extend_from_slice(sites);
    ok(aedcover(dir, &st));
    let sm = json(dir.join("s/summary.json"));
    assert_eq!(
        site_ids(&dir.join("a")),
        site_ids(&dir.join("s")),
        "analyse vs sites"
    );
    assert_eq!(
        a["siting"]["covered_arrests"],
        sm["siting"]["covered_arrests"]
    );
    assert_eq!(
        a["siting"]["uncovered_weight"],
        sm["siting"]["uncovered_weight"]
    );
    // serve --study: the served registry and layers are the analysed ones.
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_aedcover"));
    cmd.current_dir(dir)
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--db",
            "served.db",
            "--analysis-out",
            "v",
            "--study",
            s(study),
        ])
        .env_remove("AEDCOVER_TOKEN");
    let (mut child, addr) = api_support::spawn_serve(cmd);
    let get = |path: &str| -> serde_json::Value {
        let (status, body) = api_support::http(&addr, "GET", path, None, "").unwrap();
        assert_eq!(status, 200, "{path}: {body}");
        serde_json::from_str(&body).unwrap()
    };
    let aeds = get("/collections/aeds/items?limit=1");
    // Served as features: the AEDs with a position (the others are counted in /health).
    let located = a["aeds"]["registry_total"].as_u64().unwrap()
        - a["aeds"]["without_position"].as_u64().unwrap()
        - a["aeds"]["not_converted"].as_u64().unwrap();
    assert_eq!(
        aeds["numberMatched"].as_u64(),
        Some(located),
        "serve vs analyse: AEDs"
    );
    let sites_served = get("/collections/sites/items?limit=1000");
    let served: Vec<String> = sites_served["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            f["properties"]["candidate"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    assert_eq!(served, site_ids(&dir.join("a")), "serve vs analyse: sites");
    let gaps = get("/collections/gaps/items?limit=1");
    assert_eq!(
        gaps["numberMatched"], a["gaps"]["count"],
        "serve vs analyse: gaps"
    );
    child.kill().ok();
    child.wait().ok();
}

#[test]
fn trafford_same_figures_from_every_command() {
    let Some(cp) =
        aedcover::opendata::file_for_test("codepoint_open/codepoint_open_2025-10_GB_compact.csv")
    else {
        return;
    };
    let Some(reg) =
        aedcover::opendata::file_for_test("aed_trafford_council/trafford_defibrillators.csv")
    else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    ok(aedcover(
        dir,
        &["import", "csv", s(&reg), "--out", "aeds.csv"],
    ));
    std::fs::write(
        dir.join("study.toml"),
        format!(
            "title = \"Trafford\"\n[registry]\naeds = \"aeds.csv\"\nsource = \"trafford_council\"\n[postcodes]\ncodepoint = \"{}\"\nadmin_districts = [\"E08000009\"]\n[demand]\nkind = \"postcode_units\"\n[analysis]\nas_of = \"2025-11-01\"\n[siting]\nk = 10\ncandidates = \"postcodes\"\n",
            cp.display()
        ),
    )
    .unwrap();
    let common = [
        "--aeds",
        "aeds.csv",
        "--aeds-source",
        "trafford_council",
        "--postcodes",
        s(&cp),
        "--admin-district",
        "E08000009",
        "--demand-level",
        "postcode_units",
    ];
    let mut cov = common.to_vec();
    cov.extend(["--today", "2025-11-01"]);
    let mut sites = common.to_vec();
    sites.extend(["--candidates", "postcodes", "--k", "10"]);
    same_figures(&dir.join("study.toml"), &cov, &sites, dir);
    let c = json(dir.join("c/summary.json"));
    let pct: Vec<f64> = c["radii"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["pct_covered"].as_f64().unwrap())
        .collect();
    assert_eq!(
        pct,
        [9.753, 29.846, 82.5],
        "the Trafford figures of issue 4"
    );
}

#[test]
fn leicestershire_same_figures_from_every_command() {
    let Some(cp) = aedcover::opendata::file_for_test(
        "codepoint_open/codepoint_open_2025-10_LE_CV_DE_NG_PE.csv",
    ) else {
        return;
    };
    let Some(pop) =
        aedcover::opendata::file_for_test("population_census2021/lsoa21_population_llr.csv")
    else {
        return;
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let lsoa: Vec<PathBuf> = ["E10000018", "E06000016", "E06000017"]
        .iter()
        .map(|c| aedcover::opendata::dir().join(format!("ons_boundaries_llr/lsoa21_{c}.geojson")))
        .collect();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let aeds = root.join("studies/leicestershire-emas-aeds.csv");
    let arrests = root.join("seeds/arrests_by_district.csv");
    std::fs::write(
        dir.join("study.toml"),
        format!(
            "title = \"Leicestershire\"\n[registry]\naeds = \"{}\"\n[postcodes]\ncodepoint = \"{}\"\n[population]\nlsoa_csv = \"{}\"\nlsoa_geojson = [{}]\n[demand]\nkind = \"postcode_counts\"\npath = \"{}\"\n[analysis]\nas_of = \"2025-11-01\"\n[siting]\nk = 10\ncandidates = \"demand\"\n",
            aeds.display(),
            cp.display(),
            pop.display(),
            lsoa.iter().map(|p| format!("\"{}\"", p.display())).collect::<Vec<_>>().join(", "),
            arrests.display()
        ),
    )
    .unwrap();
    let mut common: Vec<&str> = vec![
        "--aeds",
        s(&aeds),
        "--demand",
        s(&arrests),
        "--postcodes",
        s(&cp),
        "--population",
        s(&pop),
    ];
    for l in &lsoa {
        common.extend(["--lsoa", s(l)]);
    }
    let mut cov = common.clone();
    cov.extend(["--today", "2025-11-01"]);
    let mut sites = common.clone();
    sites.extend(["--candidates", "demand", "--k", "10"]);
    same_figures(&dir.join("study.toml"), &cov, &sites, dir);
    let a = json(dir.join("a/summary.json"));
    let acc = &a["accounting"];
    let m = &a["main"];
    let all = m["demand_covered"].as_f64().unwrap()
        + m["demand_uncovered"].as_f64().unwrap()
        + acc["unknown_total"].as_f64().unwrap()
        + acc["unmatched_total"].as_f64().unwrap();
    assert!(
        (all - 2252.0).abs() < 1e-6,
        "2,252 arrests accounted: {all}"
    );
}
