//! Protected routes: registry edits, guardian contacts, the attention list.
//!
//! A bearer token (env `AEDCOVER_TOKEN` or a token file) guards them. With no token
//! configured, edits are disabled (403); a missing or wrong token is a 401. An optional
//! `X-Editor` header names the person in the audit log.

use super::ogc::{Params, json_response, param, params};
use super::{ApiError, AppState};
use crate::registry::{Aed, Guardian, Status};
use crate::store::{AedRecord, Check, FieldError, GuardianRecord, parse_date, validate_id};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{NaiveDate, Utc};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// Checks the bearer token; returns who to record in the audit log.
fn authorize(s: &AppState, headers: &HeaderMap) -> Result<String, ApiError> {
    let Some(token) = s.token() else {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "edits_disabled",
            "no edit token is configured on this server (set AEDCOVER_TOKEN or --token-file)",
        ));
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(bearer_credentials);
    let Some(given) = given else {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "an Authorization: Bearer token is required",
        ));
    };
    if !constant_time_eq(given.as_bytes(), token.as_bytes()) {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "the token is not valid",
        ));
    }
    let editor = headers
        .get("x-editor")
        .and_then(|h| h.to_str().ok())
        .map(str::trim)
        .filter(|e| !e.is_empty() && e.len() <= 100)
        .unwrap_or("token-holder");
    Ok(format!("bearer:{editor}"))
}

/// Items of a collection fed by a source not for publication go only to a caller holding
/// the edit token; anyone else gets a 401 saying why.
pub(super) fn authorize_restricted(
    s: &AppState,
    headers: &HeaderMap,
    c: &super::Collection,
) -> Result<(), ApiError> {
    let Some(why) = &c.restricted else {
        return Ok(());
    };
    let refuse = |problem: &str| {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "not_for_publication",
            json!({"collection": c.id, "reason": why, "problem": problem}),
        )
    };
    if s.token().is_none() {
        return Err(refuse(
            "no token is configured on this server, so nobody can read these items here",
        ));
    }
    match authorize(s, headers) {
        Ok(_) => Ok(()),
        Err(e) if e.status == StatusCode::UNAUTHORIZED => Err(refuse(
            "send the server's token as Authorization: Bearer <token>",
        )),
        Err(e) => Err(e),
    }
}

/// The credentials of an `Authorization: Bearer …` header; the scheme name is
/// case-insensitive (RFC 7235 §2.1).
fn bearer_credentials(h: &str) -> Option<&str> {
    let (scheme, rest) = h.trim_start().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Parses a JSON body; any error is a 400 naming the field when serde can.
fn body<T: DeserializeOwned>(b: Result<Bytes, BytesRejection>) -> Result<T, ApiError> {
    let b = b.map_err(|e| ApiError::new(e.status(), "bad_body", e.body_text()))?;
    serde_json::from_slice(&b).map_err(|e| {
        let msg = e.to_string();
        // serde names the field in "missing field `x`" / "unknown field `x`".
        let field = msg
            .split('`')
            .nth(1)
            .filter(|_| msg.contains("field"))
            .unwrap_or("body");
        ApiError::from(FieldError::new(field, msg.clone()))
    })
}

/// Runs a store edit of AED `id` off the async runtime; the served snapshot has the AED
/// updated when it returns ([`AppState::edit`]).
async fn edit<T: Send + 'static>(
    s: &AppState,
    id: &str,
    f: impl FnOnce(&crate::store::Store) -> Result<T, crate::store::StoreError> + Send + 'static,
) -> Result<T, ApiError> {
    let (s, id) = (s.clone(), id.to_string());
    tokio::task::spawn_blocking(move || s.edit(&id, f).map_err(ApiError::from))
        .await
        .map_err(ApiError::internal)?
}

/// The checks of an edited record beyond its fields (which [`AedRecord::to_aed`] makes by
/// the registry's one rule): status changes only through their routes, and a position the
/// run's metric CRS can measure.
fn check_edit(s: &AppState, before: Option<Status>, aed: &Aed) -> Result<(), ApiError> {
    crate::registry::validate::check_status_change(before, aed.status).map_err(FieldError::from)?;
    let Some(loc) = &aed.location else {
        return Ok(());
    };
    let a = s.analysis();
    if crate::pipeline::inputs::to_metric(&a.projection, &loc.coord).is_err() {
        let field = match loc.coord {
            crate::registry::Coord::Wgs84 { .. } => "lon",
            crate::registry::Coord::Bng { .. } => "easting_m",
        };
        return Err(FieldError::new(
            field,
            format!(
                "outside the area of the study's metric CRS {} ({:?})",
                a.projection.crs(),
                loc.coord
            ),
        )
        .into());
    }
    Ok(())
}

fn aed_json(a: &Aed) -> Value {
    serde_json::to_value(AedRecord::from(a)).unwrap_or(Value::Null)
}

pub async fn add_aed(
    State(s): State<AppState>,
    headers: HeaderMap,
    b: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let who = authorize(&s, &headers)?;
    let rec: AedRecord = body(b)?;
    let aed = rec.to_aed()?;
    check_edit(&s, None, &aed)?;
    let out = aed.clone();
    edit(&s, &out.id, move |st| st.add_aed(&who, &aed)).await?;
    Ok((
        StatusCode::CREATED,
        json_response(
            &json!({"ok": true, "aed": aed_json(&out)}),
            "application/json",
        ),
    )
        .into_response())
}

pub async fn update_aed(
    State(s): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    b: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let who = authorize(&s, &headers)?;
    let mut rec: AedRecord = body(b)?;
    if rec.id.is_empty() {
        rec.id = id.clone();
    } else if rec.id != id {
        return Err(
            FieldError::new("id", format!("{:?} differs from the URL ({id:?})", rec.id)).into(),
        );
    }
    let aed = rec.to_aed()?;
    let before = read(&s, move |st| st.aed(&id)).await?;
    check_edit(&s, Some(before.status), &aed)?;
    let out = aed.clone();
    edit(&s, &out.id, move |st| st.update_aed(&who, &aed)).await?;
    Ok(json_response(
        &json!({"ok": true, "aed": aed_json(&out)}),
        "application/json",
    ))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Retire {
    #[serde(default)]
    reason: Option<String>,
}

pub async fn retire_aed(
    State(s): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    b: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let who = authorize(&s, &headers)?;
    let empty = b
        .as_ref()
        .is_ok_and(|b| b.iter().all(u8::is_ascii_whitespace));
    let r: Retire = if empty { Retire::default() } else { body(b)? };
    if r.reason.as_ref().is_some_and(|x| x.len() > 1000) {
        return Err(FieldError::new("reason", "longer than 1000 bytes").into());
    }
    let after = edit(&s, &id.clone(), move |st| {
        st.retire_aed(&who, &id, r.reason.as_deref())
    })
    .await?;
    Ok(json_response(
        &json!({"ok": true, "aed": aed_json(&after)}),
        "application/json",
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SetGuardian {
    guardian_id: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    organisation: Option<String>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    phone: Option<String>,
}

pub async fn set_guardian(
    State(s): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    b: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let who = authorize(&s, &headers)?;
    let g: SetGuardian = body(b)?;
    validate_id("guardian_id", &g.guardian_id)?;
    // With a name the guardian is created or updated; without, it must exist already.
    let guardian: Option<Guardian> = match &g.name {
        None => {
            if g.organisation.is_some() || g.email.is_some() || g.phone.is_some() {
                return Err(FieldError::new("name", "required when giving contact details").into());
            }
            None
        }
        Some(name) => Some(
            GuardianRecord {
                id: g.guardian_id.clone(),
                name: name.clone(),
                organisation: g.organisation.clone(),
                email: g.email.clone(),
                phone: g.phone.clone(),
            }
            .to_guardian()?,
        ),
    };
    let gid = g.guardian_id.clone();
    edit(&s, &id.clone(), move |st| {
        st.set_guardian(&who, &id, &gid, guardian.as_ref())
    })
    .await?;
    Ok(json_response(
        &json!({"ok": true, "guardian_id": g.guardian_id}),
        "application/json",
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckBody {
    date: String,
    status: String,
    #[serde(default)]
    pads_expiry: Option<String>,
    #[serde(default)]
    battery_expiry: Option<String>,
    #[serde(default)]
    notes: Option<String>,
}

pub async fn record_check(
    State(s): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    b: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let who = authorize(&s, &headers)?;
    let c: CheckBody = body(b)?;
    let date = parse_date("date", &Some(c.date.clone()))?
        .ok_or_else(|| FieldError::new("date", "required"))?;
    let tomorrow = crate::registry::validate::latest_check_date(Utc::now().date_naive());
    if date > tomorrow {
        return Err(FieldError::new("date", format!("in the future ({date})")).into());
    }
    let status: Status = c
        .status
        .parse()
        .map_err(|e| FieldError::new("status", format!("{e} (got {:?})", c.status)))?;
    if status == Status::Retired {
        return Err(
            FieldError::new("status", "use POST /registry/aeds/{id}/retire to retire").into(),
        );
    }
    if c.notes.as_ref().is_some_and(|n| n.len() > 1000) {
        return Err(FieldError::new("notes", "longer than 1000 bytes").into());
    }
    let check = Check {
        date,
        pads_expiry: parse_date("pads_expiry", &c.pads_expiry)?,
        battery_expiry: parse_date("battery_expiry", &c.battery_expiry)?,
        status,
        notes: c.notes.filter(|n| !n.trim().is_empty()),
    };
    let after = edit(&s, &id.clone(), move |st| {
        st.record_check(&who, &id, &check)
    })
    .await?;
    Ok((
        StatusCode::CREATED,
        json_response(
            &json!({"ok": true, "aed": aed_json(&after)}),
            "application/json",
        ),
    )
        .into_response())
}

async fn read<T: Send + 'static>(
    s: &AppState,
    f: impl FnOnce(&crate::store::Store) -> Result<T, crate::store::StoreError> + Send + 'static,
) -> Result<T, ApiError> {
    let s = s.clone();
    tokio::task::spawn_blocking(move || f(s.store()).map_err(ApiError::from))
        .await
        .map_err(ApiError::internal)?
}

pub async fn guardians(
    State(s): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    authorize(&s, &headers)?;
    let (gs, aeds) = read(&s, |st| Ok((st.export_guardians()?, st.export_aeds()?))).await?;
    let list: Vec<Value> = gs
        .iter()
        .map(|g| {
            let ids: Vec<&str> = aeds
                .iter()
                .filter(|a| a.guardian_id.as_deref() == Some(g.id.as_str()))
                .map(|a| a.id.as_str())
                .collect();
            let mut v = serde_json::to_value(GuardianRecord::from(g)).unwrap_or(Value::Null);
            v["aeds"] = json!(ids);
            v
        })
        .collect();
    Ok(json_response(
        &json!({"count": list.len(), "guardians": list}),
        "application/json",
    ))
}

pub async fn audit(State(s): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    authorize(&s, &headers)?;
    let log = read(&s, |st| st.audit_log()).await?;
    Ok(json_response(
        &json!({"count": log.len(), "entries": log}),
        "application/json",
    ))
}

/// Why an AED needs a guardian's attention on `today`, within `days` of expiry.
pub fn attention_reasons(a: &Aed, today: NaiveDate, days: i64) -> Vec<String> {
    let mut r = Vec::new();
    if a.status == Status::Retired {
        return r;
    }
    match a.status {
        Status::NotReady => r.push("status not_ready".to_string()),
        Status::InUse => r.push("status in_use".to_string()),
        Status::Unknown => r.push("status unknown".to_string()),
        _ => {}
    }
    let soon = today + chrono::Duration::days(days);
    for (what, d) in [("pads", a.pads_expiry), ("battery", a.battery_expiry)] {
        match d {
            Some(d) if d < today => r.push(format!("{what} expired {d}")),
            Some(d) if d <= soon => r.push(format!("{what} expire {d}")),
            None => r.push(format!("{what} expiry unknown")),
            _ => {}
        }
    }
    match a.last_checked {
        None => r.push("never checked".to_string()),
        Some(d) if (today - d).num_days() > 30 => r.push(format!("last checked {d}")),
        _ => {}
    }
    if a.location.is_none() {
        r.push("no position".to_string());
    }
    r
}

pub async fn attention(
    State(s): State<AppState>,
    headers: HeaderMap,
    q: Params,
) -> Result<Response, ApiError> {
    authorize(&s, &headers)?;
    let p = params(q)?;
    super::ogc::known(&p, &["days"])?;
    let days = match param(&p, "days") {
        None => 30,
        Some(v) => match v.trim().parse::<i64>() {
            Ok(d) if (0..=3650).contains(&d) => d,
            _ => {
                return Err(ApiError::bad_param(
                    "days",
                    format!("must be 0..3650 ({v:?})"),
                ));
            }
        },
    };
    let today = Utc::now().date_naive();
    let (gs, aeds) = read(&s, |st| Ok((st.export_guardians()?, st.export_aeds()?))).await?;
    let items: Vec<Value> = aeds
        .iter()
        .filter_map(|a| {
            let reasons = attention_reasons(a, today, days);
            if reasons.is_empty() {
                return None;
            }
            let g = a
                .guardian_id
                .as_deref()
                .and_then(|id| gs.iter().find(|g| g.id == id))
                .map(|g| serde_json::to_value(GuardianRecord::from(g)).unwrap_or(Value::Null));
            Some(json!({
                "aed_id": a.id, "name": a.about.name, "address": a.about.address,
                "postcode": a.about.postcode,
                "status": a.status.as_str(), "reasons": reasons, "guardian": g,
            }))
        })
        .collect();
    Ok(json_response(
        &json!({"as_of": today.to_string(), "days": days, "count": items.len(), "items": items}),
        "application/json",
    ))
}
