//! OTLP/gRPC answers through opentelemetry-proto's generated tonic client: success without
//! partial success, partial success for spans over the retention limit, and the size limit.

use std::sync::Arc;

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
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
    let (sink, mut rx) = server::sink();
    let srv = Server::start(&cfg, sink, Arc::clone(&stats)).unwrap();
    let mut client = TraceServiceClient::connect(format!("http://{}", srv.grpc_addr))
        .await
        .unwrap();

    let ok = client.export(request(3, 4)).await.unwrap().into_inner();
    assert_eq!(ok.partial_success, None);
    assert_eq!(rx.recv().await.unwrap().spans.len(), 3);

    // More spans in one request than the store may hold: the excess is rejected.
    let cut = client.export(request(8, 4)).await.unwrap().into_inner();
    let p = cut.partial_success.expect("partial success");
    assert_eq!(p.rejected_spans, 3);
    assert!(
        p.error_message.contains("retention limit"),
        "{}",
        p.error_message
    );
    assert_eq!(rx.recv().await.unwrap().spans.len(), 5);

    // Over the request size limit: refused before decoding.
    let err = client.export(request(1, 100 << 10)).await.unwrap_err();
    assert!(
        matches!(
            err.code(),
            tonic::Code::OutOfRange | tonic::Code::ResourceExhausted
        ),
        "{err:?}"
    );
    assert!(rx.try_recv().is_err());
    assert_eq!(stats.snapshot().spans, 8);
    drop(client);
    srv.stop();
}
