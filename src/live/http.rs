//! OTLP/HTTP: `POST /v1/traces` and `/v1/logs`, protobuf or JSON, optionally gzip, answered as the OTLP spec
//! says: 200 with an `ExportTraceServiceResponse` in the request's encoding, 400 with a
//! `google.rpc.Status` for a bad payload, 413 over a size limit (at once when `Content-Length`
//! says so, before the body is read), 415 for an unknown content type or encoding, 429 with
//! `Retry-After` while the in-flight budget is taken, 503 while shutting down (clients retry
//! 429 and 503). Connections are served by hyper directly (axum's `serve` has no timeouts):
//! headers within `header_timeout`, the body within `request_timeout`.

use std::net::TcpListener;
use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use http_body_util::BodyExt;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use prost::Message;
use tokio::sync::watch;

use super::conn;
use super::decode::{Payload, Signal};
use super::server::{Intake, RETRY_AFTER, Refusal, stopped};
use super::stats::Stats;

/// `google.rpc.Status`, the body of OTLP/HTTP error responses.
#[derive(Clone, PartialEq, prost::Message)]
struct RpcStatus {
    #[prost(int32, tag = "1")]
    code: i32,
    #[prost(string, tag = "2")]
    message: String,
}

/// gRPC status codes used in those bodies.
const INVALID_ARGUMENT: i32 = 3;
const RESOURCE_EXHAUSTED: i32 = 8;
const UNAVAILABLE: i32 = 14;

/// What hyper buffers per connection (headers, body read ahead): outside the in-flight
/// budget, so kept small (hyper's default is ~400 KB; OTLP headers are a few hundred bytes).
const READ_BUFFER: usize = 64 << 10;

pub(crate) async fn serve(
    listener: TcpListener,
    intake: Arc<Intake>,
    stop: watch::Receiver<bool>,
) -> conn::Served {
    let cfg = intake.cfg;
    let app = Router::new()
        .route(
            "/v1/traces",
            post(|s: State<Arc<Intake>>, r: Request| export(s, r, Signal::Traces)),
        )
        .route(
            "/v1/logs",
            post(|s: State<Arc<Intake>>, r: Request| export(s, r, Signal::Logs)),
        )
        .with_state(intake);
    let mut conns = conn::incoming(listener, &cfg, &stop, "OTLP/HTTP")?;
    let mut open = tokio::task::JoinSet::new();
    while let Some(Ok(c)) = conns.recv().await {
        let svc = TowerToHyperService::new(app.clone());
        let stop = stop.clone();
        open.spawn(async move {
            let mut http = hyper::server::conn::http1::Builder::new();
            http.timer(TokioTimer::new())
                .header_read_timeout(cfg.header_timeout)
                .max_buf_size(READ_BUFFER);
            let served = http.serve_connection(TokioIo::new(c), svc);
            tokio::pin!(served);
            tokio::select! {
                _ = served.as_mut() => {}
                () = stopped(stop) => {
                    served.as_mut().graceful_shutdown();
                    let _ = served.await;
                }
            }
        });
        // Reap finished connections as we go so the set stays as small as what is open.
        while open.try_join_next().is_some() {}
    }
    // The accept loop ended (stop): let requests in flight finish.
    while open.join_next().await.is_some() {}
    Ok(())
}

fn header_text(headers: &HeaderMap, name: header::HeaderName) -> String {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

/// Reads the body within the size limit and `request_timeout`.
async fn read_body(intake: &Intake, body: Body, expected: Option<u64>) -> Result<Bytes, Refusal> {
    let limit = intake.max_request_bytes;
    let read = async {
        let mut body = body;
        let mut buf = Vec::with_capacity(expected.unwrap_or(0).min(limit as u64) as usize);
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| intake.bad(format!("cannot read the body: {e}")))?;
            if let Ok(data) = frame.into_data() {
                if buf.len() + data.len() > limit {
                    return Err(
                        intake.too_large(format!("request larger than the limit of {limit} bytes"))
                    );
                }
                buf.extend_from_slice(&data);
            }
        }
        Ok(Bytes::from(buf))
    };
    match tokio::time::timeout(intake.cfg.request_timeout, read).await {
        Ok(r) => r,
        Err(_) => Err(intake.bad(format!(
            "the body did not arrive within {} s",
            intake.cfg.request_timeout.as_secs_f64()
        ))),
    }
}

async fn export(State(intake): State<Arc<Intake>>, request: Request, signal: Signal) -> Response {
    let stats = &intake.stats;
    Stats::add(&stats.requests, 1);
    let (parts, body) = request.into_parts();
    let content_type = header_text(&parts.headers, header::CONTENT_TYPE);
    let Some(payload) = Payload::from_content_type(&content_type) else {
        Stats::add(&stats.unsupported, 1);
        let msg = format!(
            "unsupported content type \"{content_type}\": send application/x-protobuf or application/json"
        );
        return error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Payload::Json,
            INVALID_ARGUMENT,
            msg,
        );
    };
    let encoding = header_text(&parts.headers, header::CONTENT_ENCODING).to_ascii_lowercase();
    let gzip = match encoding.trim() {
        "" | "identity" => false,
        "gzip" => true,
        other => {
            Stats::add(&stats.unsupported, 1);
            let msg = format!("unsupported content encoding \"{other}\": send gzip or none");
            return error(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                payload,
                INVALID_ARGUMENT,
                msg,
            );
        }
    };
    let length = header_text(&parts.headers, header::CONTENT_LENGTH)
        .trim()
        .parse::<u64>()
        .ok();
    let result = async {
        let limit = intake.max_request_bytes;
        if let Some(n) = length.filter(|&n| n > limit as u64) {
            // Refused before a byte of the body is read; hyper closes the connection.
            return Err(intake.too_large(format!(
                "request of {n} bytes is larger than the limit of {limit} bytes"
            )));
        }
        let permit = intake.reserve(length, gzip).await?;
        let body = read_body(&intake, body, length).await?;
        intake.export(body, payload, signal, gzip, permit).await
    }
    .await;
    match result {
        Ok(accepted) => {
            let resp = accepted.response();
            match payload {
                // The logs response is the traces one on the wire (same fields, same
                // numbers); in JSON its count is named for log records.
                Payload::Protobuf => protobuf(StatusCode::OK, resp.encode_to_vec()),
                Payload::Json => {
                    let rejected = match signal {
                        Signal::Traces => "rejectedSpans",
                        Signal::Logs => "rejectedLogRecords",
                    };
                    let body = match resp.partial_success {
                        Some(p) => serde_json::json!({"partialSuccess": {
                            rejected: p.rejected_spans.to_string(),
                            "errorMessage": p.error_message,
                        }}),
                        None => serde_json::json!({}),
                    };
                    (StatusCode::OK, axum::Json(body)).into_response()
                }
            }
        }
        Err(Refusal::Bad(msg)) => error(StatusCode::BAD_REQUEST, payload, INVALID_ARGUMENT, msg),
        Err(Refusal::TooLarge(msg)) => error(
            StatusCode::PAYLOAD_TOO_LARGE,
            payload,
            RESOURCE_EXHAUSTED,
            msg,
        ),
        Err(Refusal::Busy) => {
            let msg = "tracetopo is busy with other requests: retry later".to_string();
            let mut r = error(
                StatusCode::TOO_MANY_REQUESTS,
                payload,
                RESOURCE_EXHAUSTED,
                msg,
            );
            r.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(RETRY_AFTER.as_secs()),
            );
            r
        }
        Err(Refusal::Closed(msg)) => {
            error(StatusCode::SERVICE_UNAVAILABLE, payload, UNAVAILABLE, msg)
        }
    }
}

fn protobuf(status: StatusCode, body: Vec<u8>) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/x-protobuf")],
        body,
    )
        .into_response()
}

/// An error response whose body is a `google.rpc.Status` in the request's encoding.
fn error(status: StatusCode, payload: Payload, code: i32, message: String) -> Response {
    match payload {
        Payload::Protobuf => protobuf(status, RpcStatus { code, message }.encode_to_vec()),
        Payload::Json => (
            status,
            axum::Json(serde_json::json!({"code": code, "message": message})),
        )
            .into_response(),
    }
}
