//! OTLP/gRPC: `TraceService/Export` through opentelemetry-proto's generated tonic server.

use std::net::TcpListener;
use std::sync::Arc;

use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use tokio::sync::watch;
use tonic::codec::CompressionEncoding;
use tonic::{Request, Response, Status};

use super::server::{Intake, stopped};
use super::stats::Stats;
use crate::ingest::otlp_proto;

struct Grpc(Arc<Intake>);

#[tonic::async_trait]
impl TraceService for Grpc {
    async fn export(
        &self,
        request: Request<ExportTraceServiceRequest>,
    ) -> Result<Response<ExportTraceServiceResponse>, Status> {
        Stats::add(&self.0.stats.requests, 1);
        let batch = otlp_proto::batch_from_request(request.get_ref(), super::INPUT_NAME);
        let accepted = self
            .0
            .accept(batch)
            .await
            .map_err(|_| Status::unavailable("tracetopo is shutting down"))?;
        Ok(Response::new(accepted.response()))
    }
}

pub(crate) async fn serve(
    listener: TcpListener,
    intake: Arc<Intake>,
    stop: watch::Receiver<bool>,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let limit = intake.max_request_bytes;
    let service = TraceServiceServer::new(Grpc(intake))
        .accept_compressed(CompressionEncoding::Gzip)
        .send_compressed(CompressionEncoding::Gzip)
        .max_decoding_message_size(limit);
    let incoming =
        tonic::transport::server::TcpIncoming::from(tokio::net::TcpListener::from_std(listener)?);
    tonic::transport::Server::builder()
        .add_service(service)
        .serve_with_incoming_shutdown(incoming, stopped(stop))
        .await?;
    Ok(())
}
