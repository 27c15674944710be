//! The HTTP service (`aedcover serve`): OGC API – Features Parts 1–3 (core, GeoJSON, HTML,
//! OpenAPI 3.0; CRS by reference; queryables as query parameters) for QGIS and GDAL,
//! the call handler's `/nearest`, `/coverage`, `/sites`, `/health`, a self-contained `/map`,
//! and bearer-token-protected registry edits on the durable [`crate::store::Store`].
//!
//! Public routes read one immutable [`Analysis`] snapshot, swapped in whole, so a reader
//! never sees a half-updated state. After an edit commits, the edited AED's feature and the
//! counted-AED index are updated in a new snapshot at once (the cost of one record, not of
//! the registry); what derives from the whole registry (with a study: the pipeline's
//! assessment, areas and gaps, siting) is re-run off the write path by a background worker,
//! one run per burst of edits, and swapped in when done (`/health` says
//! `analysis_pending` meanwhile). Guardian
//! contact data appears only on protected routes; a collection fed by a source not for
//! publication serves its items only to a caller holding the edit token.

mod analysis;
pub mod cache;
mod conn;
mod crs;
mod edit;
mod error;
mod filter;
mod html;
mod map;
mod ogc;
mod openapi;
mod query;
pub mod serve;

pub use analysis::{
    Analysis, AnalysisBuilder, BuildError, COLLECTION_IDS, CachedStudyBuilder, Collection,
    LayerError, MetricProjection, RegistryBuilder, StudyBuilder, UsableAed, aed_feature,
    aed_lonlat, analysis_of_run, default_rule, read_geojson_layer, uk_civil_time,
};
pub use error::ApiError;

use crate::registry::Aed;
use crate::store::{Store, StoreError};
use crate::sync::lock;
use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use std::sync::{Arc, Condvar, Mutex, RwLock};
use std::time::Duration;

/// Why the server state could not be built or rebuilt.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Build(#[from] BuildError),
    #[error("starting the re-analysis worker: {0}")]
    Worker(std::io::Error),
}

/// Shared server state: the store, the current analysis snapshot, and the edit token.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<Store>,
    builder: Arc<dyn AnalysisBuilder>,
    analysis: RwLock<Arc<Analysis>>,
    /// Serialises edits (store write + snapshot update) and a re-analysis's read of the
    /// store; counts the edits applied.
    edits: Mutex<u64>,
    /// Whether edits wait for a re-analysis, and whether one is running.
    pending: Mutex<Pending>,
    /// Wakes the worker on an edit, and waiters when a re-analysis ends.
    wake: Condvar,
    token: Option<String>,
    /// The public root every link starts from, e.g. `https://aed.example.org` (no `/` at
    /// the end); never taken from a request's `Host` header.
    base_url: RwLock<String>,
}

#[derive(Default)]
struct Pending {
    dirty: bool,
    running: bool,
}

/// How long the worker waits after an edit before re-analysing, so a burst of edits costs
/// one run.
const DEBOUNCE: Duration = Duration::from_millis(100);

/// The base URL a server without `--base-url` links from: its listen address.
pub const DEFAULT_BASE_URL: &str = "http://127.0.0.1:8080";

/// Checks a public base URL (`http://` or `https://`, a host, an optional path; no query
/// or fragment) and returns it without a trailing `/`.
pub fn parse_base_url(url: &str) -> Result<String, String> {
    let u = url.trim().trim_end_matches('/');
    let rest = u
        .strip_prefix("http://")
        .or_else(|| u.strip_prefix("https://"))
        .ok_or_else(|| format!("must start with http:// or https:// ({url:?})"))?;
    let host = rest.split('/').next().unwrap_or("");
    if host.is_empty() {
        return Err(format!("no host ({url:?})"));
    }
    if let Some(c) = rest
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "-._~:/[]%".contains(*c)))
    {
        return Err(format!("character {c:?} not allowed ({url:?})"));
    }
    Ok(u.to_string())
}

/// The configured public base URL, for handlers that build links.
pub struct Base(pub String);

impl axum::extract::FromRequestParts<AppState> for Base {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        _parts: &mut axum::http::request::Parts,
        s: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(Base(s.base_url()))
    }
}

impl AppState {
    /// Builds the first analysis from the store. `token: None` disables edits.
    pub fn new(
        store: Arc<Store>,
        builder: Arc<dyn AnalysisBuilder>,
        token: Option<String>,
    ) -> Result<AppState, StateError> {
        let analysis = Arc::new(builder.build(store.export_aeds()?, store.export_guardians()?)?);
        let state = AppState {
            inner: Arc::new(Inner {
                store,
                builder,
                analysis: RwLock::new(analysis),
                edits: Mutex::new(0),
                pending: Mutex::new(Pending::default()),
                wake: Condvar::new(),
                token: token.filter(|t| !t.trim().is_empty()),
                base_url: RwLock::new(DEFAULT_BASE_URL.to_string()),
            }),
        };
        let worker = state.inner.clone();
        std::thread::Builder::new()
            .name("aedcover-analysis".into())
            .spawn(move || reanalyse_when_edited(worker))
            .map_err(StateError::Worker)?;
        Ok(state)
    }

    /// Links start from `base_url` (see [`parse_base_url`]) instead of
    /// [`DEFAULT_BASE_URL`].
    pub fn with_base_url(self, base_url: &str) -> Result<AppState, String> {
        let url = parse_base_url(base_url)?;
        *self
            .inner
            .base_url
            .write()
            .unwrap_or_else(|p| p.into_inner()) = url;
        Ok(self)
    }

    /// The public base URL links start from.
    pub fn base_url(&self) -> String {
        self.inner
            .base_url
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The current snapshot.
    pub fn analysis(&self) -> Arc<Analysis> {
        self.inner
            .analysis
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub fn store(&self) -> &Arc<Store> {
        &self.inner.store
    }

    pub fn edits_enabled(&self) -> bool {
        self.inner.token.is_some()
    }

    /// Re-analyses the whole registry as the store holds it and swaps the result in (with
    /// the registry part of any edit made meanwhile). On error the previous snapshot stays
    /// served.
    pub fn rebuild(&self) -> Result<(), StateError> {
        self.inner.rebuild()
    }

    /// Runs a store edit of AED `id`, then serves a snapshot with that AED updated and
    /// asks for a re-analysis. An error from `f` is the edit's; once it has committed, a
    /// failure to update the snapshot is logged (the re-analysis retries) and not returned.
    pub fn edit<T>(
        &self,
        id: &str,
        f: impl FnOnce(&Store) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let inner = &self.inner;
        let mut applied = lock(&inner.edits);
        let before = match inner.store.aed(id) {
            Ok(a) => Some(a),
            Err(StoreError::AedNotFound(_)) => None,
            Err(e) => return Err(e),
        };
        let out = f(&inner.store)?;
        match self.edited_snapshot(id, before.as_ref()) {
            Ok(next) => *inner.analysis.write().unwrap_or_else(|p| p.into_inner()) = next,
            Err(e) => eprintln!("aedcover serve: edit of {id} committed, not yet served: {e}"),
        }
        *applied += 1;
        drop(applied);
        lock(&inner.pending).dirty = true;
        inner.wake.notify_all();
        Ok(out)
    }

    fn edited_snapshot(&self, id: &str, before: Option<&Aed>) -> Result<Arc<Analysis>, StoreError> {
        let after = self.inner.store.aed(id)?;
        let has_guardian = match &after.guardian_id {
            Some(g) => self.inner.store.has_guardian(g)?,
            None => false,
        };
        Ok(Arc::new(self.analysis().with_aed(
            before,
            &after,
            has_guardian,
        )))
    }

    /// Whether edits are waiting for (or in) a re-analysis.
    pub fn analysis_pending(&self) -> bool {
        let p = lock(&self.inner.pending);
        p.dirty || p.running
    }

    /// Blocks until every edit so far is in the served analysis (tests; a client polls
    /// `/health` for `analysis_pending: false`).
    pub fn wait_for_analysis(&self) {
        let mut p = lock(&self.inner.pending);
        while p.dirty || p.running {
            p = self
                .inner
                .wake
                .wait_timeout(p, Duration::from_millis(200))
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    fn token(&self) -> Option<&str> {
        self.inner.token.as_deref()
    }
}

impl Inner {
    fn rebuild(&self) -> Result<(), StateError> {
        let (seen, aeds, guardians) = {
            let applied = lock(&self.edits);
            lock(&self.pending).dirty = false;
            (
                *applied,
                self.store.export_aeds()?,
                self.store.export_guardians()?,
            )
        };
        let fresh = self.builder.build(aeds, guardians)?;
        let applied = lock(&self.edits);
        let mut served = self.analysis.write().unwrap_or_else(|p| p.into_inner());
        *served = Arc::new(match *applied == seen {
            true => fresh,
            false => fresh.with_registry_of(&served),
        });
        Ok(())
    }
}

/// The worker: after each burst of edits, one re-analysis. Ends when the state is dropped
/// (only the worker still holds it).
fn reanalyse_when_edited(inner: Arc<Inner>) {
    loop {
        let mut p = lock(&inner.pending);
        while !p.dirty {
            if Arc::strong_count(&inner) == 1 {
                return;
            }
            p = inner
                .wake
                .wait_timeout(p, Duration::from_millis(500))
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        p.running = true;
        drop(p);
        std::thread::sleep(DEBOUNCE);
        if let Err(e) = inner.rebuild() {
            eprintln!(
                "aedcover serve: re-analysis after edits failed (the previous one is served): {e}"
            );
        }
        lock(&inner.pending).running = false;
        inner.wake.notify_all();
    }
}

/// The whole service as a router, so tests can call it without a socket.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(ogc::landing))
        .route("/conformance", get(ogc::conformance))
        .route("/api", get(openapi::openapi))
        .route("/collections", get(ogc::collections))
        .route("/collections/{collection_id}", get(ogc::collection))
        .route(
            "/collections/{collection_id}/queryables",
            get(ogc::queryables),
        )
        .route("/collections/{collection_id}/items", get(ogc::items))
        .route(
            "/collections/{collection_id}/items/{feature_id}",
            get(ogc::item),
        )
        .route("/nearest", get(query::nearest))
        .route("/coverage", get(query::coverage))
        .route("/sites", get(query::sites))
        .route("/health", get(query::health))
        .route("/map", get(map::page))
        .route("/map/leaflet.js", get(map::leaflet_js))
        .route("/map/leaflet.css", get(map::leaflet_css))
        .route("/availability", get(query::availability))
        .route("/registry/aeds", post(edit::add_aed))
        .route("/registry/aeds/{id}", put(edit::update_aed))
        .route("/registry/aeds/{id}/retire", post(edit::retire_aed))
        .route("/registry/aeds/{id}/guardian", put(edit::set_guardian))
        .route("/registry/aeds/{id}/checks", post(edit::record_check))
        .route("/registry/guardians", get(edit::guardians))
        .route("/registry/audit", get(edit::audit))
        .route("/attention", get(edit::attention))
        .fallback(|| async { ApiError::not_found("no such route") })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "method not allowed on this route",
            )
        })
        .layer(axum::middleware::map_response(json_errors))
        .with_state(state)
}

/// Turns any plain-text error from an extractor rejection (a bad percent-encoded path, an
/// oversized body) into the same JSON shape as [`ApiError`].
async fn json_errors(res: Response) -> Response {
    let is_json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if !(res.status().is_client_error() || res.status().is_server_error()) || is_json {
        return res;
    }
    let status = res.status();
    let text = axum::body::to_bytes(res.into_body(), 64 * 1024)
        .await
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    if status.is_server_error() {
        return ApiError::internal(text).into_response();
    }
    ApiError::new(status, "bad_request", text).into_response()
}

pub use conn::ServeLimits;

/// Serves `state` on `listener` with the default [`ServeLimits`] until the process ends.
pub async fn serve(listener: tokio::net::TcpListener, state: AppState) -> std::io::Result<()> {
    serve_with(listener, state, ServeLimits::default()).await
}

/// Serves `state` on `listener` with `limits` until the process ends.
pub async fn serve_with(
    listener: tokio::net::TcpListener,
    state: AppState,
    limits: ServeLimits,
) -> std::io::Result<()> {
    conn::serve(listener, router(state), limits).await
}
