//! The HTTP service (`aedcover serve`): OGC API – Features Parts 1–3 (core, GeoJSON, HTML,
//! OpenAPI 3.0; CRS by reference; queryables as query parameters) for QGIS and GDAL,
//! the call handler's `/nearest`, `/coverage`, `/sites`, `/health`, a self-contained `/map`,
//! and bearer-token-protected registry edits on the durable [`crate::store::Store`].
//!
//! Public routes read one immutable [`Analysis`] snapshot; after an edit commits, a new
//! snapshot is built from the store (with a study: the pipeline re-runs the stages the edit
//! affects) and swapped in whole, so a reader never sees a half-updated state. Guardian
//! contact data appears only on protected routes; a collection fed by a source not for
//! publication serves its items only to a caller holding the edit token.

mod analysis;
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
    Analysis, AnalysisBuilder, BuildError, COLLECTION_IDS, Collection, LayerError,
    MetricProjection, RegistryBuilder, StudyBuilder, UsableAed, aed_feature, aed_lonlat,
    analysis_of_run, default_rule, read_geojson_layer, uk_civil_time,
};
pub use error::ApiError;

use crate::store::{Store, StoreError};
use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use std::sync::{Arc, Mutex, RwLock};

/// Why the server state could not be built or rebuilt.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Build(#[from] BuildError),
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
    /// Serialises rebuilds so the last one always reflects every committed edit.
    rebuild: Mutex<()>,
    token: Option<String>,
}

impl AppState {
    /// Builds the first analysis from the store. `token: None` disables edits.
    pub fn new(
        store: Arc<Store>,
        builder: Arc<dyn AnalysisBuilder>,
        token: Option<String>,
    ) -> Result<AppState, StateError> {
        let analysis = Arc::new(builder.build(store.export_aeds()?, store.export_guardians()?)?);
        Ok(AppState {
            inner: Arc::new(Inner {
                store,
                builder,
                analysis: RwLock::new(analysis),
                rebuild: Mutex::new(()),
                token: token.filter(|t| !t.trim().is_empty()),
            }),
        })
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

    /// Rebuilds the analysis from the store and swaps it in. On error the previous
    /// snapshot stays served.
    pub fn rebuild(&self) -> Result<(), StateError> {
        let _one_at_a_time = self.inner.rebuild.lock().unwrap_or_else(|p| p.into_inner());
        let aeds = self.inner.store.export_aeds()?;
        let guardians = self.inner.store.export_guardians()?;
        let fresh = Arc::new(self.inner.builder.build(aeds, guardians)?);
        *self
            .inner
            .analysis
            .write()
            .unwrap_or_else(|p| p.into_inner()) = fresh;
        Ok(())
    }

    fn token(&self) -> Option<&str> {
        self.inner.token.as_deref()
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
