//! The call handler's questions: `/nearest`, `/coverage`, plus `/availability`, `/sites`
//! and `/health`.

use super::ogc::{GEOJSON, Params, check_format, json_response, known, param, params, typed};
use super::{ApiError, AppState};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

/// Default and largest search radius, metres.
pub const DEFAULT_RADIUS_M: f64 = 500.0;
pub const MAX_RADIUS_M: f64 = 50_000.0;

fn number(p: &[(String, String)], name: &str) -> Result<Option<f64>, ApiError> {
    param(p, name)
        .map(|v| match v.trim().parse::<f64>() {
            Ok(x) if x.is_finite() => Ok(x),
            _ => Err(ApiError::bad_param(name, format!("not a number ({v:?})"))),
        })
        .transpose()
}

fn lat_lon(p: &[(String, String)]) -> Result<(f64, f64), ApiError> {
    let lat = number(p, "lat")?.ok_or_else(|| ApiError::bad_param("lat", "required"))?;
    let lon = number(p, "lon")?.ok_or_else(|| ApiError::bad_param("lon", "required"))?;
    if !(-90.0..=90.0).contains(&lat) {
        return Err(ApiError::bad_param(
            "lat",
            format!("outside -90..90 ({lat})"),
        ));
    }
    if !(-180.0..=180.0).contains(&lon) {
        return Err(ApiError::bad_param(
            "lon",
            format!("outside -180..180 ({lon})"),
        ));
    }
    Ok((lat, lon))
}

fn radius(p: &[(String, String)]) -> Result<f64, ApiError> {
    let r = number(p, "radius_m")?.unwrap_or(DEFAULT_RADIUS_M);
    if !(r > 0.0 && r <= MAX_RADIUS_M) {
        return Err(ApiError::bad_param(
            "radius_m",
            format!("must be above 0 and at most {MAX_RADIUS_M} ({r})"),
        ));
    }
    Ok(r)
}

/// Said in an answer for a point the run's metric CRS cannot hold: no distance to it can
/// be measured, so no AED is reported within reach (rather than refusing a valid point).
fn outside_note(a: &super::Analysis) -> String {
    format!(
        "this point is outside the area of {}, the CRS this server measures distances in; \
         no AED can be reported near it",
        a.projection.crs()
    )
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// Refuses an unauthenticated caller when collection `id` is not for publication.
fn guard(s: &AppState, headers: &HeaderMap, a: &super::Analysis, id: &str) -> Result<(), ApiError> {
    match a.collection(id) {
        Some(c) => super::edit::authorize_restricted(s, headers, c),
        None => Ok(()),
    }
}

pub async fn nearest(
    State(s): State<AppState>,
    headers: HeaderMap,
    q: Params,
) -> Result<Response, ApiError> {
    let p = params(q)?;
    known(&p, &["lat", "lon", "radius_m", "at", "f"])?;
    check_format(&p)?;
    let (lat, lon) = lat_lon(&p)?;
    let radius_m = radius(&p)?;
    let at = at_param(&p)?;
    let a = s.analysis();
    guard(&s, &headers, &a, "aeds")?;
    let hits = a.within(lon, lat, radius_m);
    let measurable = hits.is_some();
    let today = at.date_naive();
    let aeds: Vec<Value> = hits
        .into_iter()
        .flatten()
        .filter(|(u, _)| u.in_date(today))
        .map(|(u, d)| {
            json!({
                "id": u.id, "name": u.name, "address": u.address, "postcode": u.postcode,
                "lon": u.lon, "lat": u.lat, "distance_m": round1(d),
                "access": u.access.as_str(), "status": u.status.as_str(),
                "opening_hours": u.opening_hours,
                "open": u.open_at(at),
            })
        })
        .collect();
    let mut v = json!({
        "lat": lat, "lon": lon, "radius_m": radius_m,
        "at": at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "measurable": measurable,
        "distance": a.distance_kind(),
        "count": aeds.len(),
        "aeds": aeds,
    });
    if !measurable {
        v["note"] = json!(outside_note(&a));
    }
    Ok(json_response(&v, "application/json"))
}

pub async fn coverage(
    State(s): State<AppState>,
    headers: HeaderMap,
    q: Params,
) -> Result<Response, ApiError> {
    let p = params(q)?;
    known(&p, &["lat", "lon", "radius_m", "f"])?;
    check_format(&p)?;
    let (lat, lon) = lat_lon(&p)?;
    let radius_m = radius(&p)?;
    let a = s.analysis();
    for id in ["aeds", "areas", "coverage", "gaps"] {
        guard(&s, &headers, &a, id)?;
    }
    let today = Utc::now().date_naive();
    let within = a.within(lon, lat, radius_m);
    let measurable = within.is_some();
    let within: Vec<_> = within
        .into_iter()
        .flatten()
        .filter(|(u, _)| u.in_date(today))
        .collect();
    let nearest = a
        .nearest(lon, lat)
        .map(|(u, d)| json!({"id": u.id, "name": u.name, "distance_m": round1(d)}));
    let containing = |id: &str| -> Vec<Value> {
        a.collection(id)
            .map(|c| {
                c.containing(lon, lat)
                    .into_iter()
                    .map(|i| {
                        let f = c.feature_value(i);
                        json!({"id": f["id"], "properties": f["properties"]})
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut v = json!({
            "lat": lat, "lon": lon, "radius_m": radius_m,
            "measurable": measurable,
            "covered": !within.is_empty(),
            "usable_within_radius": within.len(),
            "nearest_usable": nearest,
            "areas": containing("areas"),
            "coverage": containing("coverage"),
            "gaps": containing("gaps"),
    });
    if !measurable {
        v["note"] = json!(outside_note(&a));
    }
    Ok(json_response(&v, "application/json"))
}

pub async fn sites(
    State(s): State<AppState>,
    headers: HeaderMap,
    q: Params,
) -> Result<Response, ApiError> {
    let p = params(q)?;
    known(&p, &["k", "f"])?;
    check_format(&p)?;
    let k = match param(&p, "k") {
        None => 10,
        Some(v) => match v.trim().parse::<usize>() {
            Ok(k) if (1..=1000).contains(&k) => k,
            _ => return Err(ApiError::bad_param("k", format!("must be 1..1000 ({v:?})"))),
        },
    };
    let a = s.analysis();
    guard(&s, &headers, &a, "sites")?;
    let mut body = String::from("{\"type\":\"FeatureCollection\",\"features\":[");
    let mut n = 0;
    if let Some(c) = a.collection("sites") {
        for text in c.json.iter().take(k) {
            if n > 0 {
                body.push(',');
            }
            body.push_str(text);
            n += 1;
        }
    }
    body.push_str(&format!("],\"numberReturned\":{n}}}"));
    Ok(typed(body, GEOJSON))
}

pub async fn health(State(s): State<AppState>, q: Params) -> Result<Response, ApiError> {
    known(&params(q)?, &[])?;
    let a = s.analysis();
    let counts: serde_json::Map<String, Value> = a
        .collections
        .iter()
        .map(|c| (c.id.clone(), json!(c.features.len())))
        .collect();
    Ok(json_response(
        &json!({
            "status": "ok",
            "version": env!("CARGO_PKG_VERSION"),
            "aeds": a.aed_count,
            "usable_aeds": a.usable_aeds.len(),
            "aeds_without_location": a.aeds_without_location,
            "collections": counts,
            "analysis_built_at": a.built_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "analysis_pending": s.analysis_pending(),
            "edits_enabled": s.edits_enabled(),
            "warnings": a.warnings.len(),
        }),
        "application/json",
    ))
}

/// Whether each published AED is open at `at` (default now): `true` for a 24/7 cabinet,
/// its evaluated `opening_hours` (UK civil time) otherwise, `null` when nothing says. Only
/// public fields feed it; the map's "available now" toggle reads it.
pub async fn availability(
    State(s): State<AppState>,
    headers: HeaderMap,
    q: Params,
) -> Result<Response, ApiError> {
    let p = params(q)?;
    known(&p, &["at", "f"])?;
    check_format(&p)?;
    let at = at_param(&p)?;
    let a = s.analysis();
    guard(&s, &headers, &a, "aeds")?;
    let local = super::uk_civil_time(at);
    let mut open = serde_json::Map::new();
    for f in a
        .collection("aeds")
        .map(|c| c.features.as_slice())
        .unwrap_or(&[])
    {
        let prop = |k: &str| {
            f.properties
                .iter()
                .find(|(n, _)| n == k)
                .and_then(|(_, v)| match v {
                    crate::export::Value::Str(s) => Some(s.as_str()),
                    _ => None,
                })
        };
        let state = if prop("access") == Some("public_24_7") {
            Some(true)
        } else {
            prop("opening_hours")
                .and_then(|oh| oh.parse::<opening_hours::OpeningHours>().ok())
                .map(|oh| oh.is_open(local))
        };
        open.insert(f.id.to_string(), json!(state));
    }
    Ok(json_response(
        &json!({"at": at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true), "open": open}),
        "application/json",
    ))
}

fn at_param(p: &[(String, String)]) -> Result<DateTime<Utc>, ApiError> {
    match param(p, "at") {
        None => Ok(Utc::now()),
        Some(v) => DateTime::parse_from_rfc3339(v.trim())
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| ApiError::bad_param("at", format!("not an RFC 3339 time ({v:?}): {e}"))),
    }
}
