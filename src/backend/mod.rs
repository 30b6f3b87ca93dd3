//! Trace backends as inputs: search Grafana Tempo or Jaeger and pull the matching traces, read
//! by the same readers as files (`ingest::read_batches`) into the same store.
//!
//! `Backend::connect` checks the URL and tells Tempo from Jaeger when not told; `pull` runs a
//! `Query` (search, complete by cutting full time windows, fetch several traces at a time) and
//! hands each answer's batches to a sink as it arrives, with a progress figure and a cancel
//! flag; `pull_into` is `pull` into a store. `follow` asks the backend for the other half of
//! the breaks found. What is fetched, when and how much: docs/backends.md.

use std::sync::atomic::AtomicBool;

use crate::ingest;
use crate::model::{Batch, Position, WarningKind};

mod detect;
mod error;
pub mod follow;
pub mod http;
mod jaeger;
mod pull;
mod query;
mod tempo;
pub mod window;

pub use error::{BackendError, ErrorKind};
pub use http::HttpConfig;
use pull::cancellable;
pub use pull::{Hit, Progress, PullOptions, Summary, pull, pull_into, search, warn_all};
pub use query::{
    DEFAULT_CONCURRENCY, DEFAULT_LIMIT, DEFAULT_MAX_TRACES, DEFAULT_SINCE, Query, hex_id,
    parse_duration, parse_time,
};
pub use window::Window;

/// Which API a URL speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Tempo,
    Jaeger,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Tempo => "tempo",
            Kind::Jaeger => "jaeger",
        }
    }
}

/// A query-string value, percent-encoded.
fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// The `Authorization` value from environment variable `var`: used as it is when it starts
/// with a scheme (`Bearer …`, `Basic …`); `user:password` becomes basic auth (Tempo behind a
/// proxy, Grafana Cloud's `tenant:token`); anything else is a bearer token.
pub fn authorization_from_env(var: &str) -> Result<String, BackendError> {
    let value = std::env::var(var).map_err(|_| {
        BackendError::new(
            &format!("${var}"),
            ErrorKind::Config,
            "--token-env names this environment variable, but it is not set (or not UTF-8)",
        )
    })?;
    let value = value.trim();
    let lower = value.to_ascii_lowercase();
    if lower.starts_with("bearer ") || lower.starts_with("basic ") {
        return Ok(value.to_string());
    }
    if value.contains(':') {
        use base64::Engine;
        let b = base64::engine::general_purpose::STANDARD.encode(value);
        return Ok(format!("Basic {b}"));
    }
    Ok(format!("Bearer {value}"))
}

/// A connected backend: the base URL (path prefix included, no trailing `/`) and the client.
pub struct Backend {
    kind: Kind,
    base: String,
    http: http::Http,
    /// Tempo without `/api/v2/traces` (before 2.6): found once, then v1 is asked first.
    tempo_v1_only: AtomicBool,
}

impl Backend {
    /// Checks `url` (http or https, no credentials in it, no query) and, when `kind` is not
    /// given, asks the server which backend it is.
    pub fn connect(
        url: &str,
        kind: Option<Kind>,
        config: HttpConfig,
        cancel: Option<&AtomicBool>,
    ) -> Result<Backend, BackendError> {
        let parsed = url::Url::parse(url.trim()).map_err(|e| {
            BackendError::new(
                url,
                ErrorKind::Config,
                format!("not a URL ({e}): give http://HOST:PORT[/PREFIX]"),
            )
        })?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
            return Err(BackendError::new(
                url,
                ErrorKind::Config,
                "only http:// and https:// URLs with a host are backends",
            ));
        }
        if !parsed.username().is_empty() || parsed.password().is_some() {
            // Never echo the secret: name the URL without it.
            let mut shown = parsed.clone();
            let _ = shown.set_username("");
            let _ = shown.set_password(None);
            return Err(BackendError::new(
                shown.as_str(),
                ErrorKind::Config,
                "credentials in the URL are refused (they end up in logs and shell history): \
                 put them in an environment variable and name it with --token-env",
            ));
        }
        if parsed.query().is_some() || parsed.fragment().is_some() {
            return Err(BackendError::new(
                url,
                ErrorKind::Config,
                "the backend URL takes no query or fragment: give http://HOST:PORT[/PREFIX]",
            ));
        }
        let base = parsed.as_str().trim_end_matches('/').to_string();
        let http = http::Http::new(config);
        let kind = match kind {
            Some(k) => k,
            None => detect::detect(&http, &base, cancel)?,
        };
        Ok(Backend {
            kind,
            base,
            http,
            tempo_v1_only: AtomicBool::new(false),
        })
    }

    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// The base URL (scheme, host, port and path prefix).
    pub fn url(&self) -> &str {
        &self.base
    }

    /// HTTP requests sent so far (retries included) and answer bytes read.
    pub fn requests(&self) -> u64 {
        self.http.requests()
    }

    pub fn bytes(&self) -> u64 {
        self.http.bytes()
    }

    /// Fetches one trace by id (`Ok(None)`: the backend does not have it).
    pub fn fetch(
        &self,
        id: u128,
        w: Option<Window>,
        cancel: Option<&AtomicBool>,
    ) -> Result<Option<Fetched>, BackendError> {
        match self.kind {
            Kind::Tempo => tempo::fetch(self, id, w, cancel),
            Kind::Jaeger => {
                let url = jaeger::trace_url(self, id, w);
                let answer = self.get_trace(&url, jaeger::ACCEPT, cancel)?;
                answer
                    .map(|a| Fetched::read(&url, &a.body, None))
                    .transpose()
            }
        }
    }

    /// GETs one trace: `Ok(None)` on a 404 (the backend does not have it, or for Tempo's v2
    /// URL, does not have that API), an error on any other status but 200.
    fn get_trace(
        &self,
        url: &str,
        accept: &str,
        cancel: Option<&AtomicBool>,
    ) -> Result<Option<http::Answer>, BackendError> {
        let a = self.http.get(url, accept, cancel)?;
        let name = match self.kind {
            Kind::Tempo => "Tempo",
            Kind::Jaeger => "Jaeger",
        };
        match a.status {
            200 => Ok(Some(a)),
            404 => Ok(None),
            s => Err(BackendError::status(url, s, &a.body, name)),
        }
    }

    /// The operations of `service` a Jaeger backend lists (Tempo: none).
    pub fn operations(
        &self,
        service: &str,
        cancel: Option<&AtomicBool>,
    ) -> Result<Vec<String>, BackendError> {
        match self.kind {
            Kind::Tempo => Ok(Vec::new()),
            Kind::Jaeger => jaeger::operations(self, service, cancel),
        }
    }

    /// The services a Jaeger backend lists (Tempo: none; its search needs no service).
    pub fn services(&self, cancel: Option<&AtomicBool>) -> Result<Vec<String>, BackendError> {
        match self.kind {
            Kind::Tempo => Ok(Vec::new()),
            Kind::Jaeger => jaeger::services(self, cancel),
        }
    }
}

/// One answer read into batches.
pub struct Fetched {
    /// The request's URL.
    pub url: String,
    pub batches: Vec<Batch>,
}

impl Fetched {
    /// Reads `body` with the file readers; an empty body is an empty trace. `partial`: the
    /// backend's message for a trace it could only give in part, kept as a warning.
    fn read(url: &str, body: &[u8], partial: Option<String>) -> Result<Fetched, BackendError> {
        let mut batches = if body.iter().all(u8::is_ascii_whitespace) {
            Vec::new()
        } else {
            ingest::read_batches(url, body)
                .map_err(|e| BackendError::load(url, e))?
                .1
        };
        if let Some(msg) = partial {
            let mut b = Batch::new();
            let msg = if msg.is_empty() {
                "the backend marked this trace PARTIAL: some of its spans may be missing"
                    .to_string()
            } else {
                format!("the backend marked this trace PARTIAL: {msg}")
            };
            b.diag
                .warn(WarningKind::Incomplete, url, Position::Unknown, &msg);
            batches.push(b);
        }
        Ok(Fetched {
            url: url.to_string(),
            batches,
        })
    }

    pub fn spans(&self) -> u64 {
        self.batches.iter().map(|b| b.spans.len() as u64).sum()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn times_and_durations_parse() {
        assert_eq!(parse_time("1700000000"), Ok(1_700_000_000));
        assert_eq!(parse_time("2023-11-14T22:13:20Z"), Ok(1_700_000_000));
        assert!(parse_time("yesterday").is_err());
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("15m"), Ok(Duration::from_secs(900)));
        assert!(parse_duration("soon").is_err());
    }

    #[test]
    fn ids_may_lack_leading_zeros() {
        assert_eq!(hex_id("1"), Some(1));
        assert_eq!(hex_id("00000000000000000000000000000aBc"), Some(0xabc));
        assert_eq!(hex_id(""), None);
        assert_eq!(hex_id("xyz"), None);
        assert_eq!(hex_id(&"f".repeat(33)), None);
    }

    #[test]
    fn tempo_queries_from_service_and_operation() {
        let q = Query {
            service: Some("check\"out".into()),
            operation: Some("GET /".into()),
            ..Query::default()
        };
        assert_eq!(
            tempo::traceql(&q),
            r#"{resource.service.name = "check\"out" && name = "GET /"}"#
        );
        assert_eq!(tempo::traceql(&Query::default()), "{}");
        let q = Query {
            attributes: vec![("http.route".into(), "/orders".into())],
            min_duration: Some(Duration::from_millis(150)),
            max_duration: Some(Duration::from_secs(2)),
            ..Query::default()
        };
        assert_eq!(
            tempo::traceql(&q),
            r#"{span.http.route = "/orders" && duration >= 150000000ns && duration <= 2000000000ns}"#
        );
    }

    #[test]
    fn credentials_in_the_url_are_refused_without_echoing_them() {
        let e = Backend::connect(
            "http://user:s3cret@localhost:3200",
            Some(Kind::Tempo),
            HttpConfig::default(),
            None,
        )
        .err();
        let Some(e) = e else {
            panic!("accepted credentials in the URL")
        };
        assert_eq!(e.kind, ErrorKind::Config);
        assert!(!e.to_string().contains("s3cret"), "{e}");
    }
}
