"""Writes Go-service-shaped traces that start new traces on purpose, with the OpenTelemetry
Python SDK's ConsoleSpanExporter, to a file tracetopo reads (tests/it/links.rs).

Two scenarios, each with span links (--links) or without (the same code that lost them):
- a Kafka batch consumer: order-svc publishes one message in each of three requests (three
  traces); shipping-svc consumes the three in one batch, a new root CONSUMER span that links
  each message's PRODUCER span (the messaging semantic conventions);
- an async job: report-svc serves POST /reports and starts the report build as a new trace
  (it outlives the request), linked to the request's SERVER span.

Span names, service names and goroutine.id attributes are what Go services instrumented with
otelhttp/otelsarama record. Times are explicit, so the layout is the same on every run.

Prints one JSON object: {"producers": [[trace, span] x3], "consumer": [trace, span],
"request": [trace, span], "job": [trace, span]} with lowercase hex ids.
"""

import argparse
import json
import time

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import ConsoleSpanExporter, SimpleSpanProcessor
from opentelemetry.trace import Link, SpanKind

MS = 1_000_000


def ids(span):
    c = span.get_span_context()
    return [f"{c.trace_id:032x}", f"{c.span_id:016x}"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--links", action="store_true")
    args = ap.parse_args()

    out = open(args.out, "w")
    providers = []

    def tracer(service):
        p = TracerProvider(
            resource=Resource.create(
                {
                    "service.name": service,
                    "service.instance.id": f"{service}-7d9f",
                    "telemetry.sdk.language": "go",
                }
            )
        )
        p.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter(out=out)))
        providers.append(p)
        return p.get_tracer("go.opentelemetry.io/contrib/instrumentation")

    orders = tracer("order-svc")
    shipping = tracer("shipping-svc")
    reports = tracer("report-svc")
    t0 = time.time_ns()
    result = {"producers": []}

    def span(tr, name, kind, start, end, parent=None, attrs=None, links=None):
        ctx = trace.set_span_in_context(parent) if parent is not None else Context()
        s = tr.start_span(
            name, context=ctx, kind=kind, start_time=t0 + start, attributes=attrs or {},
            links=links or [],
        )
        return s, end

    def end(pair):
        s, e = pair
        s.end(end_time=t0 + e)
        return s

    # Three requests to order-svc, each publishing one message to the "orders" topic.
    producers = []
    for k in range(3):
        at = k * 10 * MS
        req = span(
            orders, "POST /orders", SpanKind.SERVER, at, at + 8 * MS,
            attrs={"http.route": "/orders", "goroutine.id": 100 + k},
        )
        pub = span(
            orders, "orders publish", SpanKind.PRODUCER, at + MS, at + 2 * MS, parent=req[0],
            attrs={
                "messaging.system": "kafka",
                "messaging.destination.name": "orders",
                "messaging.operation": "publish",
                "goroutine.id": 100 + k,
            },
        )
        producers.append(end(pub))
        end(req)
        result["producers"].append(ids(producers[-1]))

    # shipping-svc's consumer group handler: one batch of the three messages, a new trace.
    links = [Link(p.get_span_context()) for p in producers] if args.links else []
    batch = span(
        shipping, "orders process", SpanKind.CONSUMER, 50 * MS, 60 * MS,
        attrs={
            "messaging.system": "kafka",
            "messaging.destination.name": "orders",
            "messaging.operation": "process",
            "messaging.batch.message_count": 3,
            "goroutine.id": 200,
        },
        links=links,
    )
    sched = span(
        shipping, "shipping.(*Scheduler).Schedule", SpanKind.INTERNAL, 51 * MS, 59 * MS,
        parent=batch[0], attrs={"goroutine.id": 200},
    )
    end(sched)
    result["consumer"] = ids(end(batch))

    # report-svc: the request returns 202 at once; the build runs on in its own trace.
    req = span(
        reports, "POST /reports", SpanKind.SERVER, 200 * MS, 220 * MS,
        attrs={"http.route": "/reports", "goroutine.id": 300},
    )
    job_links = [Link(req[0].get_span_context())] if args.links else []
    job = span(
        reports, "reports.(*Builder).Build", SpanKind.INTERNAL, 210 * MS, 900 * MS,
        attrs={"goroutine.id": 301}, links=job_links,
    )
    render = span(
        reports, "reports.render", SpanKind.INTERNAL, 230 * MS, 880 * MS, parent=job[0],
        attrs={"goroutine.id": 301},
    )
    end(render)
    result["job"] = ids(end(job))
    result["request"] = ids(end(req))

    for p in providers:
        p.shutdown()
    out.close()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
