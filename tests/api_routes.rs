//! The API through `router(state).oneshot(..)`: every public route, no guardian data in
//! public responses, auth, validation, errors, and edits swapping the analysis.

use crate::api_support;

use api_support::*;
use axum::http::StatusCode;
use serde_json::json;

fn assert_no_guardian_data(uri: &str, text: &str) {
    for secret in GUARDIAN_SECRETS {
        assert!(
            !text.contains(secret),
            "{uri} leaks guardian data {secret:?}: {text}"
        );
    }
    assert!(!text.contains("call Test Guardian"), "{uri} leaks notes");
}

/// Every public route, with the content type it must have.
const PUBLIC: &[(&str, &str)] = &[
    ("/", "application/json"),
    ("/?f=json", "application/json"),
    ("/conformance", "application/json"),
    ("/api", "application/vnd.oai.openapi+json;version=3.0"),
    ("/collections", "application/json"),
    ("/collections/aeds", "application/json"),
    ("/collections/aeds/items", "application/geo+json"),
    (
        "/collections/aeds/items?limit=10000&f=json",
        "application/geo+json",
    ),
    ("/collections/aeds/items/T1", "application/geo+json"),
    ("/collections/areas/items", "application/geo+json"),
    ("/collections/areas/items/A-WEST", "application/geo+json"),
    ("/collections/gaps/items", "application/geo+json"),
    ("/collections/coverage/items", "application/geo+json"),
    ("/collections/sites/items", "application/geo+json"),
    ("/nearest?lat=52.7721&lon=-1.2060", "application/json"),
    (
        "/nearest?lat=52.7721&lon=-1.2060&radius_m=2000&at=2025-07-14T10:00:00Z",
        "application/json",
    ),
    ("/coverage?lat=52.7721&lon=-1.2060", "application/json"),
    ("/sites?k=5", "application/geo+json"),
    ("/health", "application/json"),
    ("/map", "text/html; charset=utf-8"),
];

#[tokio::test]
async fn every_public_route_answers_without_guardian_data() {
    let s = state(Some(TOKEN));
    for (uri, ct) in PUBLIC {
        let r = get(&s, uri).await;
        assert_eq!(r.status, StatusCode::OK, "{uri}: {}", r.text);
        assert_eq!(r.content_type, *ct, "{uri}");
        assert_no_guardian_data(uri, &r.text);
    }
    // AED features say only whether a guardian exists.
    let t1 = get(&s, "/collections/aeds/items/T1").await.json();
    assert_eq!(t1["properties"]["has_guardian"], true);
    assert!(t1["properties"].get("guardian_id").is_none());
    assert!(t1["properties"].get("notes").is_none());
    let t4 = get(&s, "/collections/aeds/items/T4").await.json();
    assert_eq!(t4["properties"]["has_guardian"], false);
}

#[tokio::test]
async fn landing_conformance_and_collections_have_the_shape_qgis_needs() {
    let s = state(None);
    let l = get(&s, "/").await.json();
    let rel = |r: &str| {
        l["links"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["rel"] == r)
            .cloned()
            .unwrap_or_else(|| panic!("no {r} link"))
    };
    assert_eq!(rel("self")["href"], "http://127.0.0.1:9999/");
    assert_eq!(
        rel("service-desc")["type"],
        "application/vnd.oai.openapi+json;version=3.0"
    );
    assert_eq!(
        rel("conformance")["href"],
        "http://127.0.0.1:9999/conformance"
    );
    assert_eq!(rel("data")["type"], "application/json");
    let c = get(&s, "/conformance").await.json();
    assert!(c["conformsTo"].as_array().unwrap().contains(&json!(
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core"
    )));
    let cs = get(&s, "/collections").await.json();
    let ids: Vec<_> = cs["collections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, ["aeds", "areas", "gaps", "coverage", "sites"]);
    for c in cs["collections"].as_array().unwrap() {
        assert!(!c["id"].as_str().unwrap().contains('.'));
        assert!(c["title"].is_string());
        let bbox = &c["extent"]["spatial"]["bbox"][0];
        assert_eq!(bbox.as_array().unwrap().len(), 4, "{c}");
    }
    let api = get(&s, "/api").await.json();
    assert_eq!(api["openapi"], "3.0.3");
    assert!(api["paths"]["/collections/{collectionId}/items"].is_object());
}

#[tokio::test]
async fn items_bbox_limit_and_paging() {
    let s = state(None);
    let all = get(&s, "/collections/aeds/items").await.json();
    // T6 has no position: counted in /health, not a feature.
    assert_eq!(all["numberMatched"], 5);
    assert_eq!(all["numberReturned"], 5);
    for f in all["features"].as_array().unwrap() {
        assert!(f["id"].is_string(), "top-level id: {f}");
    }
    // bbox around T1 and T2 only: T4 (north-east), T3 (north-west), T5 (south) out.
    let b = get(
        &s,
        "/collections/aeds/items?bbox=-1.207,52.769,-1.202,52.773",
    )
    .await
    .json();
    let mut ids: Vec<_> = b["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    assert_eq!(ids, ["T1", "T2"]);
    assert_eq!(b["numberMatched"], 2);

    // Paging: 5 features, 4 a page.
    let p1 = get(&s, "/collections/aeds/items?limit=4").await.json();
    assert_eq!(p1["numberReturned"], 4);
    let next = p1["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["rel"] == "next")
        .expect("next link");
    assert_eq!(next["type"], "application/geo+json");
    let href = next["href"].as_str().unwrap();
    assert!(href.contains("offset=4"), "{href}");
    let p2 = get(&s, href.trim_start_matches("http://127.0.0.1:9999"))
        .await
        .json();
    assert_eq!(p2["numberReturned"], 1);
    assert!(
        !p2["links"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["rel"] == "next"),
        "last page has no next"
    );
    let first4: Vec<_> = p1["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].clone())
        .collect();
    let last2: Vec<_> = p2["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].clone())
        .collect();
    assert!(first4.iter().all(|id| !last2.contains(id)));

    // Above the maximum is served at the maximum, not refused.
    let big = get(&s, "/collections/aeds/items?limit=20000").await;
    assert_eq!(big.status, StatusCode::OK);
    // Sites keep rank order.
    let sites = get(&s, "/sites?k=1").await.json();
    assert_eq!(sites["features"][0]["id"], "S1");
}

#[tokio::test]
async fn bad_input_is_400_unknown_is_404_all_json() {
    let s = state(Some(TOKEN));
    let cases = [
        ("/collections/aeds/items?bbox=1,2,3", 400, "bbox"),
        ("/collections/aeds/items?bbox=a,b,c,d", 400, "bbox"),
        ("/collections/aeds/items?bbox=0,60,1,50", 400, "bbox"),
        ("/collections/aeds/items?limit=0", 400, "limit"),
        ("/collections/aeds/items?limit=-5", 400, "limit"),
        ("/collections/aeds/items?limit=ten", 400, "limit"),
        ("/collections/aeds/items?offset=x", 400, "offset"),
        ("/collections/aeds/items?f=xml", 400, "f"),
        (
            "/collections/aeds/items?bbox-crs=EPSG:3857",
            400,
            "bbox-crs",
        ),
        ("/collections/aeds/items?ooga=booga", 400, "ooga"),
        ("/collections/aeds/items?limit=1&limit=2", 400, "limit"),
        (
            "/collections/aeds/items?has_guardian=maybe",
            400,
            "has_guardian",
        ),
        ("/collections/aeds/items?crs=EPSG:3857", 400, "crs"),
        ("/collections/aeds/items/T1?bbox=0,0,1,1", 400, "bbox"),
        ("/?ooga=booga", 400, "ooga"),
        ("/collections?limit=1", 400, "limit"),
        ("/nearest?lat=52.77&lon=-1.2&k=1", 400, "k"),
        ("/health?x=1", 400, "x"),
        ("/collections/nope/items", 404, ""),
        ("/collections/nope", 404, ""),
        ("/collections/aeds/items/NOPE", 404, ""),
        ("/no/such/route", 404, ""),
        ("/nearest", 400, "lat"),
        ("/nearest?lat=52.77&lon=abc", 400, "lon"),
        ("/nearest?lat=95&lon=0", 400, "lat"),
        ("/nearest?lat=52.77&lon=-1.2&radius_m=-1", 400, "radius_m"),
        ("/nearest?lat=52.77&lon=-1.2&at=yesterday", 400, "at"),
        ("/coverage?lat=52.77", 400, "lon"),
        ("/sites?k=0", 400, "k"),
        ("/sites?k=many", 400, "k"),
        ("/attention?days=x", 400, "days"),
        ("/collections/aeds/items/%FF%FE", 400, ""),
    ];
    for (uri, status, param) in cases {
        let token = uri.starts_with("/attention").then_some(TOKEN);
        let r = call(&s, "GET", uri, token, None).await;
        assert_eq!(r.status.as_u16(), status, "{uri}: {}", r.text);
        assert_eq!(r.content_type, "application/json", "{uri}");
        let v = r.json();
        assert!(
            v["error"].is_string() && !v["detail"].is_null(),
            "{uri}: {v}"
        );
        if !param.is_empty() {
            assert_eq!(v["detail"]["parameter"], param, "{uri}: {v}");
        }
    }
}

#[tokio::test]
async fn nearest_is_nearest_first_with_opening_state() {
    let s = state(None);
    // Monday 2025-07-14 20:00 BST: the library (Mo-Fr 09-17) is closed, the 24/7 cabinet open.
    let n = get(
        &s,
        "/nearest?lat=52.7721&lon=-1.2060&radius_m=1000&at=2025-07-14T19:00:00Z",
    )
    .await
    .json();
    let aeds = n["aeds"].as_array().unwrap();
    let ids: Vec<_> = aeds.iter().map(|a| a["id"].as_str().unwrap()).collect();
    // Without a study the one counted rule is scenario "all": every AED but a retired one.
    // T3 (restricted) counts, with its access shown; T5 (retired) does not.
    assert_eq!(ids, ["T1", "T2", "T3"]);
    assert_eq!(aeds[2]["access"], "restricted");
    assert!(aeds[0]["distance_m"].as_f64().unwrap() < 1.0);
    assert!(aeds[1]["distance_m"].as_f64().unwrap() > aeds[0]["distance_m"].as_f64().unwrap());
    assert_eq!(aeds[0]["open"], true);
    assert_eq!(aeds[1]["open"], false);
    let day = get(
        &s,
        "/nearest?lat=52.7721&lon=-1.2060&radius_m=1000&at=2025-07-14T10:00:00%2B01:00",
    )
    .await
    .json();
    assert_eq!(day["aeds"][1]["open"], true);

    let c = get(&s, "/coverage?lat=52.7721&lon=-1.2060").await.json();
    assert_eq!(c["covered"], true);
    assert_eq!(c["nearest_usable"]["id"], "T1");
    assert_eq!(c["areas"][0]["id"], "A-WEST");
    assert_eq!(c["coverage"][0]["id"], "C-T1");
    let far = get(&s, "/coverage?lat=52.7835&lon=-1.19").await.json();
    assert_eq!(far["covered"], false);
    assert_eq!(far["gaps"][0]["id"], "GAP-1");
}

#[tokio::test]
async fn edits_need_a_configured_token_and_the_right_one() {
    let body = json!({"name": "New", "lon": -1.2, "lat": 52.77, "id": "N1",
                      "access": "public_24_7", "status": "ready", "managed_by": "community"});
    let disabled = state(None);
    let r = call(
        &disabled,
        "POST",
        "/registry/aeds",
        Some(TOKEN),
        Some(body.clone()),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.json()["error"], "edits_disabled");
    let r = call(&disabled, "GET", "/registry/guardians", None, None).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    let s = state(Some(TOKEN));
    let protected = [
        ("POST", "/registry/aeds"),
        ("PUT", "/registry/aeds/T1"),
        ("POST", "/registry/aeds/T1/retire"),
        ("PUT", "/registry/aeds/T1/guardian"),
        ("POST", "/registry/aeds/T1/checks"),
        ("GET", "/registry/guardians"),
        ("GET", "/registry/audit"),
        ("GET", "/attention"),
    ];
    for (m, uri) in protected {
        for token in [None, Some("wrong-token")] {
            let r = call(&s, m, uri, token, Some(body.clone())).await;
            assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{m} {uri} {token:?}");
            assert_no_guardian_data(uri, &r.text);
            assert_eq!(r.json()["error"], "unauthorized");
        }
    }
    // Nothing changed.
    assert_eq!(s.store().export_aeds().unwrap().len(), 6);
}

#[tokio::test]
async fn writes_are_validated_naming_the_field() {
    let s = state(Some(TOKEN));
    let base = json!({"id": "N1", "name": "New", "lon": -1.2, "lat": 52.77,
                      "access": "public_24_7", "status": "ready", "managed_by": "community"});
    let bad = |k: &str, v: serde_json::Value| {
        let mut b = base.clone();
        b[k] = v;
        b
    };
    let cases = [
        (bad("pads_expiry", json!("31/02/2024")), "pads_expiry"),
        (bad("lat", json!(123.0)), "lat"),
        (bad("access", json!("sometimes")), "access"),
        (bad("status", json!("fine")), "status"),
        (
            bad("opening_hours", json!("whenever we like")),
            "opening_hours",
        ),
        (bad("id", json!("has space")), "id"),
        (bad("colour", json!("red")), "colour"),
        (bad("guardian_id", json!("G404")), "guardian_id"),
        (json!({"id": "N2"}), "name"),
    ];
    for (body, field) in cases {
        let r = call(
            &s,
            "POST",
            "/registry/aeds",
            Some(TOKEN),
            Some(body.clone()),
        )
        .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}: {}", r.text);
        assert_eq!(r.json()["detail"]["field"], field, "{body}: {}", r.text);
    }
    let r = call(
        &s,
        "POST",
        "/registry/aeds/T1/checks",
        Some(TOKEN),
        Some(json!({"date": "2025-02-30", "status": "ready"})),
    )
    .await;
    assert_eq!(r.json()["detail"]["field"], "date");
    let r = call(
        &s,
        "POST",
        "/registry/aeds/T1/checks",
        Some(TOKEN),
        Some(json!({"date": "2025-02-03", "status": "ready", "battery_expiry": "soon"})),
    )
    .await;
    assert_eq!(r.json()["detail"]["field"], "battery_expiry");
    let r = call(
        &s,
        "PUT",
        "/registry/aeds/T1/guardian",
        Some(TOKEN),
        Some(json!({"guardian_id": "G3", "name": "Test Guardian Three", "email": "not-an-email"})),
    )
    .await;
    assert_eq!(r.json()["detail"]["field"], "email");
    let r = call(&s, "POST", "/registry/aeds", Some(TOKEN), None).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = call(&s, "POST", "/registry/aeds/NOPE/retire", Some(TOKEN), None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = call(
        &s,
        "POST",
        "/registry/aeds",
        Some(TOKEN),
        Some(bad("id", json!("T1"))),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    // Nothing was written by any of these.
    assert_eq!(s.store().export_aeds().unwrap().len(), 6);
    assert_eq!(s.store().audit_log().unwrap().len(), 1);
}

#[tokio::test]
async fn edits_are_audited_and_swap_the_published_analysis() {
    let s = state(Some(TOKEN));
    let before = s.analysis();
    let add = json!({"id": "N1", "name": "New cabinet", "lon": -1.195, "lat": 52.783,
                     "access": "public_24_7", "status": "ready", "managed_by": "community",
                     "pads_expiry": "2030-01-01"});
    let r = call(&s, "POST", "/registry/aeds", Some(TOKEN), Some(add)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    // The old snapshot is untouched; the new one has the AED.
    assert_eq!(before.collection("aeds").unwrap().features.len(), 5);
    let n = get(&s, "/nearest?lat=52.783&lon=-1.195&radius_m=100")
        .await
        .json();
    assert_eq!(n["aeds"][0]["id"], "N1");
    let item = get(&s, "/collections/aeds/items/N1").await;
    assert_eq!(item.status, StatusCode::OK);

    let r = call(&s, "PUT", "/registry/aeds/N1/guardian", Some(TOKEN),
        Some(json!({"guardian_id": "G3", "name": "Test Guardian Three", "email": "three@example.org"}))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = call(
        &s,
        "POST",
        "/registry/aeds/N1/checks",
        Some(TOKEN),
        Some(json!({"date": "2025-03-01", "status": "not_ready", "pads_expiry": "2031-01-01"})),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let n = get(&s, "/nearest?lat=52.783&lon=-1.195&radius_m=100")
        .await
        .json();
    // Scenario "all" counts a not_ready device; the answer says its status.
    assert_eq!(n["aeds"][0]["status"], "not_ready", "{n}");

    let mut upd = serde_json::to_value(aedcover::store::AedRecord::from(
        &s.store().aed("N1").unwrap(),
    ))
    .unwrap();
    upd["status"] = json!("ready");
    upd["name"] = json!("Renamed cabinet");
    let r = call(&s, "PUT", "/registry/aeds/N1", Some(TOKEN), Some(upd)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let item = get(&s, "/collections/aeds/items/N1").await.json();
    assert_eq!(item["properties"]["name"], "Renamed cabinet");
    assert_eq!(item["properties"]["pads_expiry"], "2031-01-01");
    assert_no_guardian_data("/collections/aeds/items/N1", &item.to_string());

    let r = call(
        &s,
        "POST",
        "/registry/aeds/N1/retire",
        Some(TOKEN),
        Some(json!({"reason": "moved"})),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let n = get(&s, "/nearest?lat=52.783&lon=-1.195&radius_m=100")
        .await
        .json();
    assert_eq!(n["count"], 0);

    let log = call(&s, "GET", "/registry/audit", Some(TOKEN), None)
        .await
        .json();
    let actions: Vec<_> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        actions,
        [
            "seed",
            "add_aed",
            "set_guardian",
            "record_check",
            "update_aed",
            "retire_aed"
        ]
    );
    assert!(
        log["entries"][1]["who"]
            .as_str()
            .unwrap()
            .starts_with("bearer:")
    );
    assert!(log["entries"][1]["at"].as_str().unwrap().ends_with('Z'));

    // Protected routes do carry guardian contacts.
    let g = call(&s, "GET", "/registry/guardians", Some(TOKEN), None)
        .await
        .json();
    assert_eq!(g["count"], 3);
    assert_eq!(g["guardians"][0]["email"], "test.guardian1@example.org");
    assert_eq!(g["guardians"][0]["aeds"], json!(["T1", "T5"]));
    let att = call(&s, "GET", "/attention", Some(TOKEN), None)
        .await
        .json();
    let t6 = att["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["aed_id"] == "T6")
        .unwrap();
    assert_eq!(t6["guardian"]["phone"], "07700 900002");
    assert!(
        t6["reasons"]
            .as_array()
            .unwrap()
            .contains(&json!("status not_ready"))
    );
    assert!(
        !att["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["aed_id"] == "N1"),
        "retired left out"
    );
}

mod never_500 {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        /// Free-form query strings on public routes are answered 200, 400 or 404, never 500.
        #[test]
        fn free_form_queries_never_500(
            route in prop::sample::select(vec![
                "/collections/aeds/items", "/collections/areas/items", "/nearest",
                "/coverage", "/sites", "/collections/aeds/items/T1", "/",
            ]),
            key in prop::sample::select(vec!["bbox", "limit", "offset", "lat", "lon", "radius_m", "at", "k", "f", "bbox-crs"]),
            value in "[-0-9a-zA-Z.,:%+ ]{0,40}",
        ) {
            let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
            let s = state(None);
            let enc: String = value.bytes().map(|b| match b {
                b' ' => "%20".to_string(),
                b'%' => "%25".to_string(),
                b'+' => "%2B".to_string(),
                _ => (b as char).to_string(),
            }).collect();
            let uri = format!("{route}?{key}={enc}&lat=52.77&lon=-1.2");
            let r = rt.block_on(get(&s, &uri));
            prop_assert!(r.status.is_success() || r.status == StatusCode::BAD_REQUEST
                || r.status == StatusCode::NOT_FOUND, "{uri}: {} {}", r.status, r.text);
            prop_assert!(r.content_type.starts_with("application/"), "{uri}");
        }

        /// OGC routes with 1–3 free-form parameters each (CRS, bbox-crs, property filters,
        /// formats included): 200, 400 or 404 only, errors as JSON, no guardian data.
        #[test]
        fn ogc_parameters_never_500(
            route in prop::sample::select(vec![
                "/collections/aeds/items", "/collections/areas/items", "/collections/sites/items",
                "/collections/coverage/items", "/collections/aeds/items/T1", "/collections/aeds",
                "/collections/aeds/queryables", "/collections", "/", "/conformance", "/api",
                "/availability", "/nearest",
            ]),
            pairs in prop::collection::vec((
                prop::sample::select(vec![
                    "bbox", "bbox-crs", "crs", "limit", "offset", "f", "access", "status",
                    "has_guardian", "radius_m", "rank", "name", "counted", "at", "lat", "lon", "x",
                ]),
                prop_oneof![
                    "[-0-9a-zA-Z.,:%+_ /\\[\\]]{0,40}",
                    prop::sample::select(vec![
                        "http://www.opengis.net/def/crs/EPSG/0/27700".to_string(),
                        "http://www.opengis.net/def/crs/EPSG/0/4326".to_string(),
                        "http://www.opengis.net/def/crs/OGC/1.3/CRS84".to_string(),
                        "EPSG:27700".to_string(), "html".to_string(), "json".to_string(),
                        "454000,320000,455000,321000".to_string(), "52.7,-1.3,52.8,-1.1".to_string(),
                        "true".to_string(), "false".to_string(), "500".to_string(), "1e400".to_string(),
                    ]),
                ],
            ), 1..4),
        ) {
            let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
            let s = state(Some(TOKEN));
            let enc = |v: &str| -> String {
                v.bytes().map(|b| if b.is_ascii_alphanumeric() || b"-._~,:".contains(&b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }).collect()
            };
            let q: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={}", enc(v))).collect();
            let uri = format!("{route}?{}", q.join("&"));
            let r = rt.block_on(get(&s, &uri));
            prop_assert!(r.status.is_success() || r.status == StatusCode::BAD_REQUEST
                || r.status == StatusCode::NOT_FOUND, "{uri}: {} {}", r.status, r.text);
            if !r.status.is_success() {
                prop_assert_eq!(r.content_type.as_str(), "application/json", "{}", uri);
            }
            for secret in GUARDIAN_SECRETS {
                prop_assert!(!r.text.contains(secret), "{uri} leaks {secret:?}");
            }
        }
    }
}
