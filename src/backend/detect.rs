//! Which backend a URL is, when the user did not say: Tempo answers
//! `/api/status/buildinfo` with its version; Jaeger answers `/api/v3/services`.

use std::sync::atomic::AtomicBool;

use super::Kind;
use super::error::{BackendError, ErrorKind};
use super::http::Http;

pub fn detect(http: &Http, base: &str, cancel: Option<&AtomicBool>) -> Result<Kind, BackendError> {
    let url = format!("{base}/api/status/buildinfo");
    let a = http.get(&url, "application/json", cancel)?;
    if matches!(a.status, 401 | 403) {
        return Err(BackendError::status(
            &url,
            a.status,
            &a.body,
            "Tempo or Jaeger",
        ));
    }
    let has = |body: &[u8], key: &str| {
        serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(body)
            .is_ok_and(|m| m.contains_key(key))
    };
    if a.status == 200 && has(&a.body, "version") {
        return Ok(Kind::Tempo);
    }
    let url = format!("{base}/api/v3/services");
    let a = http.get(&url, "application/json", cancel)?;
    if a.status == 200 && has(&a.body, "services") {
        return Ok(Kind::Jaeger);
    }
    if a.status != 200 && a.status != 404 {
        return Err(BackendError::status(
            &url,
            a.status,
            &a.body,
            "Tempo or Jaeger",
        ));
    }
    Err(BackendError::new(
        base,
        ErrorKind::Config,
        "neither Tempo (/api/status/buildinfo) nor Jaeger (/api/v3/services) answered here: \
         check the URL and its path prefix, or say which backend it is",
    ))
}
