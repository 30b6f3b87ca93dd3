"""Sends Go-service-shaped traces to an OTLP endpoint with the OpenTelemetry Python SDK.

Used by tests/it/live against tracetopo's receiver. Two services (two TracerProviders with
their own resources) share each trace: gateway SERVER -> CLIENT -> orders SERVER -> a
type.convert span with a goroutine id. The batch processor exports a few spans per request,
so every trace reaches the receiver over several requests, as from a real Collector.

Prints one JSON object: {"spans": N, "traces": {trace_id_hex: [span_id_hex, ...]}}.
"""

import argparse
import json
import sys

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult


class Recording(SpanExporter):
    """Wraps the real exporter and remembers what it was asked to send and whether it was sent."""

    def __init__(self, inner, sent):
        self.inner = inner
        self.sent = sent

    def export(self, spans):
        result = self.inner.export(spans)
        if result != SpanExportResult.SUCCESS:
            print(f"export of {len(spans)} spans failed: {result}", file=sys.stderr)
            sys.exit(3)
        for s in spans:
            ctx = s.get_span_context()
            self.sent.setdefault(f"{ctx.trace_id:032x}", []).append(f"{ctx.span_id:016x}")
        return result

    def shutdown(self):
        self.inner.shutdown()

    def force_flush(self, timeout_millis=30000):
        return self.inner.force_flush(timeout_millis)


def exporter(protocol, endpoint, gzip):
    if protocol == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
        from grpc import Compression

        return OTLPSpanExporter(
            endpoint=endpoint,
            insecure=True,
            compression=Compression.Gzip if gzip else None,
        )
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.exporter.otlp.proto.http import Compression

    return OTLPSpanExporter(
        endpoint=endpoint.rstrip("/") + "/v1/traces",
        compression=Compression.Gzip if gzip else Compression.NoCompression,
    )


def provider(service, protocol, endpoint, gzip, sent, batch):
    p = TracerProvider(
        resource=Resource.create(
            {"service.name": service, "service.instance.id": f"{service}-1", "telemetry.sdk.language": "go"}
        )
    )
    p.add_span_processor(
        BatchSpanProcessor(
            Recording(exporter(protocol, endpoint, gzip), sent),
            max_export_batch_size=batch,
            schedule_delay_millis=50,
        )
    )
    return p


def main():
    a = argparse.ArgumentParser()
    a.add_argument("--protocol", choices=["grpc", "http"], required=True)
    a.add_argument("--endpoint", required=True, help="grpc: host:port; http: http://host:port")
    a.add_argument("--traces", type=int, default=5)
    a.add_argument("--batch", type=int, default=3, help="spans per export request")
    a.add_argument("--gzip", action="store_true")
    args = a.parse_args()

    sent = {}
    gw = provider("gateway", args.protocol, args.endpoint, args.gzip, sent, args.batch)
    orders = provider("orders", args.protocol, args.endpoint, args.gzip, sent, args.batch)
    g = gw.get_tracer("net/http")
    o = orders.get_tracer("google.golang.org/grpc")
    K = trace.SpanKind
    for i in range(args.traces):
        with g.start_as_current_span(f"GET /checkout/{i}", kind=K.SERVER):
            with g.start_as_current_span("orders.OrderService/Create", kind=K.CLIENT,
                                         attributes={"rpc.service": "orders.OrderService",
                                                     "rpc.method": "Create"}):
                # The server side continues the client's context, as propagation would.
                with o.start_as_current_span("orders.OrderService/Create", kind=K.SERVER,
                                             attributes={"rpc.service": "orders.OrderService",
                                                         "rpc.method": "Create",
                                                         "goroutine.id": 17 + i}):
                    with o.start_as_current_span("type.convert.[]byte.to.*dto.Order",
                                                 attributes={"convert.from": "[]byte",
                                                             "convert.to": "*dto.Order",
                                                             "goroutine.id": 17 + i}):
                        pass
    for p in (gw, orders):
        p.force_flush()
        p.shutdown()
    total = sum(len(v) for v in sent.values())
    print(json.dumps({"spans": total, "traces": sent}))


if __name__ == "__main__":
    main()
