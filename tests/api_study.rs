//! `serve --study`: the service serves what the pipeline produced, from memory; an edit
//! re-runs the stages it affects; a source not for publication is served only to an
//! authenticated caller.

use crate::api_support;

use aedcover::api::AppState;
use aedcover::api::serve::{ServeOptions, prepare};
use api_support::{TOKEN, call, get, http, spawn_serve};
use axum::http::StatusCode;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Command;

fn study_fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/api_study")
        .join(name)
}

/// The server state for a hand-made study, run in process, with a fresh database.
fn serve_study(name: &str, db: &Path) -> AppState {
    let study = aedcover::study::Study::load(study_fixture(name)).unwrap();
    let run = aedcover::pipeline::run(study, &aedcover::export::Progress::new(true)).unwrap();
    let token = db.with_extension("token");
    std::fs::write(&token, TOKEN).unwrap();
    let opts = ServeOptions {
        addr: "127.0.0.1:0".parse().unwrap(),
        db: db.to_path_buf(),
        aeds: None,
        guardians: None,
        layers: Vec::new(),
        token_file: Some(token),
    };
    prepare(&opts, Some(run)).unwrap()
}

fn coverage_km2(v: &Value) -> f64 {
    v["features"][0]["properties"]["area_km2"]
        .as_f64()
        .unwrap_or_else(|| panic!("no coverage area: {v}"))
}

fn gaps_km2(v: &Value) -> f64 {
    v["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["area_km2"].as_f64().unwrap())
        .sum()
}

#[tokio::test]
async fn an_edit_reruns_the_analysis_and_swaps_coverage_and_gaps() {
    let dir = tempfile::tempdir().unwrap();
    let s = serve_study("open.toml", &dir.path().join("registry.db"));
    let aeds = get(&s, "/collections/aeds/items").await.json();
    assert_eq!(aeds["numberMatched"], 3, "{aeds}");
    let cov = get(&s, "/collections/coverage/items").await.json();
    let gaps = get(&s, "/collections/gaps/items?limit=10000").await.json();
    let sites = get(&s, "/collections/sites/items").await.json();
    assert!(sites["numberMatched"].as_u64().unwrap() > 0, "{sites}");
    let (cov0, gaps0) = (coverage_km2(&cov), gaps_km2(&gaps));
    assert!(
        cov0 > 0.5 && gaps0 > 1.0,
        "coverage {cov0} km², gaps {gaps0} km²"
    );
    let meta = get(&s, "/collections/aeds").await.json();
    assert_eq!(meta["attribution"], json!(["Hand-made test registry"]));
    assert!(meta.get("not_for_publication").is_none(), "{meta}");

    // 1.5 km east of the others: inside the demand grid, outside every existing circle.
    let add = json!({"id": "H9", "name": "New cabinet far east", "lat": 52.7721, "lon": -1.1840,
                     "access": "public_24_7", "status": "ready", "managed_by": "community"});
    let r = call(&s, "POST", "/registry/aeds", Some(TOKEN), Some(add)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);

    let aeds = get(&s, "/collections/aeds/items").await.json();
    assert_eq!(aeds["numberMatched"], 4, "{aeds}");
    let cov = get(&s, "/collections/coverage/items").await.json();
    assert_eq!(cov["features"][0]["properties"]["aeds_counted"], 4, "{cov}");
    let cov1 = coverage_km2(&cov);
    // A whole new 500 m circle is about 0.785 km².
    assert!(cov1 > cov0 + 0.6, "coverage {cov0} → {cov1} km²");
    let gaps1 = gaps_km2(&get(&s, "/collections/gaps/items?limit=10000").await.json());
    assert!(gaps1 < gaps0 - 0.6, "gaps {gaps0} → {gaps1} km²");
    let c = get(&s, "/coverage?lat=52.7721&lon=-1.1840").await.json();
    assert_eq!(c["covered"], true, "{c}");
    assert_eq!(c["coverage"][0]["id"], "coverage-500m", "{c}");
    let n = get(&s, "/nearest?lat=52.7721&lon=-1.1841&radius_m=200")
        .await
        .json();
    assert_eq!(n["aeds"][0]["id"], "H9", "{n}");

    // Retiring it takes it out of what counts again.
    let r = call(&s, "POST", "/registry/aeds/H9/retire", Some(TOKEN), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let cov2 = coverage_km2(&get(&s, "/collections/coverage/items").await.json());
    assert!((cov2 - cov0).abs() < 1e-6, "coverage {cov0} → {cov2} km²");
}

#[tokio::test]
async fn a_source_not_for_publication_is_served_only_to_an_authenticated_caller() {
    let dir = tempfile::tempdir().unwrap();
    let s = serve_study("restricted.toml", &dir.path().join("registry.db"));
    for uri in [
        "/collections/aeds/items",
        "/collections/aeds/items/H1",
        "/collections/coverage/items",
        "/collections/gaps/items",
        "/collections/sites/items",
        "/nearest?lat=52.7721&lon=-1.2060",
        "/coverage?lat=52.7721&lon=-1.2060",
        "/sites",
    ] {
        for token in [None, Some("wrong-token")] {
            let r = call(&s, "GET", uri, token, None).await;
            assert_eq!(
                r.status,
                StatusCode::UNAUTHORIZED,
                "{uri} {token:?}: {}",
                r.text
            );
            assert_eq!(r.content_type, "application/json", "{uri}");
            let v = r.json();
            assert_eq!(v["error"], "not_for_publication", "{uri}: {v}");
            let why = v["detail"]["reason"].as_str().unwrap();
            assert!(
                why.contains("not for publication") && why.contains("Hand-made test registry"),
                "{uri}: {v}"
            );
            assert!(
                !r.text.contains("Hand-made town hall"),
                "{uri} leaks: {}",
                r.text
            );
        }
        let r = call(&s, "GET", uri, Some(TOKEN), None).await;
        assert_eq!(r.status, StatusCode::OK, "{uri} with the token: {}", r.text);
    }
    let all = call(&s, "GET", "/collections/aeds/items", Some(TOKEN), None)
        .await
        .json();
    assert_eq!(all["numberMatched"], 3);
    // The metadata stays public and says why the items are not.
    let meta = get(&s, "/collections/aeds").await.json();
    assert_eq!(meta["not_for_publication"], true, "{meta}");
    assert!(
        meta["access"]["reason"]
            .as_str()
            .unwrap()
            .contains("planning only")
    );
    let list = get(&s, "/collections").await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(get(&s, "/health").await.status, StatusCode::OK);
}

#[test]
fn serve_a_study_serves_its_run_from_memory() {
    let Some(_) =
        aedcover::opendata::file_for_test("aed_trafford_council/trafford_defibrillators.csv")
    else {
        return;
    };
    let study = Path::new(env!("CARGO_MANIFEST_DIR")).join("studies/trafford.toml");
    let dir = tempfile::tempdir().unwrap();
    let analysis = dir.path().join("analysis");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_aedcover"));
    cmd.args(["serve", "--addr", "127.0.0.1:0", "--study"])
        .arg(&study)
        .arg("--db")
        .arg(dir.path().join("registry.db"))
        .arg("--analysis-out")
        .arg(&analysis)
        .env_remove("AEDCOVER_TOKEN");
    let (mut child, addr) = spawn_serve(cmd);
    let check = || {
        // The analysis written for the user is not what the server reads.
        assert!(analysis.join("aeds.geojson").is_file());
        std::fs::remove_dir_all(&analysis).unwrap();
        let (status, body) =
            http(&addr, "GET", "/collections/aeds/items?limit=1", None, "").unwrap();
        assert_eq!(status, 200, "{body}");
        let v: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            v["numberMatched"], 185,
            "all of Trafford's register is served"
        );
        // Trafford has no area polygons: the run makes no areas layer, so no collection.
        let (status, body) = http(&addr, "GET", "/collections/areas/items", None, "").unwrap();
        assert_eq!(status, 404, "{body}");
        for layer in ["gaps", "coverage", "sites"] {
            let (status, body) = http(
                &addr,
                "GET",
                &format!("/collections/{layer}/items?limit=1"),
                None,
                "",
            )
            .unwrap();
            assert_eq!(status, 200, "{layer}: {body}");
            let v: Value = serde_json::from_str(&body).unwrap();
            assert!(
                v["numberMatched"].as_u64().unwrap() > 0,
                "{layer} is empty: {body}"
            );
        }
        let (_, body) = http(&addr, "GET", "/collections/coverage/items", None, "").unwrap();
        let v: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["features"][0]["id"], "coverage-500m", "{body}");
    };
    let result = std::panic::catch_unwind(check);
    child.kill().ok();
    child.wait().ok();
    if let Err(e) = result {
        std::panic::resume_unwind(e);
    }
}
