//! The OpenAPI 3.0 document (`/api`): every route, public and protected (bearer scheme),
//! each parameter with the bounds the handlers enforce, every status a route answers with.
//! Self-contained: only local `$ref`s. Built from the served snapshot, so each produced
//! collection's items route lists that collection's queryables as parameters.

use super::filter::Kind;
use super::ogc::{DEFAULT_LIMIT, GEOJSON, OPENAPI, SCHEMA_JSON};
use super::query::{DEFAULT_RADIUS_M, MAX_RADIUS_M};
use super::{Analysis, crs};
use crate::registry::{AccessClass, LocationSource, ManagedBy, Status};
use serde_json::{Map, Value, json};

fn err(d: &str) -> Value {
    json!({"description": d, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/error"}}}})
}

fn ok(d: &str, types: &[&str], schema: &str) -> Value {
    let content: Map<String, Value> = types
        .iter()
        .map(|t| {
            let s = if t.starts_with("text/html") {
                json!({"type": "string"})
            } else {
                json!({"$ref": format!("#/components/schemas/{schema}")})
            };
            (t.to_string(), json!({"schema": s}))
        })
        .collect();
    json!({"description": d, "content": content})
}

/// Responses: `200` (or `code`) with `body`, then the listed error statuses.
fn responses(code: &str, body: Value, errors: &[&str]) -> Value {
    let mut m = Map::new();
    m.insert(code.into(), body);
    for e in errors {
        let d = match *e {
            "400" => "A bad parameter or body field, named in `detail`",
            "401" => "No or a wrong bearer token (or items not for publication)",
            "403" => "Edits are disabled: no token is configured on this server",
            "404" => "No such collection, feature or AED",
            "409" => "An AED with this id exists already",
            "413" => "The body is too large",
            _ => "Error",
        };
        m.insert(e.to_string(), err(d));
    }
    Value::Object(m)
}

fn q(name: &str, required: bool, description: &str, schema: Value) -> Value {
    json!({"name": name, "in": "query", "required": required, "description": description, "schema": schema})
}

fn f_param(html: bool) -> Value {
    let e: &[&str] = if html { &["json", "html"] } else { &["json"] };
    q(
        "f",
        false,
        "Encoding of the response",
        json!({"type": "string", "enum": e}),
    )
}

fn crs_param(name: &str, a: &Analysis, d: &str) -> Value {
    q(
        name,
        false,
        d,
        json!({"type": "string", "enum": crs::offered(&a.projection), "default": crs::CRS84}),
    )
}

fn lat_lon() -> [Value; 2] {
    [
        q(
            "lat",
            true,
            "Latitude, WGS84 degrees",
            json!({"type": "number", "minimum": -90, "maximum": 90}),
        ),
        q(
            "lon",
            true,
            "Longitude, WGS84 degrees",
            json!({"type": "number", "minimum": -180, "maximum": 180}),
        ),
    ]
}

fn radius_param() -> Value {
    q(
        "radius_m",
        false,
        "Search radius in metres",
        json!({"type": "number", "exclusiveMinimum": true,
        "minimum": 0, "maximum": MAX_RADIUS_M, "default": DEFAULT_RADIUS_M}),
    )
}

fn kind_schema(k: Kind) -> Value {
    match k {
        Kind::Integer => json!({"type": "integer", "minimum": i64::MIN, "maximum": i64::MAX}),
        Kind::Number => json!({"type": "number"}),
        Kind::Boolean => json!({"type": "boolean"}),
        Kind::String => json!({"type": "string"}),
    }
}

/// The parameters every items route takes.
fn item_params(a: &Analysis) -> Vec<Value> {
    vec![
        f_param(true),
        q(
            "bbox",
            false,
            "minx,miny,maxx,maxy (or 6 numbers with heights) in bbox-crs; in CRS84 lon -180..180, lat -90..90, south not above north",
            json!({"type": "string"}),
        ),
        crs_param("bbox-crs", a, "CRS of bbox"),
        crs_param(
            "crs",
            a,
            "CRS of the response's coordinates (EPSG:4326 is lat, lon)",
        ),
        q(
            "limit",
            false,
            &format!(
                "Features per page, at least 1; at most {} are served (a larger limit is served as {}, as OGC API – Features permits)",
                super::ogc::MAX_LIMIT,
                super::ogc::MAX_LIMIT
            ),
            json!({"type": "integer", "minimum": 1, "default": DEFAULT_LIMIT}),
        ),
        q(
            "offset",
            false,
            "Features to skip",
            json!({"type": "integer", "minimum": 0, "default": 0}),
        ),
    ]
}

/// `/collections/{id}/items` for one produced collection, with its queryables.
fn items_path(c: &super::Collection, a: &Analysis) -> Value {
    let mut params = item_params(a);
    for (name, kind) in &c.queryables {
        params.push(q(
            name,
            false,
            &format!("Keeps features whose {name} equals this"),
            kind_schema(*kind),
        ));
    }
    let mut errors = vec!["400"];
    if c.restricted.is_some() {
        errors.push("401");
    }
    json!({"get": {
        "summary": format!("{}: features", c.title), "operationId": format!("getFeatures_{}", c.id),
        "tags": ["OGC API – Features"], "parameters": params,
        "responses": responses("200", ok("Features", &[GEOJSON, "text/html"], "featureCollection"), &errors),
    }})
}

fn ogc_paths(a: &Analysis, paths: &mut Map<String, Value>) {
    let ids: Vec<&str> = a.collections.iter().map(|c| c.id.as_str()).collect();
    let cid = json!({"name": "collectionId", "in": "path", "required": true, "schema": {"type": "string", "enum": ids}});
    let get = |summary: &str, op: &str, params: Vec<Value>, res: Value| json!({"get": {"summary": summary, "operationId": op, "tags": ["OGC API – Features"], "parameters": params, "responses": res}});
    let page = |d: &str| ok(d, &["application/json", "text/html"], "document");
    paths.insert(
        "/".into(),
        get(
            "Landing page",
            "getLandingPage",
            vec![f_param(true)],
            responses("200", page("Landing page"), &["400"]),
        ),
    );
    paths.insert(
        "/conformance".into(),
        get(
            "Conformance classes",
            "getConformanceDeclaration",
            vec![f_param(true)],
            responses("200", page("Conformance"), &["400"]),
        ),
    );
    paths.insert("/api".into(), get("This document", "getApi", vec![f_param(false)],
        responses("200", json!({"description": "OpenAPI 3.0", "content": {OPENAPI: {"schema": {"type": "object"}}}}), &["400"])));
    paths.insert(
        "/collections".into(),
        get(
            "Collections",
            "getCollections",
            vec![f_param(true)],
            responses("200", page("Collections"), &["400"]),
        ),
    );
    paths.insert(
        "/collections/{collectionId}".into(),
        get(
            "One collection",
            "describeCollection",
            vec![cid.clone(), f_param(true)],
            responses("200", page("Collection"), &["400", "404"]),
        ),
    );
    paths.insert(
        "/collections/{collectionId}/queryables".into(),
        get(
            "Properties that filter items (Part 3)",
            "getQueryables",
            vec![cid.clone(), f_param(true)],
            responses(
                "200",
                ok(
                    "Queryables (JSON Schema)",
                    &[SCHEMA_JSON, "text/html"],
                    "document",
                ),
                &["400", "404"],
            ),
        ),
    );
    let mut generic = vec![cid.clone()];
    generic.extend(item_params(a));
    paths.insert("/collections/{collectionId}/items".into(), get(
        "Features of any collection (each collection's own path also lists its property filters)",
        "getFeatures", generic,
        responses("200", ok("Features", &[GEOJSON, "text/html"], "featureCollection"), &["400", "401", "404"])));
    for c in &a.collections {
        paths.insert(format!("/collections/{}/items", c.id), items_path(c, a));
    }
    let fid =
        json!({"name": "featureId", "in": "path", "required": true, "schema": {"type": "string"}});
    paths.insert(
        "/collections/{collectionId}/items/{featureId}".into(),
        get(
            "One feature",
            "getFeature",
            vec![
                cid,
                fid,
                f_param(true),
                crs_param("crs", a, "CRS of the response's coordinates"),
            ],
            responses(
                "200",
                ok("Feature", &[GEOJSON, "text/html"], "feature"),
                &["400", "401", "404"],
            ),
        ),
    );
}

fn query_paths(paths: &mut Map<String, Value>) {
    let [lat, lon] = lat_lon();
    let at = q(
        "at",
        false,
        "RFC 3339 time (default now)",
        json!({"type": "string", "format": "date-time"}),
    );
    let get = |summary: &str, op: &str, params: Vec<Value>, res: Value| json!({"get": {"summary": summary, "operationId": op, "tags": ["Call handler"], "parameters": params, "responses": res}});
    paths.insert("/nearest".into(), get(
        "Counted AEDs within radius_m of a point, nearest first, with status and whether open at `at`",
        "nearest", vec![lat.clone(), lon.clone(), radius_param(), at, f_param(false)],
        responses("200", ok("Nearest AEDs", &["application/json"], "document"), &["400", "401"])));
    paths.insert("/coverage".into(), get(
        "Whether a point is within radius_m of a counted AED, and the areas, coverage and gaps containing it",
        "coverage", vec![lat, lon, radius_param(), f_param(false)],
        responses("200", ok("Coverage at a point", &["application/json"], "document"), &["400", "401"])));
    paths.insert(
        "/sites".into(),
        get(
            "The top k suggested sites",
            "sites",
            vec![
                q(
                    "k",
                    false,
                    "How many",
                    json!({"type": "integer", "minimum": 1, "maximum": 1000, "default": 10}),
                ),
                f_param(false),
            ],
            responses(
                "200",
                ok("Sites", &[GEOJSON], "featureCollection"),
                &["400", "401"],
            ),
        ),
    );
    paths.insert(
        "/health".into(),
        get(
            "Liveness and counts",
            "health",
            vec![],
            responses("200", ok("Health", &["application/json"], "document"), &[]),
        ),
    );
    paths.insert(
        "/availability".into(),
        get(
            "Whether each published AED is open at `at` (true, false, or null when its hours are unknown)",
            "availability",
            vec![
                q("at", false, "RFC 3339 time (default now)", json!({"type": "string", "format": "date-time"})),
                f_param(false),
            ],
            responses("200", ok("Open or not, by AED id", &["application/json"], "document"), &["400", "401"]),
        ),
    );
    for (path, ty) in [
        ("/map/leaflet.js", "text/javascript; charset=utf-8"),
        ("/map/leaflet.css", "text/css; charset=utf-8"),
    ] {
        paths.insert(
            path.into(),
            get("Leaflet 1.9.4 (BSD-2-Clause), embedded for the map", &path.replace(['/', '.'], "_"), vec![],
                json!({"200": {"description": "The file", "content": {ty: {"schema": {"type": "string"}}}}})),
        );
    }
    paths.insert("/map".into(), get("The web map", "map", vec![],
        json!({"200": {"description": "HTML page", "content": {"text/html": {"schema": {"type": "string"}}}}})));
}

fn protected_paths(paths: &mut Map<String, Value>) {
    let id = json!({"name": "id", "in": "path", "required": true, "schema": {"$ref": "#/components/schemas/id"}});
    let op = |summary: &str,
              op: &str,
              params: Vec<Value>,
              body: Option<&str>,
              code: &str,
              errors: &[&str]| {
        let mut o = json!({"summary": summary, "operationId": op, "tags": ["Registry (token)"],
            "security": [{"bearer": []}], "parameters": params,
            "responses": responses(code, ok("Done", &["application/json"], "document"), errors)});
        if let Some(schema) = body {
            // Retiring takes an optional reason: an empty body is fine.
            o["requestBody"] = json!({"required": schema != "retire", "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{schema}")}}}});
        }
        o
    };
    let write = ["400", "401", "403", "404", "413"];
    paths.insert(
        "/registry/aeds".into(),
        json!({"post": op("Add an AED", "addAed", vec![], Some("aed"), "201",
        &["400", "401", "403", "409", "413"])}),
    );
    paths.insert("/registry/aeds/{id}".into(), json!({"put": op("Replace an AED's record", "updateAed", vec![id.clone()], Some("aed"), "200", &write)}));
    paths.insert("/registry/aeds/{id}/retire".into(), json!({"post": op("Retire an AED", "retireAed", vec![id.clone()], Some("retire"), "200", &write)}));
    paths.insert("/registry/aeds/{id}/guardian".into(), json!({"put": op("Set an AED's guardian", "setGuardian", vec![id.clone()], Some("guardian"), "200", &write)}));
    paths.insert("/registry/aeds/{id}/checks".into(), json!({"post": op("Record a check", "recordCheck", vec![id], Some("check"), "201", &write)}));
    let read = ["401", "403"];
    paths.insert("/registry/guardians".into(), json!({"get": op("Guardians and their AEDs (personal data)", "guardians", vec![], None, "200", &read)}));
    paths.insert(
        "/registry/audit".into(),
        json!({"get": op("The audit log", "audit", vec![], None, "200", &read)}),
    );
    paths.insert("/attention".into(), json!({"get": op("AEDs needing a guardian's attention, with contacts", "attention",
        vec![q("days", false, "Expiry horizon in days", json!({"type": "integer", "minimum": 0, "maximum": 3650, "default": 30}))],
        None, "200", &["400", "401", "403"])}));
}

fn schemas() -> Value {
    let names = |all: &[&'static str]| json!(all);
    let access: Vec<&str> = AccessClass::ALL.iter().map(|a| a.as_str()).collect();
    let status: Vec<&str> = Status::ALL.iter().map(|a| a.as_str()).collect();
    let managed: Vec<&str> = ManagedBy::ALL.iter().map(|a| a.as_str()).collect();
    let loc: Vec<&str> = LocationSource::ALL.iter().map(|a| a.as_str()).collect();
    let text = json!({"type": "string", "maxLength": 1000, "pattern": "^[^\\u0000-\\u0008\\u000B-\\u001F\\u007F]*$"});
    let opt_text = json!({"type": "string", "nullable": true, "maxLength": 1000, "pattern": "^[^\\u0000-\\u0008\\u000B-\\u001F\\u007F]*$"});
    // Empty means "not known"; the calendar check itself is the handler's (a 400 naming it).
    let date = json!({"type": "string", "nullable": true,
        "pattern": "^\\s*([+-]?[0-9]{4,}-[0-9]{1,2}-[0-9]{1,2})?\\s*$"});
    json!({
        "error": {"type": "object", "required": ["error", "detail"],
            "properties": {"error": {"type": "string"}, "detail": {}}},
        "document": {"type": "object"},
        "feature": {"type": "object", "required": ["type", "geometry", "properties"],
            "properties": {"type": {"type": "string", "enum": ["Feature"]}, "id": {}, "geometry": {"type": "object", "nullable": true}, "properties": {"type": "object", "nullable": true}}},
        "featureCollection": {"type": "object", "required": ["type", "features"],
            "properties": {"type": {"type": "string", "enum": ["FeatureCollection"]},
                "features": {"type": "array", "items": {"$ref": "#/components/schemas/feature"}},
                "numberMatched": {"type": "integer", "minimum": 0}, "numberReturned": {"type": "integer", "minimum": 0},
                "timeStamp": {"type": "string", "format": "date-time"}}},
        "id": {"type": "string", "pattern": "^(?!.*\\.\\.)[A-Za-z0-9._:-]{1,100}$"},
        "aed": {"type": "object", "additionalProperties": false, "required": ["name", "access", "status", "managed_by"],
            "description": "One AED. Position: lon+lat (WGS84) or easting_m+northing_m (EPSG:27700), or none. \
                opening_hours must be OSM opening_hours syntax and guardian_id an existing guardian; \
                the registry's rules for every row of aeds.csv apply (last_checked not after tomorrow, no \
                position at 0,0, a position the run's metric CRS can measure), and status retired only \
                through /retire: a value that breaks one is a 400 naming the field and the reason.",
            "properties": {
                "id": {"$ref": "#/components/schemas/id"},
                "name": {"type": "string", "minLength": 1, "maxLength": 1000, "pattern": "^[^\\u0000-\\u0008\\u000B-\\u001F\\u007F]*\\S[^\\u0000-\\u0008\\u000B-\\u001F\\u007F]*$"},
                "address": text, "postcode": text,
                "lon": {"type": "number", "minimum": -180, "maximum": 180},
                "lat": {"type": "number", "minimum": -90, "maximum": 90},
                "easting_m": {"type": "number", "minimum": 0, "maximum": 700_000},
                "northing_m": {"type": "number", "minimum": 0, "maximum": 1_300_000},
                "location_source": {"type": "string", "enum": loc},
                "access": {"type": "string", "enum": access},
                "opening_hours": opt_text,
                "indoor": {"type": "boolean", "nullable": true}, "locked": {"type": "boolean", "nullable": true},
                "managed_by": {"type": "string", "enum": managed},
                "circuit_id": opt_text, "model": opt_text, "serial": opt_text,
                "pads_expiry": date, "battery_expiry": date, "last_checked": date,
                "status": {"type": "string", "enum": status},
                "guardian_id": {"type": "string", "nullable": true, "pattern": "^(?!.*\\.\\.)[A-Za-z0-9._:-]{1,100}$"},
                "source": opt_text,
                "flags": {"type": "array", "items": text},
                "notes": opt_text,
            }},
        "retire": {"type": "object", "additionalProperties": false,
            "properties": {"reason": {"type": "string", "nullable": true, "maxLength": 1000}}},
        "guardian": {"type": "object", "additionalProperties": false, "required": ["guardian_id"],
            "description": "Without name the guardian must exist; with name it is created or updated.",
            "properties": {"guardian_id": {"$ref": "#/components/schemas/id"},
                "name": {"type": "string", "nullable": true, "minLength": 1, "maxLength": 1000, "pattern": "^[^\\u0000-\\u0008\\u000B-\\u001F\\u007F]*\\S[^\\u0000-\\u0008\\u000B-\\u001F\\u007F]*$"},
                "organisation": opt_text,
                "email": {"type": "string", "nullable": true, "maxLength": 1000}, "phone": opt_text}},
        "check": {"type": "object", "additionalProperties": false, "required": ["date", "status"],
            "description": "date must not be after tomorrow; status retired is refused (use /retire).",
            "properties": {"date": {"type": "string", "format": "date"},
                "status": {"type": "string", "enum": names(&["ready", "not_ready", "in_use", "unknown"])},
                "pads_expiry": date, "battery_expiry": date, "notes": {"type": "string", "nullable": true, "maxLength": 1000}}},
    })
}

/// The whole document, for the snapshot `a`, served at `base`.
pub fn document(a: &Analysis, base: &str) -> Value {
    let mut paths = Map::new();
    ogc_paths(a, &mut paths);
    query_paths(&mut paths);
    protected_paths(&mut paths);
    json!({
        "openapi": "3.0.3",
        "info": {"title": "aedcover", "version": env!("CARGO_PKG_VERSION"),
                 "description": "OGC API – Features (Parts 1–3) for defibrillator coverage, the call handler's \
                     questions, and the registry's protected edits. Guardian data only on protected routes.",
                 "license": {"name": "MIT OR Apache-2.0"}},
        "servers": [{"url": base}],
        "paths": paths,
        "components": {
            "schemas": schemas(),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                "description": "The server's edit token (AEDCOVER_TOKEN or --token-file)"}},
        },
    })
}

pub async fn openapi(
    axum::extract::State(s): axum::extract::State<super::AppState>,
    super::Base(base): super::Base,
    q: super::ogc::Params,
) -> Result<axum::response::Response, super::ApiError> {
    let p = super::ogc::params(q)?;
    super::ogc::known(&p, &["f"])?;
    super::ogc::check_format(&p)?;
    let doc = document(&s.analysis(), &base);
    Ok(super::ogc::json_response(&doc, OPENAPI))
}
