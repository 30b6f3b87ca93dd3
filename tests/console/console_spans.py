"""Prints the OpenTelemetry Python SDK's ConsoleSpanExporter output of a small request, with
the service's own log lines among the spans (tests/console.rs reads it).

Its context mistakes are deliberate: "web" calls "pricing" without injecting the context
(pricing's server span starts a new trace: a propagation break), and "web" starts one span
with an empty context while serving the request (a detached root)."""

import json
import sys
import time

from opentelemetry import context, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import ConsoleSpanExporter, SimpleSpanProcessor


def tracer(service):
    p = TracerProvider(resource=Resource.create({"service.name": service}))
    p.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter(out=sys.stdout)))
    return p.get_tracer("shop." + service)


web, pricing = tracer("web"), tracer("pricing")
print("web: listening on :8000", flush=True)
with web.start_as_current_span("GET /cart", kind=trace.SpanKind.SERVER) as cart:
    cart.set_attribute("http.route", "/cart")
    cart.set_attribute("cart.items", [1, 2, 3])
    cart.add_event("cache miss", {"key": "cart:42"})
    with web.start_as_current_span(
        "GET /prices",
        kind=trace.SpanKind.CLIENT,
        attributes={"peer.service": "pricing", "url.path": "/prices"},
    ):
        # The mistake: no propagate.inject(headers); pricing starts its own trace.
        with pricing.start_as_current_span(
            "GET /prices",
            context=context.Context(),
            kind=trace.SpanKind.SERVER,
            attributes={"http.route": "/prices"},
        ):
            time.sleep(0.002)
    print(json.dumps({"level": "info", "msg": "priced"}), flush=True)
    with web.start_as_current_span("render cart"):
        pass
    # The other mistake: a background job started with an empty context.
    with web.start_as_current_span("refresh recommendations", context=context.Context()):
        time.sleep(0.001)
print("web: request done", flush=True)
