//! Shared helpers for the API tests: fixture state, oneshot calls, a tiny HTTP/1.1 client.
#![allow(dead_code)]

use aedcover::api::serve::read_seed;
use aedcover::api::{AppState, RegistryBuilder, read_geojson_layer, router};
use aedcover::store::Store;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::sync::Arc;
use tower::ServiceExt;

pub const TOKEN: &str = "test-token-123";

/// The public base URL the test states are configured with.
pub const BASE: &str = "http://127.0.0.1:9999";

/// Guardian details in the fixtures that must never appear on a public route.
pub const GUARDIAN_SECRETS: &[&str] = &[
    "Test Guardian",
    "test.guardian1@example.org",
    "guardian.two@example.net",
    "01509 000001",
    "07700 900002",
    "Test Parish Council",
];

pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/api")
        .join(name)
}

pub fn builder() -> RegistryBuilder {
    let mut b = RegistryBuilder::default();
    for id in ["areas", "gaps", "coverage", "sites"] {
        b.layers.insert(
            id.to_string(),
            read_geojson_layer(id, &fixture(&format!("{id}.geojson"))).unwrap(),
        );
    }
    b
}

pub fn state_with(store: Store, token: Option<&str>) -> AppState {
    let (aeds, guardians) = read_seed(&fixture("seed.json"), false).unwrap();
    store.seed_if_empty(&aeds, &guardians, "seed").unwrap();
    AppState::new(
        Arc::new(store),
        Arc::new(builder()),
        token.map(String::from),
    )
    .unwrap()
    .with_base_url(BASE)
    .unwrap()
}

pub fn state(token: Option<&str>) -> AppState {
    state_with(Store::open_in_memory().unwrap(), token)
}

pub struct Reply {
    pub status: StatusCode,
    pub content_type: String,
    pub text: String,
}

impl Reply {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }
}

pub async fn call(
    state: &AppState,
    method: &str,
    uri: &str,
    token: Option<&str>,
    body: Option<serde_json::Value>,
) -> Reply {
    let mut req = Request::builder()
        .method(method)
        .uri(uri)
        .header("host", "127.0.0.1:9999");
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let body = match body {
        Some(v) => {
            req = req.header("content-type", "application/json");
            Body::from(v.to_string())
        }
        None => Body::empty(),
    };
    let res = router(state.clone())
        .oneshot(req.body(body).unwrap())
        .await
        .unwrap();
    let status = res.status();
    let content_type = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .unwrap();
    Reply {
        status,
        content_type,
        text: String::from_utf8(bytes.to_vec()).unwrap(),
    }
}

pub async fn get(state: &AppState, uri: &str) -> Reply {
    call(state, "GET", uri, None, None).await
}

/// One HTTP/1.1 request over a fresh connection; returns (status, body).
pub fn http(
    addr: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: &str,
) -> std::io::Result<(u16, String)> {
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(std::time::Duration::from_secs(30)))?;
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw).to_string();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("no status line: {text:?}")))?;
    let body = text
        .split_once("\r\n\r\n")
        .map(|x| x.1)
        .unwrap_or("")
        .to_string();
    Ok((status, body))
}

/// Spawns a configured `aedcover serve … --addr 127.0.0.1:0` command and returns the child
/// with the address it printed on its first stdout line.
#[allow(dead_code)]
/// A served process that is killed when dropped, so that a failing test leaves no server
/// running (its `kill` and `wait` stay available).
pub struct Served(pub std::process::Child);

impl std::ops::Deref for Served {
    type Target = std::process::Child;
    fn deref(&self) -> &std::process::Child {
        &self.0
    }
}

impl std::ops::DerefMut for Served {
    fn deref_mut(&mut self) -> &mut std::process::Child {
        &mut self.0
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        // Already ended when the test killed it; either way nothing is left to reap.
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn spawn_serve(mut cmd: std::process::Command) -> (Served, String) {
    use std::io::BufRead;
    let mut child = cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_string();
    (Served(child), addr)
}
