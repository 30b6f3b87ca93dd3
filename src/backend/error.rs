//! A backend failure: one line naming the URL and what to check.

use crate::model::LoadError;

/// What went wrong, for callers that act on it (the CLI exits 2 on all of them; the app may
/// offer to retry a timeout).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// An HTTP status the request could not use (401, 403, 404, a 5xx after the retries…).
    Status(u16),
    Refused,
    Timeout,
    /// Host not found, TLS failure, or another failure to connect.
    Unreachable,
    /// The connection closed mid-answer (retried before it is reported).
    Dropped,
    /// The answer was larger than the bound on one answer.
    TooLarge,
    /// The answer was not in the shape the API documents.
    BadAnswer,
    /// The settings cannot work (a URL with credentials, a missing token variable…).
    Config,
    Cancelled,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackendError {
    /// The request's URL (never with credentials: those are only in headers).
    pub url: String,
    pub kind: ErrorKind,
    pub message: String,
}

impl BackendError {
    pub fn new(url: &str, kind: ErrorKind, message: impl Into<String>) -> Self {
        BackendError {
            url: url.to_string(),
            kind,
            message: message.into(),
        }
    }

    /// The error of an answer with a status that is none of the expected ones: the common
    /// ones say what to check; others quote the backend's own message.
    pub fn status(url: &str, status: u16, body: &[u8], backend: &str) -> Self {
        let message = match status {
            401 => "401 Unauthorized: check the token (the variable named by --token-env) and, \
                    for a multi-tenant backend, the tenant header (--header 'X-Scope-OrgID: \
                    TENANT')"
                .to_string(),
            403 => "403 Forbidden: the credentials were accepted but may not read these traces; \
                    check the tenant and the token's rights"
                .to_string(),
            404 => format!(
                "404 Not Found: check that the URL is the {backend} query endpoint, with its \
                 path prefix if it has one"
            ),
            s => format!("HTTP {s}: {}", quote_body(body)),
        };
        BackendError::new(url, ErrorKind::Status(status), message)
    }

    /// A body that could not be read as the API's answer.
    pub fn bad_answer(url: &str, what: impl std::fmt::Display) -> Self {
        BackendError::new(
            url,
            ErrorKind::BadAnswer,
            format!("unexpected answer: {what}"),
        )
    }

    /// A body the readers refused (its `input` is the URL, so it is not repeated).
    pub fn load(url: &str, e: LoadError) -> Self {
        let message = match e.position {
            crate::model::Position::Unknown => e.message,
            p => format!("{p}: {}", e.message),
        };
        BackendError::new(url, ErrorKind::BadAnswer, message)
    }
}

impl std::fmt::Display for BackendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.url, self.message)
    }
}

impl std::error::Error for BackendError {}

/// Bytes of an error body quoted in a message, at most.
const QUOTED_BODY: usize = 200;

/// The backend's error message: Jaeger's `{"error":{"message"}}`, else the start of the body
/// as text.
fn quote_body(body: &[u8]) -> String {
    #[derive(serde::Deserialize)]
    struct Wrapped {
        error: Inner,
    }
    #[derive(serde::Deserialize)]
    struct Inner {
        message: String,
    }
    if let Ok(w) = serde_json::from_slice::<Wrapped>(body) {
        return w.error.message;
    }
    let text = String::from_utf8_lossy(&body[..body.len().min(QUOTED_BODY)]);
    let text = text.trim();
    if text.is_empty() {
        "no message".to_string()
    } else {
        text.split_whitespace().collect::<Vec<_>>().join(" ")
    }
}
