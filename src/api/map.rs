//! `/map`: a web map on Leaflet (vendored in `assets/leaflet/`, embedded here, so the page
//! loads nothing from a CDN), reading the service's own public routes. An OpenStreetMap
//! raster base can be switched on (it needs the internet; the page works without it).

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

const MAP_HTML: &str = include_str!("../../assets/map.html");
const LEAFLET_JS: &str = include_str!("../../assets/leaflet/leaflet.js");
const LEAFLET_CSS: &str = include_str!("../../assets/leaflet/leaflet.css");

fn asset(body: &'static str, content_type: &'static str) -> Response {
    let mut res = body.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=86400"),
    );
    res
}

pub async fn page() -> Response {
    let mut res = MAP_HTML.into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    res
}

pub async fn leaflet_js() -> Response {
    asset(LEAFLET_JS, "text/javascript; charset=utf-8")
}

pub async fn leaflet_css() -> Response {
    asset(LEAFLET_CSS, "text/css; charset=utf-8")
}
