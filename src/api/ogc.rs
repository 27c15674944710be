//! OGC API – Features: Part 1 (core, GeoJSON, HTML, OpenAPI 3.0), Part 2 (CRS by
//! reference: CRS84, EPSG:4326, the run's metric CRS) and Part 3 (queryables and their
//! query parameters), in the shape QGIS and GDAL read.
//!
//! Every route names the query parameters it takes; any other is a 400 naming it.

use super::analysis::Collection;
use super::crs::{self as ocrs, CRS84, OutputCrs};
use super::filter::{Filter, ITEM_PARAMS, queryables_json};
use super::html;
use super::{Analysis, ApiError, AppState, Base};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde_json::{Value, json};
use std::fmt::Write as _;

pub const GEOJSON: &str = "application/geo+json";
pub const OPENAPI: &str = "application/vnd.oai.openapi+json;version=3.0";
pub const SCHEMA_JSON: &str = "application/schema+json";
pub const DEFAULT_LIMIT: usize = 100;
/// The largest page; a larger `limit` is served at this size (OGC API – Features permits
/// it, and says it must not be an error).
pub const MAX_LIMIT: usize = 10_000;
const QUERYABLES_REL: &str = "http://www.opengis.net/def/rel/ogc/1.0/queryables";

pub type Params = Result<Query<Vec<(String, String)>>, QueryRejection>;

/// Query parameters as pairs; a malformed query string is a 400.
pub fn params(q: Params) -> Result<Vec<(String, String)>, ApiError> {
    q.map(|Query(v)| v)
        .map_err(|e| ApiError::bad_param("query", e.body_text()))
}

pub fn param<'a>(p: &'a [(String, String)], name: &str) -> Option<&'a str> {
    p.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// Refuses a parameter the route does not take, or one given twice (400 naming it).
pub fn known(p: &[(String, String)], allowed: &[&str]) -> Result<(), ApiError> {
    for (i, (k, _)) in p.iter().enumerate() {
        if !allowed.contains(&k.as_str()) {
            let mut list = allowed.to_vec();
            list.sort_unstable();
            return Err(ApiError::bad_param(
                k,
                format!("unknown parameter; this route takes: {}", list.join(", ")),
            ));
        }
        if p[..i].iter().any(|(k0, _)| k0 == k) {
            return Err(ApiError::bad_param(k, "given more than once"));
        }
    }
    Ok(())
}

/// `f=json` (or geojson) is tolerated; any other format is a 400. For routes without HTML.
pub fn check_format(p: &[(String, String)]) -> Result<(), ApiError> {
    match param(p, "f") {
        None | Some("json") | Some("geojson") | Some("application/json") | Some(GEOJSON) => Ok(()),
        Some(other) => Err(ApiError::bad_param(
            "f",
            format!("unsupported format {other:?}; only json"),
        )),
    }
}

/// The encoding an OGC route answers in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Html,
}

/// `f=json|html` decides; without `f`, an `Accept` that puts `text/html` first gets HTML.
pub fn format(p: &[(String, String)], headers: &HeaderMap) -> Result<Format, ApiError> {
    match param(p, "f") {
        Some("json" | "geojson" | "application/json" | GEOJSON) => Ok(Format::Json),
        Some("html" | "text/html") => Ok(Format::Html),
        Some(other) => Err(ApiError::bad_param(
            "f",
            format!("unsupported format {other:?}; json or html"),
        )),
        None if html::wants_html(headers) => Ok(Format::Html),
        None => Ok(Format::Json),
    }
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

fn link(href: String, rel: &str, ty: &str, title: &str) -> Value {
    json!({"href": href, "rel": rel, "type": ty, "title": title})
}

fn collection_of<'a>(a: &'a Analysis, id: &str) -> Result<&'a Collection, ApiError> {
    a.collection(id)
        .ok_or_else(|| ApiError::not_found(format!("no collection {id:?}")))
}

pub async fn landing(Base(b): Base, headers: HeaderMap, q: Params) -> Result<Response, ApiError> {
    let p = params(q)?;
    known(&p, &["f"])?;
    let fmt = format(&p, &headers)?;
    let v = json!({
        "title": "aedcover",
        "description": "Public-access defibrillators, coverage of cardiac-arrest demand, gaps and suggested sites",
        "links": [
            link(format!("{b}/"), "self", "application/json", "This document"),
            link(format!("{b}/?f=html"), "alternate", "text/html", "This document as HTML"),
            link(format!("{b}/api"), "service-desc", OPENAPI, "The API definition (OpenAPI 3.0)"),
            link(format!("{b}/conformance"), "conformance", "application/json", "Conformance classes"),
            link(format!("{b}/collections"), "data", "application/json", "Collections"),
            link(format!("{b}/map"), "alternate", "text/html", "Web map"),
        ]
    });
    Ok(match fmt {
        Format::Json => json_response(&v, "application/json"),
        Format::Html => html::page(
            "aedcover",
            &format!(
                "<p>{}</p><p><a href=\"{b}/collections?f=html\">Collections</a> · \
                 <a href=\"{b}/conformance?f=html\">Conformance</a> · <a href=\"{b}/map\">Map</a></p>{}",
                html::text(&v["description"]),
                html::links(&v)
            ),
        ),
    })
}

/// The conformance classes. Filtering is by Part 3 query parameters (`name=value`); CQL2
/// (`filter=`) is not offered, so its classes are not listed.
pub const CONFORMANCE: [&str; 8] = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
    "http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/core",
];

pub async fn conformance(headers: HeaderMap, q: Params) -> Result<Response, ApiError> {
    let p = params(q)?;
    known(&p, &["f"])?;
    let v = json!({"conformsTo": CONFORMANCE});
    Ok(match format(&p, &headers)? {
        Format::Json => json_response(&v, "application/json"),
        Format::Html => {
            let items: String = CONFORMANCE
                .iter()
                .map(|c| format!("<li><code>{}</code></li>", html::esc(c)))
                .collect();
            html::page("Conformance", &format!("<ul>{items}</ul>"))
        }
    })
}

fn collection_json(c: &Collection, a: &Analysis, b: &str) -> Value {
    let id = &c.id;
    let mut v = json!({
        "id": id,
        "title": c.title,
        "description": c.description,
        "itemType": "feature",
        "crs": ocrs::offered(&a.projection),
        "storageCrs": CRS84,
        "links": [
            link(format!("{b}/collections/{id}"), "self", "application/json", &c.title),
            link(format!("{b}/collections/{id}?f=html"), "alternate", "text/html", &c.title),
            link(format!("{b}/collections/{id}/items"), "items", GEOJSON, &c.title),
            link(format!("{b}/collections/{id}/items?f=html"), "items", "text/html", &c.title),
            link(format!("{b}/collections/{id}/queryables"), QUERYABLES_REL, SCHEMA_JSON, "Queryables"),
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

fn collection_html(v: &Value) -> String {
    let mut s = format!("<p>{}</p>", html::text(&v["description"]));
    if v["not_for_publication"] == true {
        write!(
            s,
            "<p><strong>Not for publication:</strong> {}</p>",
            html::text(&v["access"]["reason"])
        )
        .ok();
    }
    let crs: Vec<String> = v["crs"]
        .as_array()
        .into_iter()
        .flatten()
        .map(html::text)
        .collect();
    write!(s, "<p>CRS: {}</p>", crs.join(", ")).ok();
    if let Some(a) = v["attribution"].as_array() {
        let lines: Vec<String> = a.iter().map(html::text).collect();
        write!(s, "<p>Sources: {}</p>", lines.join("; ")).ok();
    }
    s.push_str(&html::links(v));
    s
}

pub async fn collections(
    State(s): State<AppState>,
    Base(b): Base,
    headers: HeaderMap,
    q: Params,
) -> Result<Response, ApiError> {
    let p = params(q)?;
    known(&p, &["f"])?;
    let fmt = format(&p, &headers)?;
    let a = s.analysis();
    let cs: Vec<Value> = a
        .collections
        .iter()
        .map(|c| collection_json(c, &a, &b))
        .collect();
    if fmt == Format::Html {
        let mut body = String::from(
            "<table><tr><th>id</th><th>title</th><th>description</th><th>features</th></tr>",
        );
        for c in &a.collections {
            write!(
                body,
                "<tr><td><a href=\"{b}/collections/{id}?f=html\">{id}</a></td><td>{}</td><td>{}</td>\
                 <td><a href=\"{b}/collections/{id}/items?f=html\">{}</a></td></tr>",
                html::esc(&c.title),
                html::esc(&c.description),
                c.features.len(),
                id = html::esc(&c.id),
            )
            .ok();
        }
        body.push_str("</table>");
        return Ok(html::page("Collections", &body));
    }
    Ok(json_response(
        &json!({
            "links": [
                link(format!("{b}/collections"), "self", "application/json", "Collections"),
                link(format!("{b}/collections?f=html"), "alternate", "text/html", "Collections as HTML"),
            ],
            "crs": ocrs::offered(&a.projection),
            "collections": cs,
        }),
        "application/json",
    ))
}

pub async fn collection(
    State(s): State<AppState>,
    Base(b): Base,
    Path(id): Path<String>,
    headers: HeaderMap,
    q: Params,
) -> Result<Response, ApiError> {
    let a = s.analysis();
    let c = collection_of(&a, &id)?;
    let p = params(q)?;
    known(&p, &["f"])?;
    let v = collection_json(c, &a, &b);
    Ok(match format(&p, &headers)? {
        Format::Json => json_response(&v, "application/json"),
        Format::Html => html::page(&c.title, &collection_html(&v)),
    })
}

pub async fn queryables(
    State(s): State<AppState>,
    Base(b): Base,
    Path(id): Path<String>,
    headers: HeaderMap,
    q: Params,
) -> Result<Response, ApiError> {
    let a = s.analysis();
    let c = collection_of(&a, &id)?;
    let p = params(q)?;
    known(&p, &["f"])?;
    let v = queryables_json(&c.id, &c.title, &c.queryables, &b);
    Ok(match format(&p, &headers)? {
        Format::Json => json_response(&v, SCHEMA_JSON),
        Format::Html => {
            let mut body = String::from(
                "<p>Give any of these as <code>name=value</code> on the items route (exact match; several are ANDed).</p><table><tr><th>name</th><th>type</th></tr>",
            );
            for (name, kind) in &c.queryables {
                write!(
                    body,
                    "<tr><td>{}</td><td>{}</td></tr>",
                    html::esc(name),
                    kind.as_str()
                )
                .ok();
            }
            body.push_str("</table>");
            html::page(&format!("{}: queryables", c.title), &body)
        }
    })
}

/// The numbers of a `bbox`: 4, or 6 with heights (heights ignored), all finite.
fn bbox_numbers(s: &str) -> Result<[f64; 4], ApiError> {
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
    Ok(b)
}

/// A bbox `minx,miny,maxx,maxy` (or 6 numbers with heights) in CRS84.
pub fn parse_bbox(s: &str) -> Result<[f64; 4], ApiError> {
    let b = bbox_numbers(s)?;
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

/// A `bbox` query in any offered CRS: its WGS84 envelope, and for a metric bbox the
/// rectangle itself, so points are tested exactly where the caller drew it.
struct BboxQuery {
    lonlat: [f64; 4],
    metric: Option<[f64; 4]>,
}

fn parse_bbox_in(s: &str, crs: OutputCrs, a: &Analysis) -> Result<BboxQuery, ApiError> {
    match crs {
        OutputCrs::Crs84 => Ok(BboxQuery {
            lonlat: parse_bbox(s)?,
            metric: None,
        }),
        OutputCrs::LatLon => {
            let b = bbox_numbers(s)?;
            let lonlat =
                parse_bbox(&format!("{},{},{},{}", b[1], b[0], b[3], b[2])).map_err(|_| {
                    ApiError::bad_param(
                        "bbox",
                        format!("not lat,lon,lat,lon in range with south below north ({s:?})"),
                    )
                })?;
            Ok(BboxQuery {
                lonlat,
                metric: None,
            })
        }
        OutputCrs::Metric => {
            let b = bbox_numbers(s)?;
            if b[0] > b[2] || b[1] > b[3] {
                return Err(ApiError::bad_param(
                    "bbox",
                    format!("minimum above maximum ({s:?})"),
                ));
            }
            let lonlat = ocrs::bbox_to_lonlat(b, crs, &a.projection).ok_or_else(|| {
                ApiError::bad_param("bbox", format!("outside the area of the bbox-crs ({s:?})"))
            })?;
            Ok(BboxQuery {
                lonlat,
                metric: Some(b),
            })
        }
    }
}

impl BboxQuery {
    fn matches(&self, f: &[f64; 4], a: &Analysis) -> bool {
        if !intersects(&self.lonlat, f) {
            return false;
        }
        let is_point = f[0] == f[2] && f[1] == f[3];
        match self.metric {
            Some(m) if is_point => a
                .projection
                .to_metric(f[0], f[1])
                .is_ok_and(|(x, y)| x >= m[0] && x <= m[2] && y >= m[1] && y <= m[3]),
            _ => true,
        }
    }
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

/// A count parameter: digits only; a value too large for memory saturates (a `limit` is
/// capped at [`MAX_LIMIT`] anyway, an `offset` past the end gives an empty page).
fn parse_count(p: &[(String, String)], name: &str) -> Result<Option<usize>, ApiError> {
    param(p, name)
        .map(|v| {
            let t = v.trim();
            if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
                return Err(ApiError::bad_param(
                    name,
                    format!("not a non-negative integer ({v:?})"),
                ));
            }
            Ok(t.parse::<usize>().unwrap_or(usize::MAX))
        })
        .transpose()
}

fn output_crs(p: &[(String, String)], name: &str, a: &Analysis) -> Result<OutputCrs, ApiError> {
    param(p, name)
        .map(|v| ocrs::parse(name, v, &a.projection))
        .transpose()
        .map(|c| c.unwrap_or(OutputCrs::Crs84))
}

/// Feature `i` of `c` in `crs`, or a 400 when a position has no value there.
fn feature_text(
    c: &Collection,
    i: usize,
    crs: OutputCrs,
    a: &Analysis,
) -> Result<String, ApiError> {
    ocrs::reproject_feature(&c.json[i], crs, &a.projection).ok_or_else(|| {
        ApiError::bad_param(
            "crs",
            format!(
                "feature {} of {} lies outside the area of {}",
                c.features[i].id,
                c.id,
                crs.uri(&a.projection)
            ),
        )
    })
}

fn with_content_crs(mut res: Response, crs: OutputCrs, a: &Analysis) -> Response {
    if let Ok(v) = HeaderValue::from_str(&format!("<{}>", crs.uri(&a.projection))) {
        res.headers_mut()
            .insert(HeaderName::from_static("content-crs"), v);
    }
    res
}

/// The query string a page link keeps: every parameter but paging and format.
fn kept_query(p: &[(String, String)]) -> String {
    p.iter()
        .filter(|(k, _)| !matches!(k.as_str(), "limit" | "offset" | "f"))
        .map(|(k, v)| format!("&{}={}", encode(k), encode(v)))
        .collect()
}

pub async fn items(
    State(s): State<AppState>,
    Base(b): Base,
    Path(id): Path<String>,
    headers: HeaderMap,
    q: Params,
) -> Result<Response, ApiError> {
    let a = s.analysis();
    let c = collection_of(&a, &id)?;
    let p = params(q)?;
    let allowed: Vec<&str> = ITEM_PARAMS
        .iter()
        .copied()
        .chain(c.queryables.iter().map(|(n, _)| n.as_str()))
        .collect();
    known(&p, &allowed)?;
    let fmt = format(&p, &headers)?;
    super::edit::authorize_restricted(&s, &headers, c)?;
    let limit = match parse_count(&p, "limit")? {
        None => DEFAULT_LIMIT,
        Some(0) => return Err(ApiError::bad_param("limit", "must be at least 1")),
        Some(n) => n.min(MAX_LIMIT),
    };
    let offset = parse_count(&p, "offset")?.unwrap_or(0);
    let crs = output_crs(&p, "crs", &a)?;
    let bbox_crs = output_crs(&p, "bbox-crs", &a)?;
    let bbox = param(&p, "bbox")
        .map(|v| parse_bbox_in(v, bbox_crs, &a))
        .transpose()?;
    let filters = c
        .queryables
        .iter()
        .filter_map(|(n, k)| param(&p, n).map(|v| Filter::parse(n, *k, v)))
        .collect::<Result<Vec<_>, _>>()?;
    let matched: Vec<usize> = (0..c.features.len())
        .filter(|&i| {
            bbox.as_ref()
                .is_none_or(|q| c.bboxes[i].as_ref().is_some_and(|f| q.matches(f, &a)))
        })
        .filter(|&i| filters.iter().all(|f| f.matches(&c.features[i])))
        .collect();
    let page: &[usize] = matched.get(offset..).unwrap_or(&[]);
    let page = &page[..page.len().min(limit)];
    let texts = page
        .iter()
        .map(|&i| feature_text(c, i, crs, &a))
        .collect::<Result<Vec<_>, _>>()?;

    let keep = kept_query(&p);
    let here = |off: usize, f: &str| {
        format!("{b}/collections/{id}/items?limit={limit}&offset={off}{keep}{f}")
    };
    let mut links = vec![
        link(here(offset, ""), "self", GEOJSON, "This page"),
        link(
            here(offset, "&f=html"),
            "alternate",
            "text/html",
            "This page as HTML",
        ),
        link(
            format!("{b}/collections/{id}"),
            "collection",
            "application/json",
            &c.title,
        ),
    ];
    let next = (offset.saturating_add(page.len()) < matched.len()).then(|| offset + page.len());
    if let Some(n) = next {
        links.push(link(here(n, ""), "next", GEOJSON, "Next page"));
    }
    if offset > 0 {
        links.push(link(
            here(offset.saturating_sub(limit), ""),
            "prev",
            GEOJSON,
            "Previous page",
        ));
    }
    let time_stamp = Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    if fmt == Format::Html {
        let features: Vec<Value> = texts
            .iter()
            .filter_map(|t| serde_json::from_str(t).ok())
            .collect();
        let mut body = format!(
            "<p>{} of {} matching features (from {}). <a href=\"{}\">GeoJSON</a></p>",
            page.len(),
            matched.len(),
            offset,
            html::esc(&here(offset, "")),
        );
        body.push_str(&html::features_table(&features, |fid| {
            format!("{b}/collections/{id}/items/{}?f=html", encode(fid))
        }));
        if offset > 0 {
            write!(
                body,
                "<p><a href=\"{}\">previous page</a></p>",
                html::esc(&here(offset.saturating_sub(limit), "&f=html"))
            )
            .ok();
        }
        if let Some(n) = next {
            write!(
                body,
                "<p><a href=\"{}\">next page</a></p>",
                html::esc(&here(n, "&f=html"))
            )
            .ok();
        }
        return Ok(html::page(&format!("{}: features", c.title), &body));
    }
    let mut body = String::with_capacity(64 + texts.iter().map(|t| t.len() + 1).sum::<usize>());
    body.push_str("{\"type\":\"FeatureCollection\",\"features\":[");
    body.push_str(&texts.join(","));
    write!(
        body,
        "],\"numberMatched\":{},\"numberReturned\":{},\"timeStamp\":{},\"links\":{}}}",
        matched.len(),
        page.len(),
        Value::String(time_stamp),
        Value::Array(links)
    )
    .ok();
    Ok(with_content_crs(typed(body, GEOJSON), crs, &a))
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
    Base(b): Base,
    Path((id, feature_id)): Path<(String, String)>,
    headers: HeaderMap,
    q: Params,
) -> Result<Response, ApiError> {
    let a = s.analysis();
    let c = collection_of(&a, &id)?;
    let p = params(q)?;
    known(&p, &["crs", "f"])?;
    let fmt = format(&p, &headers)?;
    super::edit::authorize_restricted(&s, &headers, c)?;
    let i = c
        .get(&feature_id)
        .ok_or_else(|| ApiError::not_found(format!("no feature {feature_id:?} in {id}")))?;
    let crs = output_crs(&p, "crs", &a)?;
    let text = feature_text(c, i, crs, &a)?;
    let fid = encode(&feature_id);
    if fmt == Format::Html {
        let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        let body = format!(
            "<p>In <a href=\"{b}/collections/{id}/items?f=html\">{}</a>. \
             <a href=\"{b}/collections/{id}/items/{fid}\">GeoJSON</a></p>{}<p>Geometry: <code>{}</code></p>",
            html::esc(&c.title),
            html::table(&v["properties"]),
            html::esc(&v["geometry"].to_string()),
        );
        return Ok(html::page(&format!("{} {}", c.title, feature_id), &body));
    }
    let links = json!([
        link(
            format!("{b}/collections/{id}/items/{fid}"),
            "self",
            GEOJSON,
            "This feature"
        ),
        link(
            format!("{b}/collections/{id}/items/{fid}?f=html"),
            "alternate",
            "text/html",
            "This feature as HTML"
        ),
        link(
            format!("{b}/collections/{id}"),
            "collection",
            "application/json",
            &c.title
        ),
    ]);
    let body = format!("{},\"links\":{links}}}", &text[..text.len() - 1]);
    Ok(with_content_crs(typed(body, GEOJSON), crs, &a))
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

    #[test]
    fn unknown_and_repeated_parameters_are_named() {
        let p = |v: &[(&str, &str)]| -> Vec<(String, String)> {
            v.iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect()
        };
        let e = known(&p(&[("ooga", "booga")]), &["f"]).unwrap_err();
        assert_eq!(e.detail["parameter"], "ooga");
        let e = known(&p(&[("f", "json"), ("f", "html")]), &["f"]).unwrap_err();
        assert_eq!(e.detail["parameter"], "f");
        assert!(known(&p(&[("f", "json")]), &["f"]).is_ok());
    }
}
