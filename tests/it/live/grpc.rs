//! OTLP/gRPC answers through opentelemetry-proto's generated tonic client: success without
//! partial success, partial success for spans over the retention limit, the size limit as a
//! permanent error, and a malformed message as INVALID_ARGUMENT (the OTLP spec's codes).

use std::sync::Arc;
use std::time::Duration;

use bytes::BufMut;
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
use prost::Message;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tracetopo::live::LiveConfig;
use tracetopo::live::server::{self, Server};
use tracetopo::live::stats::Stats;

fn request(spans: u64, name_len: usize) -> ExportTraceServiceRequest {
    let spans = (1..=spans)
        .map(|i| Span {
            trace_id: vec![7; 16],
            span_id: i.to_be_bytes().to_vec(),
            name: "x".repeat(name_len),
            start_time_unix_nano: 1_000,
            end_time_unix_nano: 2_000,
            ..Span::default()
        })
        .collect();
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: vec![KeyValue {
                    key: "service.name".into(),
                    value: Some(AnyValue {
                        value: Some(any_value::Value::StringValue("svc".into())),
                    }),
                    ..KeyValue::default()
                }],
                ..Resource::default()
            }),
            scope_spans: vec![ScopeSpans {
                spans,
                ..ScopeSpans::default()
            }],
            ..ResourceSpans::default()
        }],
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_export_answers_per_the_otlp_spec() {
    let cfg = LiveConfig {
        grpc: "127.0.0.1:0".parse().unwrap(),
        http: "127.0.0.1:0".parse().unwrap(),
        max_request_bytes: 64 << 10,
        retain_spans: 5,
        ..LiveConfig::default()
    };
    let stats = Arc::new(Stats::default());
    let (sink, rx) = server::sink();
    let srv = Server::start(&cfg, sink, Arc::clone(&stats)).unwrap();
    let kept = super::keep_all(rx);
    let next = || {
        kept.recv_timeout(Duration::from_secs(30))
            .unwrap()
            .spans
            .len()
    };
    let mut client = TraceServiceClient::connect(format!("http://{}", srv.grpc_addr))
        .await
        .unwrap();

    let ok = client.export(request(3, 4)).await.unwrap().into_inner();
    assert_eq!(ok.partial_success, None);
    assert_eq!(next(), 3);

    // More spans in one request than the store may hold: the excess is rejected.
    let cut = client.export(request(8, 4)).await.unwrap().into_inner();
    let p = cut.partial_success.expect("partial success");
    assert_eq!(p.rejected_spans, 3);
    assert!(
        p.error_message.contains("retention limit"),
        "{}",
        p.error_message
    );
    assert_eq!(next(), 5);

    // Over the request size limit: refused before decoding, as a permanent error
    // (RESOURCE_EXHAUSTED without RetryInfo; not OUT_OF_RANGE, which OTLP clients retry).
    let err = client.export(request(1, 100 << 10)).await.unwrap_err();
    assert_eq!(err.code(), tonic::Code::ResourceExhausted, "{err:?}");
    assert!(err.message().contains("limit"), "{err:?}");
    assert!(!String::from_utf8_lossy(err.details()).contains("RetryInfo"));

    // Bytes that are not an ExportTraceServiceRequest: INVALID_ARGUMENT, not INTERNAL.
    let err = raw_export(srv.grpc_addr, vec![0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01])
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::InvalidArgument, "{err:?}");
    assert!(
        err.message().contains("not an OTLP protobuf trace request"),
        "{err:?}"
    );
    assert!(kept.try_recv().is_err());
    let st = stats.snapshot();
    assert_eq!((st.spans, st.too_large, st.bad_requests), (8, 1, 1));
    drop(client);
    srv.stop();
}

/// Sends `body` as the Export message, whatever it holds.
async fn raw_export(
    addr: std::net::SocketAddr,
    body: Vec<u8>,
) -> Result<ExportTraceServiceResponse, tonic::Status> {
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready().await.unwrap();
    let path = tonic::codegen::http::uri::PathAndQuery::from_static(
        "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
    );
    grpc.unary(tonic::Request::new(body), path, RawCodec)
        .await
        .map(tonic::Response::into_inner)
}

/// Sends bytes as they are; decodes the answer with prost.
struct RawCodec;

impl Codec for RawCodec {
    type Encode = Vec<u8>;
    type Decode = ExportTraceServiceResponse;
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
    type Item = Vec<u8>;
    type Error = tonic::Status;

    fn encode(&mut self, item: Vec<u8>, dst: &mut EncodeBuf<'_>) -> Result<(), tonic::Status> {
        dst.put_slice(&item);
        Ok(())
    }
}

impl Decoder for RawCodec {
    type Item = ExportTraceServiceResponse;
    type Error = tonic::Status;

    fn decode(
        &mut self,
        src: &mut DecodeBuf<'_>,
    ) -> Result<Option<ExportTraceServiceResponse>, tonic::Status> {
        ExportTraceServiceResponse::decode(src)
            .map(Some)
            .map_err(|e| tonic::Status::internal(e.to_string()))
    }
}
