//! OGC API – Features Parts 1–3 beyond the core routes: CRS by reference (EPSG:27700 equal
//! to OSTN15, EPSG:4326 lat first, `bbox-crs`), property filters checked against the
//! registry, queryables, HTML views without guardian data, unknown parameters named, the
//! response's `timeStamp`, and an OpenAPI document that names every route.

use crate::api_support;

use aedcover::api::aed_lonlat;
use aedcover::geography::crs::wgs84_to_bng;
use api_support::*;
use axum::http::StatusCode;
use serde_json::{Value, json};
use std::collections::BTreeSet;

const BNG: &str = "http://www.opengis.net/def/crs/EPSG/0/27700";

fn ids(v: &Value) -> BTreeSet<String> {
    v["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect()
}

async fn get_with(
    s: &aedcover::api::AppState,
    uri: &str,
    accept: &str,
) -> (StatusCode, String, String) {
    use tower::ServiceExt;
    let req = axum::http::Request::builder()
        .uri(uri)
        .header("host", "127.0.0.1:9999")
        .header("accept", accept)
        .body(axum::body::Body::empty())
        .unwrap();
    let res = aedcover::api::router(s.clone()).oneshot(req).await.unwrap();
    let status = res.status();
    let ct = res.headers()["content-type"].to_str().unwrap().to_string();
    let b = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .unwrap();
    (status, ct, String::from_utf8(b.to_vec()).unwrap())
}

#[tokio::test]
async fn items_in_british_national_grid_equal_ostn15_within_half_a_metre() {
    use tower::ServiceExt;
    let s = state(None);
    let req = axum::http::Request::builder()
        .uri(format!("/collections/aeds/items?crs={BNG}"))
        .body(axum::body::Body::empty())
        .unwrap();
    let res = aedcover::api::router(s.clone()).oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-crs"], format!("<{BNG}>").as_str());
    let b = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .unwrap();
    let v: Value = serde_json::from_slice(&b).unwrap();
    let registry = s.store().export_aeds().unwrap();
    let mut checked = 0;
    for f in v["features"].as_array().unwrap() {
        let aed = registry.iter().find(|a| f["id"] == a.id.as_str()).unwrap();
        let (lon, lat) = aed_lonlat(aed).unwrap().unwrap();
        let (e, n) = wgs84_to_bng(lon, lat).unwrap();
        let c = &f["geometry"]["coordinates"];
        let (x, y) = (c[0].as_f64().unwrap(), c[1].as_f64().unwrap());
        assert!(
            (x - e).abs() < 0.5 && (y - n).abs() < 0.5,
            "{}: {x},{y} vs {e},{n}",
            f["id"]
        );
        checked += 1;
    }
    assert_eq!(checked, 5);
    // T4 was registered in BNG: it comes back where it was put.
    let t4 = get(&s, &format!("/collections/aeds/items/T4?crs={BNG}"))
        .await
        .json();
    let c = &t4["geometry"]["coordinates"];
    assert!((c[0].as_f64().unwrap() - 454_700.0).abs() < 0.5, "{t4}");
    assert!((c[1].as_f64().unwrap() - 320_300.0).abs() < 0.5, "{t4}");
    // EPSG:4326 is latitude first.
    let t1 = get(
        &s,
        "/collections/aeds/items/T1?crs=http://www.opengis.net/def/crs/EPSG/0/4326",
    )
    .await
    .json();
    assert_eq!(t1["geometry"]["coordinates"], json!([52.7721, -1.206]));
    let cs = get(&s, "/collections/aeds").await.json();
    assert!(cs["crs"].as_array().unwrap().contains(&json!(BNG)), "{cs}");
    assert_eq!(
        cs["storageCrs"],
        "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
    );
    let conf = get(&s, "/conformance").await.json();
    assert!(conf["conformsTo"].as_array().unwrap().contains(&json!(
        "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs"
    )));
}

#[tokio::test]
async fn a_bbox_in_bng_or_lat_lon_selects_what_the_crs84_bbox_selects() {
    let s = state(None);
    let crs84 = get(
        &s,
        "/collections/aeds/items?bbox=-1.207,52.769,-1.202,52.773",
    )
    .await
    .json();
    assert_eq!(ids(&crs84), ["T1", "T2"].map(String::from).into());
    let (e0, n0) = wgs84_to_bng(-1.207, 52.769).unwrap();
    let (e1, n1) = wgs84_to_bng(-1.202, 52.773).unwrap();
    let bng = get(
        &s,
        &format!("/collections/aeds/items?bbox={e0:.1},{n0:.1},{e1:.1},{n1:.1}&bbox-crs={BNG}"),
    )
    .await
    .json();
    assert_eq!(ids(&bng), ids(&crs84), "{bng}");
    let latlon = get(
        &s,
        "/collections/aeds/items?bbox=52.769,-1.207,52.773,-1.202&bbox-crs=EPSG:4326",
    )
    .await
    .json();
    assert_eq!(ids(&latlon), ids(&crs84));
    // Polygons too: the west ward only.
    let areas = get(
        &s,
        &format!("/collections/areas/items?bbox-crs={BNG}&bbox={e0:.0},{n0:.0},{e1:.0},{n1:.0}"),
    )
    .await;
    assert_eq!(areas.status, StatusCode::OK, "{}", areas.text);
    // The next link keeps bbox-crs.
    let p1 = get(
        &s,
        &format!(
            "/collections/aeds/items?limit=1&bbox={e0:.1},{n0:.1},{e1:.1},{n1:.1}&bbox-crs={BNG}"
        ),
    )
    .await
    .json();
    let next = p1["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["rel"] == "next")
        .unwrap();
    assert!(
        next["href"].as_str().unwrap().contains("bbox-crs="),
        "{next}"
    );
}

#[tokio::test]
async fn property_filters_return_exactly_the_matching_registry_entries() {
    let s = state(None);
    let registry: Vec<_> = s
        .store()
        .export_aeds()
        .unwrap()
        .into_iter()
        .filter(|a| a.location.is_some())
        .collect();
    let want = |f: &dyn Fn(&aedcover::registry::Aed) -> bool| -> BTreeSet<String> {
        registry
            .iter()
            .filter(|a| f(a))
            .map(|a| String::from(&a.id))
            .collect()
    };
    let cases: Vec<(&str, BTreeSet<String>)> = vec![
        (
            "access=public_24_7",
            want(&|a| a.access.as_str() == "public_24_7"),
        ),
        ("status=ready", want(&|a| a.status.as_str() == "ready")),
        ("has_guardian=false", want(&|a| a.guardian_id.is_none())),
        (
            "has_guardian=true&status=ready",
            want(&|a| a.guardian_id.is_some() && a.status.as_str() == "ready"),
        ),
        (
            "access=public_24_7&status=ready",
            want(&|a| a.access.as_str() == "public_24_7" && a.status.as_str() == "ready"),
        ),
        ("access=nope", BTreeSet::new()),
    ];
    for (q, expected) in cases {
        let r = get(&s, &format!("/collections/aeds/items?{q}"))
            .await
            .json();
        assert_eq!(ids(&r), expected, "{q}");
        assert_eq!(r["numberMatched"], expected.len(), "{q}");
        assert_eq!(r["numberReturned"], expected.len(), "{q}");
    }
    let q = get(&s, "/collections/aeds/queryables").await;
    assert_eq!(q.content_type, "application/schema+json");
    let q = q.json();
    assert_eq!(q["properties"]["has_guardian"]["type"], "boolean");
    assert_eq!(q["properties"]["access"]["type"], "string");
    assert!(q["properties"].get("guardian_id").is_none());
    let cov = get(&s, "/collections/coverage/queryables").await.json();
    assert!(cov["properties"].is_object());
}

#[tokio::test]
async fn time_stamp_is_the_response_time_and_unknown_parameters_are_named() {
    let s = state(None);
    let before = chrono::Utc::now() - chrono::Duration::seconds(1);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let r = get(&s, "/collections/aeds/items").await.json();
    let ts = chrono::DateTime::parse_from_rfc3339(r["timeStamp"].as_str().unwrap()).unwrap();
    assert!(
        ts > before + chrono::Duration::seconds(1),
        "{ts} is the build time, not now"
    );
    let r = get(&s, "/collections/aeds/items?ooga=booga").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.json()["detail"]["parameter"], "ooga");
}

#[tokio::test]
async fn only_produced_layers_are_collections() {
    let store = aedcover::store::Store::open_in_memory().unwrap();
    let (aeds, guardians) = aedcover::api::serve::read_seed(&fixture("seed.json"), false).unwrap();
    store.seed_if_empty(&aeds, &guardians, "seed").unwrap();
    let mut b = aedcover::api::RegistryBuilder::default();
    let mut empty = aedcover::export::Layer::new("gaps");
    empty.attribution = vec!["test".into()];
    b.layers.insert("gaps".into(), empty);
    let s = aedcover::api::AppState::new(std::sync::Arc::new(store), std::sync::Arc::new(b), None)
        .unwrap();
    let cs = get(&s, "/collections").await.json();
    let listed: Vec<_> = cs["collections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].clone())
        .collect();
    assert_eq!(listed, [json!("aeds"), json!("gaps")]);
    assert_eq!(
        get(&s, "/collections/areas").await.status,
        StatusCode::NOT_FOUND
    );
    let g = get(&s, "/collections/gaps/items").await;
    assert_eq!(g.status, StatusCode::OK);
    let g = g.json();
    assert_eq!(g["numberMatched"], 0);
    assert_eq!(g["features"], json!([]));
    let api = get(&s, "/api").await.json();
    assert!(api["paths"].get("/collections/areas/items").is_none());
    assert!(api["paths"]["/collections/gaps/items"].is_object());
}

#[tokio::test]
async fn html_views_link_together_and_show_no_guardian_data() {
    let s = state(Some(TOKEN));
    for uri in [
        "/?f=html",
        "/conformance?f=html",
        "/collections?f=html",
        "/collections/aeds?f=html",
        "/collections/aeds/queryables?f=html",
        "/collections/aeds/items?f=html",
        "/collections/aeds/items?f=html&limit=2",
        "/collections/aeds/items/T1?f=html",
        "/collections/areas/items?f=html",
        "/collections/sites/items/S1?f=html",
    ] {
        let r = get(&s, uri).await;
        assert_eq!(r.status, StatusCode::OK, "{uri}: {}", r.text);
        assert_eq!(r.content_type, "text/html; charset=utf-8", "{uri}");
        assert!(r.text.starts_with("<!doctype html>"), "{uri}");
        assert!(r.text.contains("<a href="), "{uri} has no links");
        for secret in GUARDIAN_SECRETS {
            assert!(!r.text.contains(secret), "{uri} leaks {secret:?}");
        }
        assert!(!r.text.contains("call Test Guardian"), "{uri} leaks notes");
    }
    let page = get(&s, "/collections/aeds/items?f=html&limit=2").await.text;
    assert!(page.contains("/collections/aeds/items/T1?f=html"), "{page}");
    assert!(page.contains("next page"), "{page}");
    // A browser's Accept gets HTML; GDAL's gets JSON.
    let (st, ct, _) = get_with(&s, "/collections", "text/html,application/xhtml+xml").await;
    assert_eq!(
        (st, ct.as_str()),
        (StatusCode::OK, "text/html; charset=utf-8")
    );
    let (_, ct, _) = get_with(
        &s,
        "/collections/aeds/items",
        "application/geo+json, application/json",
    )
    .await;
    assert_eq!(ct, "application/geo+json");
}

#[tokio::test]
async fn a_point_outside_the_metric_crs_is_answered_not_refused() {
    let s = state(None);
    for uri in [
        "/nearest?lat=0&lon=0",
        "/coverage?lat=-33.9&lon=151.2",
        "/nearest?lat=52.77&lon=-1.2&radius_m=0.001",
    ] {
        let r = get(&s, uri).await;
        assert_eq!(r.status, StatusCode::OK, "{uri}: {}", r.text);
    }
    let r = get(&s, "/coverage?lat=0&lon=0").await.json();
    assert_eq!(r["measurable"], false);
    assert_eq!(r["covered"], false);
    assert!(r["note"].as_str().unwrap().contains("EPSG:27700"), "{r}");
    assert_eq!(
        get(&s, "/nearest?lat=52.7721&lon=-1.2060").await.json()["measurable"],
        true
    );
}

#[tokio::test]
async fn the_bearer_scheme_is_case_insensitive() {
    use tower::ServiceExt;
    let s = state(Some(TOKEN));
    for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
        let req = axum::http::Request::builder()
            .uri("/registry/audit")
            .header("authorization", format!("{scheme} {TOKEN}"))
            .body(axum::body::Body::empty())
            .unwrap();
        let res = aedcover::api::router(s.clone()).oneshot(req).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{scheme}");
    }
    for bad in [
        format!("Basic {TOKEN}"),
        format!("Bearer{TOKEN}"),
        TOKEN.to_string(),
    ] {
        let req = axum::http::Request::builder()
            .uri("/registry/audit")
            .header("authorization", bad.clone())
            .body(axum::body::Body::empty())
            .unwrap();
        let res = aedcover::api::router(s.clone()).oneshot(req).await.unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{bad}");
    }
}

fn refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if k == "$ref" {
                    out.push(x.as_str().unwrap_or("").to_string());
                }
                refs(x, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
        _ => {}
    }
}

#[tokio::test]
async fn the_openapi_document_names_every_route_with_only_local_refs() {
    let s = state(Some(TOKEN));
    let api = get(&s, "/api").await.json();
    let paths = api["paths"].as_object().unwrap();
    for (path, method) in [
        ("/", "get"),
        ("/conformance", "get"),
        ("/api", "get"),
        ("/collections", "get"),
        ("/collections/{collectionId}", "get"),
        ("/collections/{collectionId}/queryables", "get"),
        ("/collections/aeds/items", "get"),
        ("/collections/areas/items", "get"),
        ("/collections/{collectionId}/items/{featureId}", "get"),
        ("/nearest", "get"),
        ("/coverage", "get"),
        ("/sites", "get"),
        ("/health", "get"),
        ("/map", "get"),
        ("/registry/aeds", "post"),
        ("/registry/aeds/{id}", "put"),
        ("/registry/aeds/{id}/retire", "post"),
        ("/registry/aeds/{id}/guardian", "put"),
        ("/registry/aeds/{id}/checks", "post"),
        ("/registry/guardians", "get"),
        ("/registry/audit", "get"),
        ("/attention", "get"),
    ] {
        let op = &paths.get(path).unwrap_or_else(|| panic!("{path} missing"))[method];
        assert!(op.is_object(), "{method} {path}");
        if path.starts_with("/registry") || path == "/attention" {
            assert_eq!(op["security"], json!([{"bearer": []}]), "{path}");
            assert!(op["responses"]["401"].is_object(), "{path}");
        }
    }
    assert_eq!(
        api["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    let mut all = Vec::new();
    refs(&api, &mut all);
    assert!(!all.is_empty());
    for r in all {
        let name = r
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("non-local $ref {r}"));
        assert!(
            api["components"]["schemas"][name].is_object(),
            "{r} dangling"
        );
    }
    let items = &paths["/collections/aeds/items"]["get"]["parameters"];
    let names: Vec<_> = items
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    for n in [
        "bbox",
        "bbox-crs",
        "crs",
        "limit",
        "offset",
        "access",
        "status",
        "has_guardian",
    ] {
        assert!(names.contains(&n), "{n} not in {names:?}");
    }
}
