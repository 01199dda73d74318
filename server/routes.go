package server

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/lienthong/lienthong/clients"
)

// routes lists every route of the API.
func (s *server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /readyz", s.readyz)
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.Gatherer, promhttp.HandlerOpts{
		ErrorHandling:     promhttp.ContinueOnError,
		ErrorLog:          promLogger{s.Log},
		Timeout:           s.Timeout,
		EnableOpenMetrics: false,
	}))
	mux.HandleFunc("GET /v1/streams", s.listStreams)
	mux.HandleFunc("GET /v1/runs", s.listRuns)
	mux.HandleFunc("GET /v1/runs/{id}", s.getRun)
	mux.HandleFunc("GET /v1/forms", s.listForms)
	mux.Handle("GET /v1/prefill/{id_number}", s.requireScope(clients.ScopePrefill, false)(http.HandlerFunc(s.prefill)))
	mux.Handle("GET /v1/audit/subjects/{id_number}", s.requireScope(clients.ScopeAuditSubject, true)(http.HandlerFunc(s.auditSubject)))
	mux.HandleFunc("GET /forms/{$}", s.demoForms)
	mux.HandleFunc("GET /forms/{form}", s.demoForm)
	mux.HandleFunc("/", s.notFound)
	s.mux = mux
	return mux
}
