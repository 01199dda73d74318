// Package server is lienthong's HTTP layer: the API under /v1 that
// docs/openapi.yaml describes (departments, their tokens, sources,
// streams, mapping versions, runs, rejects, the change log, the portal's
// pre-fill and the citizens' access reports), the liveness and readiness
// probes, the Prometheus metrics and, when given, the console at
// /console/.
//
// Handlers decode a request, call internal/ops (or, for the probes and
// the pre-fill, a store) and encode the answer; they hold no rule of who
// may do what, which ops decides for the API and the console alike. Every
// route is listed in routes.go; a bearer middleware resolves the caller;
// every error leaves as RFC 9457 problem details, translated from ops's
// errors in one place (errors.go); every request goes through one
// middleware chain (request id, logging, recover, body limit, deadline).
//
// The package must not open department systems, run syncs or write to a
// store itself: what changes goes through ops.
package server

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/lienthong/lienthong/internal/ops"
	"github.com/lienthong/lienthong/national"
	"github.com/lienthong/lienthong/sync/state"
)

// StreamInfo is a registered stream as the API shows it: its names and
// settings, never a secret.
type StreamInfo struct {
	Department string `json:"department"`
	Source     string `json:"source"`
	Stream     string `json:"stream"`
	// Schedule is the stream's cron schedule; empty when it runs only on
	// demand.
	Schedule string `json:"schedule,omitempty"`
	// Mode is incremental or full_refresh.
	Mode string `json:"mode"`
	// Kind is the record kind the stream delivers, when the configuration
	// states it.
	Kind string `json:"kind,omitempty"`
}

// FullName is "department/source/stream", as the CLI writes it.
func (s StreamInfo) FullName() string { return s.Department + "/" + s.Source + "/" + s.Stream }

// Options are what the HTTP layer needs; it holds no sync logic.
type Options struct {
	// State is the state store: the run ledger, checkpoints and rejects.
	State *state.Store
	// National is the national store, read by the pre-fill routes.
	National national.Store
	// Access holds the pre-fill and audit routes' forms, audit log, client
	// register and administrator token (which every /v1 route accepts).
	Access Access
	// Ops is what departments and the administrator do: every route of
	// departments, tokens, sources, streams, mappings, runs, rejects and
	// the change log calls it. Without it (or without its Registry) those
	// routes answer 503, and the run ledger's routes read State.
	Ops *ops.Service
	// Console, when set, serves the operator and department console at
	// /console/ (built by package console on the same Ops).
	Console http.Handler
	// Gatherer is main's registry, with the Go and process collectors.
	Gatherer prometheus.Gatherer
	// Ready holds the named readiness checks (stores reachable, migrations
	// current, scheduler running); /readyz answers 200 only when each
	// returns nil.
	Ready map[string]func(context.Context) error
	// Log receives one line per request and every recovered panic.
	Log *slog.Logger
	// Timeout bounds each request's work; default 30s.
	Timeout time.Duration
	// heartbeat is how often a run's event stream sends a comment line
	// when nothing changed; heartbeatEvery unless a test sets it.
	heartbeat time.Duration
	// MaxBody bounds a request body (a source, a mapping file); default 1
	// MiB. A body over it is answered 413.
	MaxBody int64
}

// New builds the whole HTTP handler from its dependencies.
func New(o Options) http.Handler {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	if o.heartbeat <= 0 {
		o.heartbeat = heartbeatEvery
	}
	if o.MaxBody <= 0 {
		o.MaxBody = 1 << 20
	}
	if o.Gatherer == nil {
		o.Gatherer = prometheus.NewRegistry()
	}
	if o.Ops == nil {
		// The run ledger's routes need only the state store.
		o.Ops = &ops.Service{State: o.State, Clients: o.Access.Clients, Log: o.Log}
	}
	s := &server{Options: o}
	return chain(s.routes(),
		requestID,
		logRequests(o.Log),
		recoverPanics(o.Log),
		limitBody(o.MaxBody),
		deadline(o.Timeout),
	)
}

// HTTPServer returns an http.Server for h on addr with the timeouts a
// server facing a network needs (slow clients cannot hold connections).
func HTTPServer(addr string, h http.Handler) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
}

// server is the handlers' shared state: the options, nothing mutable.
type server struct {
	Options
	mux *http.ServeMux
	// patterns lists the routes as routes registered them, for the test
	// that holds them to docs/openapi.yaml.
	patterns []string
}
