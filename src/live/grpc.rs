//! OTLP/gRPC: `TraceService/Export` and `LogsService/Export`, served by tonic with a codec that hands over the raw
//! message instead of decoding it, so that its decoded size is estimated (`cost`) and charged
//! to the in-flight budget before anything is materialised. Status codes follow the OTLP spec:
//! a malformed request is `INVALID_ARGUMENT`; one over a size limit `RESOURCE_EXHAUSTED`
//! without retry advice (permanent); one refused for lack of budget `RESOURCE_EXHAUSTED` with
//! `RetryInfo` (retry after it); shutting down or unable to store, `UNAVAILABLE`.

use std::convert::Infallible;
use std::net::TcpListener;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::{Buf, Bytes};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceResponse;
use prost::Message;
use tokio::sync::watch;
use tokio_stream::wrappers::ReceiverStream;
use tonic::body::Body as GrpcBody;
use tonic::codec::{Codec, CompressionEncoding, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::codegen::{BoxFuture, Service, StdError, http};
use tonic::server::{Grpc, NamedService, UnaryService};
use tonic::{Code, Request, Response, Status};

use super::budget::Permit;
use super::conn;
use super::decode::{Payload, Signal};
use super::server::{Intake, RETRY_AFTER, Refusal, stopped};
use super::stats::Stats;

/// HTTP/2 flow-control window per connection and per stream.
const FLOW_WINDOW: u32 = 256 << 10;

const EXPORT: &str = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";
const LOGS_EXPORT: &str = "/opentelemetry.proto.collector.logs.v1.LogsService/Export";

/// Requests as the bytes of their message; responses encoded with prost.
#[derive(Clone, Copy, Default)]
struct RawCodec;

impl Codec for RawCodec {
    type Encode = ExportTraceServiceResponse;
    type Decode = Bytes;
    type Encoder = RawCodec;
    type Decoder = RawCodec;

    fn encoder(&mut self) -> RawCodec {
        RawCodec
    }

    fn decoder(&mut self) -> RawCodec {
        RawCodec
    }
}

impl Encoder for RawCodec {
    type Item = ExportTraceServiceResponse;
    type Error = Status;

    fn encode(&mut self, item: Self::Item, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        item.encode(dst)
            .map_err(|e| Status::internal(format!("cannot encode the response: {e}")))
    }
}

impl Decoder for RawCodec {
    type Item = Bytes;
    type Error = Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Bytes>, Status> {
        Ok(Some(src.copy_to_bytes(src.remaining())))
    }
}

/// `google.rpc.RetryInfo` and the parts of `google.rpc.Status` that carry it.
mod details {
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Duration {
        #[prost(int64, tag = "1")]
        pub seconds: i64,
        #[prost(int32, tag = "2")]
        pub nanos: i32,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct RetryInfo {
        #[prost(message, optional, tag = "1")]
        pub retry_delay: Option<Duration>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Any {
        #[prost(string, tag = "1")]
        pub type_url: String,
        #[prost(bytes = "vec", tag = "2")]
        pub value: Vec<u8>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct RpcStatus {
        #[prost(int32, tag = "1")]
        pub code: i32,
        #[prost(string, tag = "2")]
        pub message: String,
        #[prost(message, repeated, tag = "3")]
        pub details: Vec<Any>,
    }

    pub const RETRY_INFO: &str = "type.googleapis.com/google.rpc.RetryInfo";
}

/// `RESOURCE_EXHAUSTED` with `RetryInfo`: the OTLP spec's signal that the client may retry.
fn busy() -> Status {
    use prost::Message;
    let code = Code::ResourceExhausted;
    let message = "tracetopo is busy with other requests: retry later";
    let retry = details::RetryInfo {
        retry_delay: Some(details::Duration {
            seconds: RETRY_AFTER.as_secs() as i64,
            nanos: 0,
        }),
    };
    let status = details::RpcStatus {
        code: code as i32,
        message: message.into(),
        details: vec![details::Any {
            type_url: details::RETRY_INFO.into(),
            value: retry.encode_to_vec(),
        }],
    };
    Status::with_details(code, message, status.encode_to_vec().into())
}

fn refused(r: Refusal) -> Status {
    match r {
        Refusal::Bad(m) => Status::invalid_argument(m),
        Refusal::TooLarge(m) => Status::resource_exhausted(m),
        Refusal::Busy => busy(),
        Refusal::Closed(m) => Status::unavailable(m),
    }
}

/// One export: the message's bytes, with the budget share taken before they were read.
struct Export {
    intake: Arc<Intake>,
    permit: Option<Permit>,
    signal: Signal,
}

impl UnaryService<Bytes> for Export {
    type Response = ExportTraceServiceResponse;
    type Future = BoxFuture<Response<Self::Response>, Status>;

    fn call(&mut self, request: Request<Bytes>) -> Self::Future {
        let intake = Arc::clone(&self.intake);
        let permit = self.permit.take();
        let signal = self.signal;
        Box::pin(async move {
            let permit = permit.ok_or_else(|| Status::internal("export called twice"))?;
            let body = request.into_inner();
            intake
                .export(body, Payload::Protobuf, signal, false, permit)
                .await
                .map(|a| Response::new(a.response()))
                .map_err(refused)
        })
    }
}

/// One OTLP export service: its name, its method's path and the signal it carries.
trait OtlpService: Send + Sync + 'static {
    const NAME: &'static str;
    const PATH: &'static str;
    const SIGNAL: Signal;
}

/// `TraceService`.
struct Traces;

impl OtlpService for Traces {
    const NAME: &'static str = "opentelemetry.proto.collector.trace.v1.TraceService";
    const PATH: &'static str = EXPORT;
    const SIGNAL: Signal = Signal::Traces;
}

/// `LogsService`: the same intake. Its response is encoded as the traces one, which is the
/// same message on the wire (field 1: partial success of an int64 count and a message).
struct Logs;

impl OtlpService for Logs {
    const NAME: &'static str = "opentelemetry.proto.collector.logs.v1.LogsService";
    const PATH: &'static str = LOGS_EXPORT;
    const SIGNAL: Signal = Signal::Logs;
}

/// The server of the export service `E`.
struct ExportService<E>(Arc<Intake>, std::marker::PhantomData<E>);

impl<E> ExportService<E> {
    fn new(intake: Arc<Intake>) -> Self {
        ExportService(intake, std::marker::PhantomData)
    }
}

// By hand: a derive would ask `E: Clone` of the marker.
impl<E> Clone for ExportService<E> {
    fn clone(&self) -> Self {
        ExportService::new(Arc::clone(&self.0))
    }
}

impl<E: OtlpService> NamedService for ExportService<E> {
    const NAME: &'static str = E::NAME;
}

impl<B, E: OtlpService> Service<http::Request<B>> for ExportService<E>
where
    B: tonic::codegen::Body + Send + 'static,
    B::Error: Into<StdError> + Send + 'static,
{
    type Response = http::Response<GrpcBody>;
    type Error = Infallible;
    type Future = BoxFuture<Self::Response, Infallible>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        Box::pin(call(Arc::clone(&self.0), req, E::PATH, E::SIGNAL))
    }
}

/// One call of `path` (the only method a service serves) exporting `signal`.
async fn call<B>(
    intake: Arc<Intake>,
    req: http::Request<B>,
    path: &'static str,
    signal: Signal,
) -> Result<http::Response<GrpcBody>, Infallible>
where
    B: tonic::codegen::Body + Send + 'static,
    B::Error: Into<StdError> + Send + 'static,
{
    if req.uri().path() != path {
        return Ok(Status::unimplemented(format!("only {path} is served")).into_http());
    }
    Stats::add(&intake.stats.requests, 1);
    let compressed = req
        .headers()
        .get("grpc-encoding")
        .is_some_and(|v| v.as_bytes() != b"identity");
    // The message's size is not known before tonic reads it: reserve the limit.
    let permit = match intake.reserve(None, compressed).await {
        Ok(p) => p,
        Err(r) => return Ok(refused(r).into_http()),
    };
    let mut grpc = Grpc::new(RawCodec)
        .accept_compressed(CompressionEncoding::Gzip)
        .send_compressed(CompressionEncoding::Gzip)
        .max_decoding_message_size(intake.max_request_bytes);
    let export = Export {
        intake: Arc::clone(&intake),
        permit: Some(permit),
        signal,
    };
    let res = grpc.unary(export, req).await;
    Ok(spec_status(&intake, res))
}

/// What tonic answers itself before the message reaches `Export`, in the OTLP spec's terms:
/// a message over the size limit is `OUT_OF_RANGE` there (which clients retry) and a bad
/// compressed frame `INTERNAL`; both are permanent errors of the request.
fn spec_status(intake: &Intake, res: http::Response<GrpcBody>) -> http::Response<GrpcBody> {
    let Some(status) = Status::from_header_map(res.headers()) else {
        return res;
    };
    let fixed = match status.code() {
        Code::OutOfRange => {
            Stats::add(&intake.stats.too_large, 1);
            Status::resource_exhausted(format!(
                "request larger than the limit of {} bytes",
                intake.max_request_bytes
            ))
        }
        // tonic's own refusal of a body that inflates past the limit: permanent already.
        Code::ResourceExhausted if status.message().starts_with("Error decompressing") => {
            Stats::add(&intake.stats.too_large, 1);
            return res;
        }
        Code::Internal => {
            Stats::add(&intake.stats.bad_requests, 1);
            Status::invalid_argument(status.message().to_string())
        }
        _ => return res,
    };
    fixed.into_http()
}

pub(crate) async fn serve(
    listener: TcpListener,
    intake: Arc<Intake>,
    stop: watch::Receiver<bool>,
) -> conn::Served {
    let conns = conn::incoming(listener, &intake.cfg, &stop, "OTLP/gRPC")?;
    tonic::transport::Server::builder()
        // No keep-alive pings: a client answering them would keep an idle connection open
        // for good. A request in progress is bounded by this timeout instead.
        .timeout(intake.cfg.request_timeout)
        // What a client may send before its request is read is buffered outside the
        // in-flight budget: keep the HTTP/2 flow-control windows small (hyper: 1 MB each).
        .initial_connection_window_size(FLOW_WINDOW)
        .initial_stream_window_size(FLOW_WINDOW)
        .add_service(ExportService::<Traces>::new(Arc::clone(&intake)))
        .add_service(ExportService::<Logs>::new(intake))
        .serve_with_incoming_shutdown(ReceiverStream::new(conns), stopped(stop))
        .await?;
    Ok(())
}
