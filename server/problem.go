package server

import (
	"encoding/json"
	"net/http"

	"github.com/lienthong/lienthong/config"
)

// Problem is an RFC 9457 problem details object, the body of every error
// the API returns.
type Problem struct {
	// Type is a URI naming the kind of problem; "about:blank" when the
	// status says it all.
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	// Detail says what went wrong with this request and what to do.
	Detail   string `json:"detail,omitempty"`
	Instance string `json:"instance,omitempty"`
	// RequestID lets an operator find the request's log line.
	RequestID string `json:"request_id,omitempty"`
	// Checks holds the failed readiness checks, on /readyz only.
	Checks map[string]string `json:"checks,omitempty"`
	// Errors lists a refused registration's fields at fault, by their
	// path in the body ("streams[0].cursor").
	Errors []config.FieldError `json:"errors,omitempty"`
	// Problems lists what the check against a department's system found
	// when it refused a registration.
	Problems []string `json:"problems,omitempty"`
}

// problem writes an error as problem details. It is the only way a handler
// answers with an error.
func problem(w http.ResponseWriter, r *http.Request, status int, detail string) {
	writeProblem(w, r, Problem{Status: status, Detail: detail})
}

func writeProblem(w http.ResponseWriter, r *http.Request, p Problem) {
	if p.Type == "" {
		p.Type = "about:blank"
	}
	if p.Title == "" {
		p.Title = http.StatusText(p.Status)
	}
	p.Instance = r.URL.Path
	p.RequestID = requestIDOf(r.Context())
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(p.Status)
	json.NewEncoder(w).Encode(p)
}

// writeJSON answers 200 with v as JSON.
func writeJSON(w http.ResponseWriter, v any) { writeJSONStatus(w, http.StatusOK, v) }

// writeJSONStatus answers status with v as JSON.
func writeJSONStatus(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}
