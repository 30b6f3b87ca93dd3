//! The HTTP client every backend call goes through: one `ureq` agent (blocking, pooled
//! connections, rustls), the user's extra headers and credentials on every request, a timeout
//! per request, a cap on the answer's size, and retries with backoff on 429 and 5xx.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::error::{BackendError, ErrorKind};

/// What one request got back: the status, the media type and the whole body.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub content_type: String,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn is_protobuf(&self) -> bool {
        let t = self.content_type.to_ascii_lowercase();
        t.starts_with("application/protobuf") || t.starts_with("application/x-protobuf")
    }
}

/// How requests are made (see `docs/limits.md` for the defaults).
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Extra headers on every request (`X-Scope-OrgID: acme`).
    pub headers: Vec<(String, String)>,
    /// The `Authorization` header value, read from an environment variable by the caller.
    pub authorization: Option<String>,
    /// Whole-request timeout (connect, headers and body).
    pub timeout: Duration,
    /// Retries after a 429 or 5xx answer or a dropped connection (not after a timeout).
    pub retries: u32,
    /// The first backoff; each retry doubles it, up to `MAX_BACKOFF`.
    pub backoff: Duration,
    /// The largest answer body read; a larger one is an error naming the bound.
    pub max_body: u64,
}

/// The defaults of `HttpConfig`.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
pub const DEFAULT_RETRIES: u32 = 3;
pub const DEFAULT_BACKOFF: Duration = Duration::from_millis(250);
pub const DEFAULT_MAX_BODY: u64 = 256 << 20;
/// The longest wait between two tries, whatever `Retry-After` asks.
pub const MAX_BACKOFF: Duration = Duration::from_secs(10);

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            headers: Vec::new(),
            authorization: None,
            timeout: DEFAULT_TIMEOUT,
            retries: DEFAULT_RETRIES,
            backoff: DEFAULT_BACKOFF,
            max_body: DEFAULT_MAX_BODY,
        }
    }
}

/// The client; shared by the fetch threads (`ureq::Agent` is a cheap handle to one pool).
pub struct Http {
    agent: ureq::Agent,
    config: HttpConfig,
    requests: AtomicU64,
    bytes: AtomicU64,
}

impl Http {
    pub fn new(config: HttpConfig) -> Self {
        let agent = ureq::Agent::config_builder()
            // Statuses are answers to interpret (404 "No traces found" is a result).
            .http_status_as_error(false)
            .timeout_global(Some(config.timeout))
            .user_agent(concat!("tracetopo/", env!("CARGO_PKG_VERSION")))
            .build()
            .new_agent();
        Http {
            agent,
            config,
            requests: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
        }
    }

    pub fn config(&self) -> &HttpConfig {
        &self.config
    }

    /// Requests sent so far (retries included).
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Answer bytes read so far.
    pub fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }

    /// GETs `url`, retrying 429 and 5xx answers and dropped connections with backoff
    /// (`Retry-After` in seconds is honoured up to `MAX_BACKOFF`). The last answer is returned
    /// whatever its status; transport failures are errors. `cancel` stops between tries.
    pub fn get(
        &self,
        url: &str,
        accept: &str,
        cancel: Option<&AtomicBool>,
    ) -> Result<Answer, BackendError> {
        let cancelled = || cancel.is_some_and(|c| c.load(Ordering::Relaxed));
        let mut attempt = 0;
        loop {
            if cancelled() {
                return Err(BackendError::new(url, ErrorKind::Cancelled, "cancelled"));
            }
            self.requests.fetch_add(1, Ordering::Relaxed);
            let retry_after = match self.once(url, accept) {
                Ok(a) if retryable(a.answer.status) && attempt < self.config.retries => {
                    a.retry_after
                }
                Ok(a) => return Ok(a.answer),
                Err(e) if e.kind == ErrorKind::Dropped && attempt < self.config.retries => None,
                Err(e) => return Err(e),
            };
            let wait = retry_after
                .unwrap_or(self.config.backoff.saturating_mul(1 << attempt.min(16)))
                .min(MAX_BACKOFF);
            attempt += 1;
            if sleep_unless_cancelled(wait, cancel) {
                return Err(BackendError::new(url, ErrorKind::Cancelled, "cancelled"));
            }
        }
    }

    fn once(&self, url: &str, accept: &str) -> Result<Tried, BackendError> {
        let mut req = self.agent.get(url).header("Accept", accept);
        for (k, v) in &self.config.headers {
            req = req.header(k.as_str(), v.as_str());
        }
        if let Some(auth) = &self.config.authorization {
            req = req.header("Authorization", auth.as_str());
        }
        let mut resp = req
            .call()
            .map_err(|e| transport_error(url, e, &self.config))?;
        let status = resp.status().as_u16();
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let content_type = header("content-type").unwrap_or_default();
        let retry_after = header("retry-after")
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let body = resp
            .body_mut()
            .with_config()
            .limit(self.config.max_body)
            .read_to_vec()
            .map_err(|e| match e {
                ureq::Error::BodyExceedsLimit(_) => BackendError::new(
                    url,
                    ErrorKind::TooLarge,
                    format!(
                        "the answer is larger than {} (the bound on one answer); narrow the \
                         search or lower --limit",
                        size(self.config.max_body)
                    ),
                ),
                e => transport_error(url, e, &self.config),
            })?;
        self.bytes.fetch_add(body.len() as u64, Ordering::Relaxed);
        Ok(Tried {
            answer: Answer {
                status,
                content_type,
                body,
            },
            retry_after,
        })
    }
}

/// A byte count in MiB, or in bytes below one MiB.
fn size(bytes: u64) -> String {
    if bytes >= 1 << 20 {
        format!("{} MiB", bytes >> 20)
    } else {
        crate::units::count(bytes, "byte")
    }
}

struct Tried {
    answer: Answer,
    retry_after: Option<Duration>,
}

/// Statuses worth another try: rate limited, or a server or gateway that may recover.
fn retryable(status: u16) -> bool {
    status == 429 || (500..600).contains(&status) && status != 501
}

/// Sleeps `d` in short steps; true when `cancel` was set meanwhile.
fn sleep_unless_cancelled(d: Duration, cancel: Option<&AtomicBool>) -> bool {
    let until = Instant::now() + d;
    loop {
        if cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
            return true;
        }
        let now = Instant::now();
        if now >= until {
            return false;
        }
        std::thread::sleep((until - now).min(Duration::from_millis(20)));
    }
}

fn transport_error(url: &str, e: ureq::Error, config: &HttpConfig) -> BackendError {
    use std::io::ErrorKind as Io;
    match e {
        ureq::Error::Timeout(_) => BackendError::new(
            url,
            ErrorKind::Timeout,
            format!(
                "no complete answer within {} s: check that the URL points at the backend's \
                 query API and that the network path is open, or give a longer --timeout",
                config.timeout.as_secs_f64()
            ),
        ),
        ureq::Error::Io(io) if io.kind() == Io::ConnectionRefused => BackendError::new(
            url,
            ErrorKind::Refused,
            "connection refused: check the host and port, and that the backend is running",
        ),
        ureq::Error::Io(io) if io.kind() == Io::TimedOut => BackendError::new(
            url,
            ErrorKind::Timeout,
            format!(
                "no answer within {} s: check the URL and the network path to it",
                config.timeout.as_secs_f64()
            ),
        ),
        ureq::Error::Io(io)
            if matches!(
                io.kind(),
                Io::ConnectionReset | Io::ConnectionAborted | Io::BrokenPipe | Io::UnexpectedEof
            ) =>
        {
            BackendError::new(url, ErrorKind::Dropped, format!("connection dropped: {io}"))
        }
        ureq::Error::HostNotFound => BackendError::new(
            url,
            ErrorKind::Unreachable,
            "host not found: check the host name in the URL",
        ),
        e => BackendError::new(
            url,
            ErrorKind::Unreachable,
            format!("request failed: {e}; check the URL"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_rate_limits_and_server_errors_only() {
        for s in [429, 500, 502, 503, 504] {
            assert!(retryable(s), "{s}");
        }
        for s in [200, 400, 401, 403, 404, 501] {
            assert!(!retryable(s), "{s}");
        }
    }

    #[test]
    fn a_cancelled_sleep_returns_at_once() {
        let cancel = AtomicBool::new(true);
        assert!(sleep_unless_cancelled(
            Duration::from_secs(60),
            Some(&cancel)
        ));
        assert!(!sleep_unless_cancelled(Duration::ZERO, None));
    }
}
