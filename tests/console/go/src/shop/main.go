// A two-service shop in one process, traced with the OpenTelemetry Go SDK's stdout exporter
// (tests/console.rs builds it offline against Debian's golang-opentelemetry-otel-dev and reads
// what it prints). Its context mistakes are deliberate: the "frontend" forgets to inject the
// context into its call to /stock (a propagation break), and the "orders" handler starts one
// goroutine with context.Background() (a detached root) next to one that keeps the request's
// context. Service log lines and a JSON log line are printed among the spans.
package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sync"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// out keeps each exporter's objects and the log lines whole on the shared stdout.
type out struct {
	mu sync.Mutex
	w  io.Writer
}

func (o *out) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.w.Write(p)
}

var stdout = &out{w: os.Stdout}

func logf(format string, a ...interface{}) {
	fmt.Fprintf(stdout, format+"\n", a...)
}

func provider(service string, pretty bool) *sdktrace.TracerProvider {
	opts := []stdouttrace.Option{stdouttrace.WithWriter(stdout)}
	if pretty {
		opts = append(opts, stdouttrace.WithPrettyPrint())
	}
	exp, err := stdouttrace.New(opts...)
	if err != nil {
		panic(err)
	}
	res := resource.NewWithAttributes("", attribute.String("service.name", service))
	return sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp), sdktrace.WithResource(res))
}

var prop = propagation.TraceContext{}

func main() {
	orders := provider("orders", true).Tracer("shop/orders")
	frontend := provider("frontend", false).Tracer("shop/frontend")

	serve := func(route string, work func(ctx context.Context)) {
		http.HandleFunc(route, func(w http.ResponseWriter, r *http.Request) {
			ctx := prop.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
			ctx, span := orders.Start(ctx, route, trace.WithSpanKind(trace.SpanKindServer),
				trace.WithAttributes(attribute.String("http.route", route)))
			defer span.End()
			work(ctx)
			fmt.Fprintln(w, "ok")
		})
	}
	serve("/orders", func(ctx context.Context) {
		var wg sync.WaitGroup
		wg.Add(2)
		go func() {
			defer wg.Done()
			_, s := orders.Start(ctx, "reserve stock")
			s.End()
		}()
		go func() {
			defer wg.Done()
			// The mistake: the request's context is not passed on.
			_, s := orders.Start(context.Background(), "audit order")
			s.End()
		}()
		wg.Wait()
	})
	serve("/stock", func(ctx context.Context) {
		_, s := orders.Start(ctx, "count stock")
		s.End()
	})

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go http.Serve(ln, nil)
	base := "http://" + ln.Addr().String()
	logf("listening on %s", ln.Addr())

	call := func(ctx context.Context, path string, inject bool) {
		ctx, span := frontend.Start(ctx, "GET "+path, trace.WithSpanKind(trace.SpanKindClient),
			trace.WithAttributes(attribute.String("peer.service", "orders"),
				attribute.String("url.path", path)))
		defer span.End()
		req, _ := http.NewRequestWithContext(ctx, "GET", base+path, nil)
		if inject {
			prop.Inject(ctx, propagation.HeaderCarrier(req.Header))
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			panic(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	ctx, root := frontend.Start(context.Background(), "checkout")
	call(ctx, "/orders", true)
	call(ctx, "/stock", false)
	root.End()
	logf(`{"level":"info","msg":"checkout done"}`)
	logf("bye")
}
