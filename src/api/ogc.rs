//! OGC API – Features Part 1 (core, GeoJSON, OpenAPI 3.0) in the shape QGIS and GDAL read.

use super::analysis::Collection;
use super::{ApiError, AppState};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::fmt::Write as _;

pub const GEOJSON: &str = "application/geo+json";
pub const OPENAPI: &str = "application/vnd.oai.openapi+json;version=3.0";
const CRS84: &str = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";
pub const DEFAULT_LIMIT: usize = 100;
pub const MAX_LIMIT: usize = 10_000;

pub type Params = Result<Query<Vec<(String, String)>>, QueryRejection>;

/// Query parameters as pairs; a malformed query string is a 400.
pub fn params(q: Params) -> Result<Vec<(String, String)>, ApiError> {
    q.map(|Query(v)| v)
        .map_err(|e| ApiError::bad_param("query", e.body_text()))
}

pub fn param<'a>(p: &'a [(String, String)], name: &str) -> Option<&'a str> {
    p.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// `f=json` (or geojson) is tolerated; any other format is a 400.
pub fn check_format(p: &[(String, String)]) -> Result<(), ApiError> {
    match param(p, "f") {
        None | Some("json") | Some("geojson") | Some("application/json") | Some(GEOJSON) => Ok(()),
        Some(other) => Err(ApiError::bad_param(
            "f",
            format!("unsupported format {other:?}; only json"),
        )),
    }
}

/// `http://host` from the request's Host header (loopback when absent or odd).
pub fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".:-[]".contains(c))
        })
        .unwrap_or("127.0.0.1");
    format!("http://{host}")
}

pub fn json_response(v: &Value, content_type: &'static str) -> Response {
    typed(v.to_string(), content_type)
}

pub fn typed(body: String, content_type: &'static str) -> Response {
    let mut res = body.into_response();
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    res
}

pub async fn landing(headers: HeaderMap, q: Params) -> Result<Response, ApiError> {
    check_format(&params(q)?)?;
    let b = base_url(&headers);
    Ok(json_response(
        &json!({
            "title": "aedcover",
            "description": "Public-access defibrillators, 500 m coverage, gaps and suggested sites",
            "links": [
                {"href": format!("{b}/"), "rel": "self", "type": "application/json", "title": "This document"},
                {"href": format!("{b}/api"), "rel": "service-desc", "type": OPENAPI, "title": "The API definition"},
                {"href": format!("{b}/conformance"), "rel": "conformance", "type": "application/json", "title": "Conformance classes"},
                {"href": format!("{b}/collections"), "rel": "data", "type": "application/json", "title": "Collections"},
                {"href": format!("{b}/map"), "rel": "alternate", "type": "text/html", "title": "Map"},
            ]
        }),
        "application/json",
    ))
}

pub const CONFORMANCE: [&str; 3] = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
];

pub async fn conformance(q: Params) -> Result<Response, ApiError> {
    check_format(&params(q)?)?;
    Ok(json_response(
        &json!({"conformsTo": CONFORMANCE}),
        "application/json",
    ))
}

fn collection_json(c: &Collection, b: &str) -> Value {
    let mut v = json!({
        "id": c.id,
        "title": c.title,
        "description": c.description,
        "itemType": "feature",
        "crs": [CRS84],
        "links": [
            {"href": format!("{b}/collections/{}", c.id), "rel": "self", "type": "application/json", "title": c.title},
            {"href": format!("{b}/collections/{}/items", c.id), "rel": "items", "type": GEOJSON, "title": c.title},
        ],
    });
    if let Some(e) = c.extent {
        v["extent"] = json!({"spatial": {"bbox": [e], "crs": CRS84}});
    }
    if !c.attribution.is_empty() {
        v["attribution"] = json!(c.attribution);
    }
    if let Some(why) = &c.restricted {
        v["not_for_publication"] = json!(true);
        v["access"] = json!({"items": "authenticated callers only (Authorization: Bearer <token>)", "reason": why});
    }
    v
}

pub async fn collections(
    State(s): State<AppState>,
    headers: HeaderMap,
    q: Params,
) -> Result<Response, ApiError> {
    check_format(&params(q)?)?;
    let b = base_url(&headers);
    let a = s.analysis();
    let cs: Vec<Value> = a
        .collections
        .iter()
        .map(|c| collection_json(c, &b))
        .collect();
    Ok(json_response(
        &json!({
            "links": [{"href": format!("{b}/collections"), "rel": "self", "type": "application/json"}],
            "collections": cs,
        }),
        "application/json",
    ))
}

pub async fn collection(
    State(s): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    q: Params,
) -> Result<Response, ApiError> {
    check_format(&params(q)?)?;
    let a = s.analysis();
    let c = a
        .collection(&id)
        .ok_or_else(|| ApiError::not_found(format!("no collection {id:?}")))?;
    Ok(json_response(
        &collection_json(c, &base_url(&headers)),
        "application/json",
    ))
}

/// A bbox `minx,miny,maxx,maxy` (or 6 numbers with heights) in CRS84.
pub fn parse_bbox(s: &str) -> Result<[f64; 4], ApiError> {
    let nums: Result<Vec<f64>, _> = s.split(',').map(|t| t.trim().parse::<f64>()).collect();
    let nums = nums.map_err(|_| ApiError::bad_param("bbox", format!("not numbers ({s:?})")))?;
    let b = match nums.as_slice() {
        [a, b, c, d] => [*a, *b, *c, *d],
        [a, b, _, d, e, _] => [*a, *b, *d, *e],
        _ => {
            return Err(ApiError::bad_param(
                "bbox",
                format!("needs 4 (or 6) comma-separated numbers ({s:?})"),
            ));
        }
    };
    if b.iter().any(|v| !v.is_finite()) {
        return Err(ApiError::bad_param("bbox", format!("not finite ({s:?})")));
    }
    if b[1] > b[3] {
        return Err(ApiError::bad_param(
            "bbox",
            format!("south above north ({s:?})"),
        ));
    }
    if b[1] < -90.0 || b[3] > 90.0 || b[0] < -180.0 || b[2] > 180.0 {
        return Err(ApiError::bad_param(
            "bbox",
            format!("outside lon -180..180, lat -90..90 ({s:?})"),
        ));
    }
    Ok(b)
}

fn intersects(q: &[f64; 4], f: &[f64; 4]) -> bool {
    let lat_ok = f[1] <= q[3] && f[3] >= q[1];
    // A bbox with minx > maxx crosses the antimeridian.
    let lon_ok = if q[0] <= q[2] {
        f[0] <= q[2] && f[2] >= q[0]
    } else {
        f[2] >= q[0] || f[0] <= q[2]
    };
    lat_ok && lon_ok
}

fn parse_usize(p: &[(String, String)], name: &str) -> Result<Option<usize>, ApiError> {
    param(p, name)
        .map(|v| {
            v.trim().parse::<usize>().map_err(|_| {
                ApiError::bad_param(name, format!("not a non-negative integer ({v:?})"))
            })
        })
        .transpose()
}

pub async fn items(
    State(s): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    q: Params,
) -> Result<Response, ApiError> {
    let p = params(q)?;
    check_format(&p)?;
    let a = s.analysis();
    let c = a
        .collection(&id)
        .ok_or_else(|| ApiError::not_found(format!("no collection {id:?}")))?;
    super::edit::authorize_restricted(&s, &headers, c)?;
    let limit = match parse_usize(&p, "limit")? {
        None => DEFAULT_LIMIT,
        Some(0) => return Err(ApiError::bad_param("limit", "must be at least 1")),
        // OGC API – Features: a limit above the maximum is served at the maximum.
        Some(n) => n.min(MAX_LIMIT),
    };
    let offset = parse_usize(&p, "offset")?.unwrap_or(0);
    if let Some(crs) = param(&p, "bbox-crs")
        && crs != CRS84
    {
        return Err(ApiError::bad_param(
            "bbox-crs",
            format!("only {CRS84} ({crs:?})"),
        ));
    }
    let bbox = param(&p, "bbox").map(parse_bbox).transpose()?;
    let matched: Vec<usize> = match bbox {
        None => (0..c.features.len()).collect(),
        Some(q) => (0..c.features.len())
            .filter(|&i| c.bboxes[i].as_ref().is_some_and(|f| intersects(&q, f)))
            .collect(),
    };
    let page: &[usize] = matched.get(offset..).unwrap_or(&[]);
    let page = &page[..page.len().min(limit)];

    let b = base_url(&headers);
    let mut keep = String::new();
    if let Some(bb) = param(&p, "bbox") {
        write!(keep, "&bbox={}", encode(bb)).ok();
    }
    let self_href = format!("{b}/collections/{id}/items?limit={limit}&offset={offset}{keep}");
    let mut links = vec![
        json!({"href": self_href, "rel": "self", "type": super::ogc::GEOJSON, "title": "This page"}),
        json!({"href": format!("{b}/collections/{id}"), "rel": "collection", "type": "application/json"}),
    ];
    if offset + page.len() < matched.len() {
        links.push(json!({
            "href": format!("{b}/collections/{id}/items?limit={limit}&offset={}{keep}", offset + page.len()),
            "rel": "next", "type": GEOJSON, "title": "Next page",
        }));
    }
    let mut body =
        String::with_capacity(64 + page.iter().map(|&i| c.json[i].len() + 1).sum::<usize>());
    body.push_str("{\"type\":\"FeatureCollection\",\"features\":[");
    for (n, &i) in page.iter().enumerate() {
        if n > 0 {
            body.push(',');
        }
        body.push_str(&c.json[i]);
    }
    write!(
        body,
        "],\"numberMatched\":{},\"numberReturned\":{},\"timeStamp\":{},\"links\":{}}}",
        matched.len(),
        page.len(),
        Value::String(
            a.built_at
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        ),
        Value::Array(links)
    )
    .ok();
    Ok(typed(body, GEOJSON))
}

/// Percent-encodes a query value (keeps what a bbox needs readable).
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~,".contains(&b) {
            out.push(b as char);
        } else {
            write!(out, "%{b:02X}").ok();
        }
    }
    out
}

pub async fn item(
    State(s): State<AppState>,
    Path((id, feature_id)): Path<(String, String)>,
    headers: HeaderMap,
    q: Params,
) -> Result<Response, ApiError> {
    check_format(&params(q)?)?;
    let a = s.analysis();
    let c = a
        .collection(&id)
        .ok_or_else(|| ApiError::not_found(format!("no collection {id:?}")))?;
    super::edit::authorize_restricted(&s, &headers, c)?;
    let i = c
        .get(&feature_id)
        .ok_or_else(|| ApiError::not_found(format!("no feature {feature_id:?} in {id}")))?;
    let b = base_url(&headers);
    let links = json!([
        {"href": format!("{b}/collections/{id}/items/{}", encode(&feature_id)), "rel": "self", "type": GEOJSON},
        {"href": format!("{b}/collections/{id}"), "rel": "collection", "type": "application/json"},
    ]);
    let text = &c.json[i];
    let body = format!("{},\"links\":{links}}}", &text[..text.len() - 1]);
    Ok(typed(body, GEOJSON))
}

pub async fn openapi(headers: HeaderMap, q: Params) -> Result<Response, ApiError> {
    check_format(&params(q)?)?;
    let b = base_url(&headers);
    let err = json!({"description": "Error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/error"}}}});
    let json_ok = |d: &str| json!({"200": {"description": d, "content": {"application/json": {}}}, "400": err});
    let geo_ok = |d: &str| json!({"200": {"description": d, "content": {GEOJSON: {}}}, "400": err, "404": err});
    let cid = json!({"name": "collectionId", "in": "path", "required": true, "schema": {"type": "string", "enum": super::COLLECTION_IDS}});
    let f = json!({"name": "f", "in": "query", "required": false, "schema": {"type": "string", "enum": ["json"]}});
    let num = |name: &str, req: bool, d: &str| json!({"name": name, "in": "query", "required": req, "description": d, "schema": {"type": "number"}});
    let doc = json!({
        "openapi": "3.0.3",
        "info": {"title": "aedcover", "version": env!("CARGO_PKG_VERSION"),
                 "description": "OGC API – Features for defibrillator coverage; guardian data only on protected routes"},
        "servers": [{"url": b}],
        "paths": {
            "/": {"get": {"summary": "Landing page", "operationId": "getLandingPage", "parameters": [f], "responses": json_ok("Landing page")}},
            "/conformance": {"get": {"summary": "Conformance classes", "operationId": "getConformanceDeclaration", "parameters": [f], "responses": json_ok("Conformance")}},
            "/api": {"get": {"summary": "This document", "responses": {"200": {"description": "OpenAPI 3.0", "content": {OPENAPI: {}}}}}},
            "/collections": {"get": {"summary": "Collections", "operationId": "getCollections", "parameters": [f], "responses": json_ok("Collections")}},
            "/collections/{collectionId}": {"get": {"summary": "One collection", "operationId": "describeCollection", "parameters": [cid, f], "responses": json_ok("Collection")}},
            "/collections/{collectionId}/items": {"get": {
                "summary": "Features", "operationId": "getFeatures",
                "parameters": [cid, f,
                    {"name": "bbox", "in": "query", "required": false, "style": "form", "explode": false,
                     "schema": {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}}},
                    {"name": "limit", "in": "query", "required": false, "style": "form", "explode": false,
                     "schema": {"type": "integer", "minimum": 1, "maximum": super::ogc::MAX_LIMIT, "default": DEFAULT_LIMIT}},
                    {"name": "offset", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 0, "default": 0}}],
                "responses": geo_ok("Features")}},
            "/collections/{collectionId}/items/{featureId}": {"get": {
                "summary": "One feature", "operationId": "getFeature",
                "parameters": [cid, {"name": "featureId", "in": "path", "required": true, "schema": {"type": "string"}}, f],
                "responses": geo_ok("Feature")}},
            "/nearest": {"get": {"summary": "AEDs counted by the served rule within radius_m, nearest first, with status and open or not at `at`",
                "parameters": [num("lat", true, "WGS84 degrees"), num("lon", true, "WGS84 degrees"),
                               num("radius_m", false, "metres, default 500"),
                               {"name": "at", "in": "query", "required": false, "description": "RFC 3339 time, default now", "schema": {"type": "string", "format": "date-time"}}],
                "responses": json_ok("Nearest AEDs")}},
            "/coverage": {"get": {"summary": "Whether a point is covered, and the areas containing it",
                "parameters": [num("lat", true, "WGS84 degrees"), num("lon", true, "WGS84 degrees"), num("radius_m", false, "metres, default 500")],
                "responses": json_ok("Coverage at a point")}},
            "/sites": {"get": {"summary": "The top k suggested sites",
                "parameters": [{"name": "k", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 10}}],
                "responses": {"200": {"description": "Sites", "content": {GEOJSON: {}}}, "400": err}}},
            "/health": {"get": {"summary": "Liveness and counts", "responses": json_ok("Health")}},
        },
        "components": {"schemas": {"error": {"type": "object", "required": ["error", "detail"],
            "properties": {"error": {"type": "string"}, "detail": {}}}}},
    });
    Ok(json_response(&doc, OPENAPI))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bbox_parsing() {
        assert_eq!(
            parse_bbox("-1.3,52.5,-1.1,52.7").unwrap(),
            [-1.3, 52.5, -1.1, 52.7]
        );
        assert_eq!(parse_bbox("0,1,5,2,3,6").unwrap(), [0.0, 1.0, 2.0, 3.0]);
        for bad in ["", "1,2,3", "a,b,c,d", "0,50,1,40", "0,0,1,95", "NaN,0,1,1"] {
            assert!(parse_bbox(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn antimeridian_bbox() {
        assert!(intersects(
            &[170.0, -10.0, -170.0, 10.0],
            &[175.0, 0.0, 175.0, 0.0]
        ));
        assert!(!intersects(
            &[170.0, -10.0, -170.0, 10.0],
            &[0.0, 0.0, 0.0, 0.0]
        ));
    }
}
