//! The one HTTP error type: a JSON body `{"error": "...", "detail": ...}` and the right status.

use crate::store::{FieldError, StoreError};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub error: &'static str,
    pub detail: Value,
}

impl ApiError {
    pub fn new(status: StatusCode, error: &'static str, detail: impl Into<Value>) -> Self {
        ApiError {
            status,
            error,
            detail: detail.into(),
        }
    }

    /// A bad query parameter, named.
    pub fn bad_param(param: &str, reason: impl std::fmt::Display) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "bad_parameter",
            json!({"parameter": param, "reason": reason.to_string()}),
        )
    }

    pub fn not_found(what: impl std::fmt::Display) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", what.to_string())
    }

    /// Something went wrong on our side: the detail goes to the log, not the client.
    pub fn internal(e: impl std::fmt::Display) -> Self {
        eprintln!("aedcover serve: internal error: {e}");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error; see the server log",
        )
    }
}

impl From<FieldError> for ApiError {
    fn from(e: FieldError) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_field",
            json!({"field": e.field, "reason": e.reason}),
        )
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::AedNotFound(_) => Self::not_found(e),
            StoreError::GuardianNotFound(_) => FieldError::new("guardian_id", e.to_string()).into(),
            StoreError::AedExists(_) => Self::new(StatusCode::CONFLICT, "conflict", e.to_string()),
            other => Self::internal(other),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({"error": self.error, "detail": self.detail}).to_string();
        let mut res = (self.status, body).into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        if self.status == StatusCode::UNAUTHORIZED {
            res.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        res
    }
}
