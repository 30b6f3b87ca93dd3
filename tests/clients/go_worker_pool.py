"""Go-style traces of two goroutine bugs, recorded with the OpenTelemetry Python SDK's
ConsoleSpanExporter (spans on stdout, as a program prints them).

- inventory: a worker pool whose goroutine 500 was started by the first request with that
  request's context and kept it; every later request's `stock.Reserve` runs on it, parented to
  the first request's span, long after it ended (stale_parent, one per later request).
- orders: `orders.notify` starts on goroutine 71 inside its request and outlives it
  (span_outlives_parent, not stale_parent).

Writes what it built to the JSON file named by its one argument: the stale children (span id)
with the request each served (trace id and span id), and the outliving child.
"""

import json
import sys

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import ConsoleSpanExporter, SimpleSpanProcessor

MS = 1_000_000
T0 = 1_764_000_000_000_000_000


def tracer(service, instance):
    provider = TracerProvider(
        resource=Resource.create(
            {"service.name": service, "service.instance.id": instance}
        )
    )
    provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter()))
    return provider, provider.get_tracer("go.opentelemetry.io/contrib/example")


def span(tr, name, kind, start, end, goroutine, parent=None):
    ctx = trace.set_span_in_context(parent) if parent is not None else None
    s = tr.start_span(
        name,
        context=ctx,
        kind=kind,
        start_time=start,
        attributes={"goroutine.id": goroutine, "rpc.system": "grpc"},
    )
    s.end(end_time=end)
    return s


def hexes(s):
    c = s.get_span_context()
    return {"trace": format(c.trace_id, "032x"), "span": format(c.span_id, "016x")}


def main():
    inv_provider, inv = tracer("inventory", "inventory-7c9d5-1")
    server = trace.SpanKind.SERVER
    internal = trace.SpanKind.INTERNAL
    reserve = "inventory.Stock/Reserve"
    # The first request: the pool's worker starts here, with this request's context.
    first = inv.start_span(reserve, kind=server, start_time=T0, attributes={"goroutine.id": 31})
    span(inv, "stock.Reserve", internal, T0 + 2 * MS, T0 + 10 * MS, 500, first)
    first.end(end_time=T0 + 20 * MS)
    stale = []
    for k in range(1, 4):
        at = T0 + k * 1_000 * MS
        request = inv.start_span(
            reserve, kind=server, start_time=at, attributes={"goroutine.id": 31 + 10 * k}
        )
        # The job of this request, run by the worker with the first request's context.
        job = span(inv, "stock.Reserve", internal, at + 2 * MS, at + 12 * MS, 500, first)
        request.end(end_time=at + 20 * MS)
        stale.append({"child": hexes(job), "served": hexes(request)})

    ord_provider, orders = tracer("orders", "orders-5f6b7-1")
    at = T0 + 5_000 * MS
    create = orders.start_span(
        "orders.Orders/Create", kind=server, start_time=at, attributes={"goroutine.id": 70}
    )
    notify = span(orders, "orders.notify", internal, at + 5 * MS, at + 60 * MS, 71, create)
    create.end(end_time=at + 20 * MS)

    inv_provider.shutdown()
    ord_provider.shutdown()
    with open(sys.argv[1], "w") as f:
        json.dump({"stale": stale, "outlives": hexes(notify)}, f)


main()
