//! HTML views of the OGC routes (`f=html` or `Accept: text/html`): the same documents as
//! the JSON, as pages with links between them. They show only what the JSON shows, so a
//! public page carries no guardian data.

use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use std::fmt::Write as _;

/// Escapes text for HTML element content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Whether the caller asked for HTML by `Accept` (an explicit `f` decides before this).
pub fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| {
            a.split(',')
                .next()
                .is_some_and(|first| first.trim().starts_with("text/html"))
        })
}

/// A whole page around `body` (already HTML).
pub fn page(title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{t} – aedcover</title><style>{STYLE}</style></head><body>\
         <nav><a href=\"/?f=html\">aedcover</a> · <a href=\"/collections?f=html\">collections</a> · \
         <a href=\"/map\">map</a> · <a href=\"/api\">API (OpenAPI)</a></nav>\
         <h1>{t}</h1>{body}</body></html>",
        t = esc(title)
    );
    let mut res = html.into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    res
}

const STYLE: &str = "body{font:15px/1.4 system-ui,sans-serif;margin:1em 2em;max-width:70em}\
    table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px;text-align:left;\
    vertical-align:top}th{background:#eee}nav{margin-bottom:1em}code{font-size:90%}";

/// The `links` of a document as a list (HTML alternates point at `f=html`).
pub fn links(v: &Value) -> String {
    let mut s = String::from("<ul>");
    for l in v["links"].as_array().into_iter().flatten() {
        let href = l["href"].as_str().unwrap_or("");
        let title = l["title"].as_str().unwrap_or(href);
        let rel = l["rel"].as_str().unwrap_or("");
        write!(
            s,
            "<li><a href=\"{}\">{}</a> <small>({})</small></li>",
            esc(href),
            esc(title),
            esc(rel)
        )
        .ok();
    }
    s.push_str("</ul>");
    s
}

/// A JSON value as readable text (strings unquoted).
pub fn text(v: &Value) -> String {
    match v {
        Value::String(s) => esc(s),
        Value::Null => String::new(),
        other => esc(&other.to_string()),
    }
}

/// A two-column table of an object's members.
pub fn table(obj: &Value) -> String {
    let mut s = String::from("<table>");
    for (k, v) in obj.as_object().into_iter().flatten() {
        write!(s, "<tr><th>{}</th><td>{}</td></tr>", esc(k), text(v)).ok();
    }
    s.push_str("</table>");
    s
}

/// The features of a page as a table: id (linked to the feature's page), then properties.
pub fn features_table(features: &[Value], item_href: impl Fn(&str) -> String) -> String {
    let mut cols: Vec<String> = Vec::new();
    for f in features {
        for k in f["properties"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|m| m.0)
        {
            if !cols.contains(k) {
                cols.push(k.clone());
            }
        }
    }
    let mut s = String::from("<table><tr><th>id</th>");
    for c in &cols {
        write!(s, "<th>{}</th>", esc(c)).ok();
    }
    s.push_str("</tr>");
    for f in features {
        let id = match &f["id"] {
            Value::String(x) => x.clone(),
            other => other.to_string(),
        };
        write!(
            s,
            "<tr><td><a href=\"{}\">{}</a></td>",
            esc(&item_href(&id)),
            esc(&id)
        )
        .ok();
        for c in &cols {
            write!(s, "<td>{}</td>", text(&f["properties"][c])).ok();
        }
        s.push_str("</tr>");
    }
    s.push_str("</table>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }

    #[test]
    fn accept_decides_only_when_html_comes_first() {
        let mut h = HeaderMap::new();
        h.insert(
            header::ACCEPT,
            HeaderValue::from_static("text/html,application/xhtml+xml"),
        );
        assert!(wants_html(&h));
        h.insert(
            header::ACCEPT,
            HeaderValue::from_static("application/geo+json, text/html"),
        );
        assert!(!wants_html(&h));
    }
}
