package server

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/lienthong/lienthong/clients"
)

// routes lists every route. docs/openapi.yaml describes each /v1 route and
// the probes; a test fails when the two lists differ.
func (s *server) routes() http.Handler {
	mux := http.NewServeMux()
	handle := func(pattern string, h http.Handler) {
		s.patterns = append(s.patterns, pattern)
		mux.Handle(pattern, h)
	}
	open := func(pattern string, h http.HandlerFunc) { handle(pattern, h) }
	// token: the caller must hold a valid bearer token; what it may do
	// there is internal/ops's decision.
	token := func(pattern string, h http.HandlerFunc) { handle(pattern, s.authenticate(h)) }
	// ops: a token route whose handler calls internal/ops.
	opsRoute := func(pattern string, h http.HandlerFunc) { token(pattern, s.needOps(h)) }

	open("GET /healthz", s.healthz)
	open("GET /readyz", s.readyz)
	handle("GET /metrics", promhttp.HandlerFor(s.Gatherer, promhttp.HandlerOpts{
		ErrorHandling:     promhttp.ContinueOnError,
		ErrorLog:          promLogger{s.Log},
		Timeout:           s.Timeout,
		EnableOpenMetrics: false,
	}))
	open("GET /v1/openapi.yaml", s.openAPI)

	opsRoute("GET /v1/streams", s.listStreams)
	token("GET /v1/runs", s.listRuns)
	token("GET /v1/runs/{id}", s.getRun)
	opsRoute("GET /v1/changes", s.listChanges)

	const (
		dept   = "/v1/departments/{dept}"
		source = dept + "/sources/{source}"
		stream = source + "/streams/{stream}"
		mapv   = stream + "/mappings/{version}"
		run    = dept + "/runs/{id}"
	)
	opsRoute("GET /v1/departments", s.listDepartments)
	opsRoute("POST /v1/departments", s.createDepartment)
	opsRoute("GET "+dept, s.getDepartment)
	opsRoute("DELETE "+dept, s.deleteDepartment)
	opsRoute("GET "+dept+"/tokens", s.listTokens)
	opsRoute("POST "+dept+"/tokens", s.issueToken)
	opsRoute("DELETE "+dept+"/tokens/{name}", s.revokeToken)

	opsRoute("GET "+dept+"/sources", s.listSources)
	opsRoute("POST "+dept+"/sources", s.createSource)
	opsRoute("GET "+source, s.getSource)
	opsRoute("PUT "+source, s.updateSource)
	opsRoute("DELETE "+source, s.deleteSource)
	opsRoute("GET "+source+"/discover", s.discover)
	opsRoute("POST "+source+"/streams", s.createStream)
	opsRoute("GET "+stream, s.getStream)
	opsRoute("PUT "+stream, s.updateStream)
	opsRoute("DELETE "+stream, s.deleteStream)
	opsRoute("GET "+stream+"/mappings", s.listMappings)
	opsRoute("POST "+stream+"/mappings", s.uploadMapping)
	opsRoute("GET "+mapv, s.getMapping)
	opsRoute("POST "+mapv+"/test", s.testMapping)
	opsRoute("POST "+mapv+"/activate", s.activateMapping)
	opsRoute("POST "+stream+"/runs", s.triggerRun)

	opsRoute("GET "+dept+"/runs", s.listDepartmentRuns)
	opsRoute("GET "+run, s.getDepartmentRun)
	opsRoute("GET "+run+"/events", s.followRun)
	opsRoute("POST "+run+"/cancel", s.cancelRun)
	opsRoute("GET "+dept+"/rejects", s.listRejects)
	opsRoute("GET "+dept+"/rejects.csv", s.exportRejects)
	opsRoute("POST "+dept+"/rejects/retry", s.retryRejects)

	open("GET /v1/forms", s.listForms)
	handle("GET /v1/prefill/{id_number}", s.requireScope(clients.ScopePrefill, false)(http.HandlerFunc(s.prefill)))
	handle("GET /v1/audit/subjects/{id_number}", s.requireScope(clients.ScopeAuditSubject, true)(http.HandlerFunc(s.auditSubject)))

	open("GET /forms/{$}", s.demoForms)
	open("GET /forms/{form}", s.demoForm)
	if s.Console != nil {
		handle("/console/", s.Console)
	}
	open("/", s.notFound)
	s.mux = mux
	return mux
}

// needOps answers 503 on a server built without the registry.
func (s *server) needOps(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.Ops == nil || s.Ops.Registry == nil {
			problem(w, r, http.StatusServiceUnavailable, "registration is not configured on this server")
			return
		}
		next(w, r)
	}
}
