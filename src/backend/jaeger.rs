//! Jaeger's stable query API (`/api/v3`, Jaeger v2): services, trace search per service (the
//! answer holds every matching trace's spans as OTLP JSON in `{"result": …}`), traces by id.
//! A search without a match is a 404 "No traces found": an empty result.

use std::sync::atomic::AtomicBool;
use std::time::SystemTime;

use rustc_hash::FxHashSet;
use serde::Deserialize;

use super::error::{BackendError, ErrorKind};
use super::window::{Page, Window};
use super::{Backend, Fetched, Query, enc};

pub(super) const ACCEPT: &str = "application/json";

#[derive(Deserialize)]
struct Services {
    #[serde(default)]
    services: Vec<String>,
}

/// The services the backend knows, sorted.
pub fn services(b: &Backend, cancel: Option<&AtomicBool>) -> Result<Vec<String>, BackendError> {
    let url = format!("{}/api/v3/services", b.base);
    let a = b.http.get(&url, ACCEPT, cancel)?;
    if a.status != 200 {
        return Err(BackendError::status(&url, a.status, &a.body, "Jaeger"));
    }
    let s: Services =
        serde_json::from_slice(&a.body).map_err(|e| BackendError::bad_answer(&url, e))?;
    let mut names = s.services;
    names.sort_unstable();
    names.dedup();
    Ok(names)
}

#[derive(Deserialize)]
struct Operations {
    #[serde(default)]
    operations: Vec<Operation>,
}

#[derive(Deserialize)]
struct Operation {
    name: String,
}

/// The operations (span names) of `service`, sorted.
pub fn operations(
    b: &Backend,
    service: &str,
    cancel: Option<&AtomicBool>,
) -> Result<Vec<String>, BackendError> {
    let url = format!("{}/api/v3/operations?service={}", b.base, enc(service));
    let a = b.http.get(&url, ACCEPT, cancel)?;
    if a.status != 200 {
        return Err(BackendError::status(&url, a.status, &a.body, "Jaeger"));
    }
    let o: Operations =
        serde_json::from_slice(&a.body).map_err(|e| BackendError::bad_answer(&url, e))?;
    let mut names: Vec<String> = o.operations.into_iter().map(|o| o.name).collect();
    names.sort_unstable();
    names.dedup();
    Ok(names)
}

/// A Go duration (`query.duration_min`): whole microseconds, the API's resolution.
fn go_duration(d: std::time::Duration) -> String {
    format!("{}us", d.as_micros())
}

/// RFC 3339 in UTC, as the API's `query.start_time_min/max` want it.
fn rfc3339(unix_s: i64) -> String {
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(unix_s.max(0) as u64);
    humantime::format_rfc3339_seconds(t).to_string()
}

/// Whether a 404's body is the search's "nothing matched" rather than a wrong URL.
fn no_traces_found(body: &[u8]) -> bool {
    #[derive(Deserialize)]
    struct Wrapped {
        error: Inner,
    }
    #[derive(Deserialize)]
    struct Inner {
        #[serde(default)]
        message: String,
    }
    serde_json::from_slice::<Wrapped>(body).is_ok_and(|w| {
        w.error
            .message
            .to_ascii_lowercase()
            .contains("no traces found")
    })
}

/// One search of `q`'s service in `q`'s window (`Query::page`), listing at most `q.limit`
/// traces: the spans come with the answer. Not cancellable itself: see `pull::cancellable`.
pub fn search(b: &Backend, q: &Query) -> Result<Page<Option<Fetched>>, BackendError> {
    let w = q.search_window(SystemTime::now());
    let Some(service) = &q.service else {
        return Err(BackendError::new(
            &b.base,
            ErrorKind::Config,
            "a Jaeger search names a service",
        ));
    };
    let mut url = format!(
        "{}/api/v3/traces?query.service_name={}&query.start_time_min={}&query.start_time_max={}\
         &query.num_traces={}",
        b.base,
        enc(service),
        enc(&rfc3339(w.start)),
        // The window's last second included.
        enc(&rfc3339(w.end + 1)),
        q.limit,
    );
    if let Some(o) = &q.operation {
        url.push_str("&query.operation_name=");
        url.push_str(&enc(o));
    }
    if !q.attributes.is_empty() {
        let map: serde_json::Map<String, serde_json::Value> = q
            .attributes
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
            .collect();
        url.push_str("&query.attributes=");
        url.push_str(&enc(&serde_json::Value::Object(map).to_string()));
    }
    if let Some(d) = q.min_duration {
        url.push_str(&format!("&query.duration_min={}", go_duration(d)));
    }
    if let Some(d) = q.max_duration {
        url.push_str(&format!("&query.duration_max={}", go_duration(d)));
    }
    let a = b.http.get(&url, ACCEPT, None)?;
    match a.status {
        200 => {}
        404 if no_traces_found(&a.body) => {
            return Ok(Page::new(Vec::new(), None));
        }
        s => return Err(BackendError::status(&url, s, &a.body, "Jaeger")),
    }
    let fetched = Fetched::read(&url, &a.body, None)?;
    let ids = trace_ids(&fetched);
    Ok(Page::new(ids, Some(fetched)))
}

/// The distinct traces of an answer, in order of first appearance.
pub(super) fn trace_ids(f: &Fetched) -> Vec<u128> {
    let mut seen = FxHashSet::default();
    f.batches
        .iter()
        .flat_map(|b| b.spans.iter())
        .map(|s| s.trace_id)
        .filter(|id| seen.insert(*id))
        .collect()
}

/// The URL of one trace by id, with the timestamps as the services sent them
/// (`raw_traces=true` skips Jaeger's clock-skew adjustment).
pub(super) fn trace_url(b: &Backend, id: u128, w: Option<Window>) -> String {
    let mut url = format!("{}/api/v3/traces/{id:032x}?raw_traces=true", b.base);
    if let Some(w) = w {
        url.push_str(&format!(
            "&start_time={}&end_time={}",
            enc(&rfc3339(w.start)),
            enc(&rfc3339(w.end + 1))
        ));
    }
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_rfc3339_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
    }

    /// A Jaeger search names one service: a page without one is refused before any request
    /// (the port is never contacted).
    #[test]
    fn a_search_without_a_service_is_refused() {
        let b = Backend::connect(
            "http://127.0.0.1:9",
            Some(super::super::Kind::Jaeger),
            super::super::HttpConfig::default(),
            None,
        )
        .unwrap();
        let e = search(&b, &Query::default()).err().unwrap();
        assert_eq!(e.kind, ErrorKind::Config);
        assert_eq!(b.requests(), 0);
    }

    #[test]
    fn only_the_documented_404_is_an_empty_result() {
        assert!(no_traces_found(
            br#"{"error":{"httpCode":404,"message":"No traces found"}}"#
        ));
        assert!(!no_traces_found(b"404 page not found"));
        assert!(!no_traces_found(
            br#"{"error":{"message":"trace not found"}}"#
        ));
    }
}
