//! OTLP/HTTP: `POST /v1/traces`, protobuf or JSON, optionally gzip, answered as the OTLP spec
//! says: 200 with an `ExportTraceServiceResponse` in the request's encoding, 400 with a
//! `google.rpc.Status` for a bad payload, 413 over the size limit, 415 for an unknown content
//! type or encoding, 503 while shutting down (clients retry that).

use std::borrow::Cow;
use std::net::TcpListener;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use prost::Message;
use tokio::sync::watch;

use super::decode::{self, Payload, Refused};
use super::server::{Intake, stopped};
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

pub(crate) async fn serve(
    listener: TcpListener,
    intake: Arc<Intake>,
    stop: watch::Receiver<bool>,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    // The body limit applies to the bytes on the wire; `decode::gunzip` applies it again
    // after inflating.
    let limit = intake.max_request_bytes;
    let app = Router::new()
        .route("/v1/traces", post(export))
        .layer(DefaultBodyLimit::max(limit))
        .with_state(intake);
    let listener = tokio::net::TcpListener::from_std(listener)?;
    axum::serve(listener, app)
        .with_graceful_shutdown(stopped(stop))
        .await?;
    Ok(())
}

async fn export(
    State(intake): State<Arc<Intake>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let stats = &intake.stats;
    Stats::add(&stats.requests, 1);
    let text = |name: header::HeaderName| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let content_type = text(header::CONTENT_TYPE);
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
    let encoding = text(header::CONTENT_ENCODING).to_ascii_lowercase();
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
    let body = match body {
        Ok(b) => b,
        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return too_large(&intake, payload);
        }
        Err(e) => {
            Stats::add(&stats.bad_requests, 1);
            return error(e.status(), payload, INVALID_ARGUMENT, e.body_text());
        }
    };
    let limit = intake.max_request_bytes;
    // Decoding is CPU work: keep it off the threads that accept connections.
    let decoded = tokio::task::spawn_blocking(move || {
        let raw = if gzip {
            Cow::Owned(decode::gunzip(&body, limit)?)
        } else {
            Cow::Borrowed(&body[..])
        };
        decode::decode(&raw, payload, super::INPUT_NAME)
    })
    .await;
    let batch = match decoded {
        Ok(Ok(batch)) => batch,
        Ok(Err(Refused::TooLarge { .. })) => return too_large(&intake, payload),
        Ok(Err(Refused::Bad(msg))) => {
            Stats::add(&stats.bad_requests, 1);
            return error(StatusCode::BAD_REQUEST, payload, INVALID_ARGUMENT, msg);
        }
        Err(e) => {
            Stats::add(&stats.bad_requests, 1);
            let msg = format!("the request could not be decoded: {e}");
            return error(StatusCode::BAD_REQUEST, payload, INVALID_ARGUMENT, msg);
        }
    };
    match intake.accept(batch).await {
        Ok(accepted) => {
            let resp = accepted.response();
            match payload {
                Payload::Protobuf => protobuf(StatusCode::OK, resp.encode_to_vec()),
                Payload::Json => {
                    let body = match resp.partial_success {
                        Some(p) => serde_json::json!({"partialSuccess": {
                            "rejectedSpans": p.rejected_spans.to_string(),
                            "errorMessage": p.error_message,
                        }}),
                        None => serde_json::json!({}),
                    };
                    (StatusCode::OK, axum::Json(body)).into_response()
                }
            }
        }
        Err(_) => error(
            StatusCode::SERVICE_UNAVAILABLE,
            payload,
            UNAVAILABLE,
            "tracetopo is shutting down".to_string(),
        ),
    }
}

fn too_large(intake: &Intake, payload: Payload) -> Response {
    Stats::add(&intake.stats.too_large, 1);
    let msg = format!(
        "request larger than the limit of {} bytes",
        intake.max_request_bytes
    );
    error(
        StatusCode::PAYLOAD_TOO_LARGE,
        payload,
        RESOURCE_EXHAUSTED,
        msg,
    )
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
