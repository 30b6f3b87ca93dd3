"""Sends a Go-service-shaped trace with its logs to an OTLP endpoint with the OpenTelemetry
Python SDK's log and span exporters (HTTP or gRPC). Used by tests/logs.rs against tracetopo's
receiver.

Per request: a SERVER span of "orders" with an INTERNAL child; inside them, records logged
through Python's logging with the request's context (the SDK stamps the trace and span ids),
and one logged with the context detached (a goroutine given context.Background()). Before any
request, one start-up record.

Prints one JSON object: {"spans": N, "logs": N, "with_context": N, "without_context_in_request": N,
"startup": N}.
"""

import argparse
import json
import logging
import sys

from opentelemetry import context, trace
from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor


def exporters(protocol, endpoint):
    if protocol == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

        return (
            OTLPSpanExporter(endpoint=endpoint, insecure=True),
            OTLPLogExporter(endpoint=endpoint, insecure=True),
        )
    from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    base = endpoint.rstrip("/")
    return (
        OTLPSpanExporter(endpoint=base + "/v1/traces"),
        OTLPLogExporter(endpoint=base + "/v1/logs"),
    )


def main():
    a = argparse.ArgumentParser()
    a.add_argument("--protocol", choices=["grpc", "http"], required=True)
    a.add_argument("--endpoint", required=True, help="grpc: host:port; http: http://host:port")
    a.add_argument("--requests", type=int, default=3)
    args = a.parse_args()

    resource = Resource.create({"service.name": "orders", "service.instance.id": "orders-1"})
    span_exporter, log_exporter = exporters(args.protocol, args.endpoint)
    tp = TracerProvider(resource=resource)
    tp.add_span_processor(BatchSpanProcessor(span_exporter, schedule_delay_millis=50))
    lp = LoggerProvider(resource=resource)
    lp.add_log_record_processor(BatchLogRecordProcessor(log_exporter, schedule_delay_millis=50))

    log = logging.getLogger("orders")
    log.setLevel(logging.DEBUG)
    log.propagate = False
    log.addHandler(LoggingHandler(level=logging.DEBUG, logger_provider=lp))

    tracer = tp.get_tracer("google.golang.org/grpc")
    counts = {"spans": 0, "logs": 0, "with_context": 0, "without_context_in_request": 0,
              "startup": 0}
    log.info("orders starting")
    counts["startup"] += 1
    for i in range(args.requests):
        with tracer.start_as_current_span("orders.OrderService/Create", kind=trace.SpanKind.SERVER):
            log.info("request received %d", i)
            with tracer.start_as_current_span("validate"):
                log.warning("slow validation %d", i)
            counts["with_context"] += 2
            # The context is lost: what a goroutine started with context.Background() logs.
            token = context.attach(context.Context())
            try:
                log.error("charging card %d", i)
            finally:
                context.detach(token)
            counts["without_context_in_request"] += 1
        counts["spans"] += 2
    counts["logs"] = counts["with_context"] + counts["without_context_in_request"] + counts["startup"]
    for p in (tp, lp):
        p.force_flush()
        p.shutdown()
    print(json.dumps(counts))


if __name__ == "__main__":
    sys.exit(main())
