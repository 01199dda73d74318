package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/lienthong/lienthong/audit"
	"github.com/lienthong/lienthong/clients"
	"github.com/lienthong/lienthong/forms"
	"github.com/lienthong/lienthong/internal/ops"
)

// Access is what the pre-fill and audit routes need: the forms, the audit
// log, the client register and the administrator's token.
type Access struct {
	// Forms are the forms a portal may ask to pre-fill; nil leaves the
	// pre-fill routes answering 503.
	Forms *forms.Set
	// Audit is the log every read is written to before it is answered.
	Audit *audit.Store
	// Clients is the register of portal clients and their tokens.
	Clients *clients.Store
	// AdminTokenHash is the SHA-256 of the administrator's token; nil
	// when serve was started without one.
	AdminTokenHash *[32]byte
	// DemoForms serves the demo online forms at /forms/: a page anyone
	// who reaches it can use to read a citizen's pre-fill, so only
	// lienthong demo turns it on.
	DemoForms bool
}

// idNumberPattern is a personal ID number (số định danh cá nhân): 12 digits.
var idNumberPattern = regexp.MustCompile(`^[0-9]{12}$`)

// Bounds on what a portal writes into the audit log with each read.
const (
	maxPurpose   = 200
	maxReference = 64
)

// prefillAnswer is the body of GET /v1/prefill/{id_number}.
type prefillAnswer struct {
	Form     string          `json:"form"`
	IDNumber string          `json:"id_number"`
	Filled   []forms.Filled  `json:"filled"`
	Missing  []forms.Missing `json:"missing"`
	Audit    auditReceipt    `json:"audit"`
}

// auditReceipt tells the portal which audit entry records its read.
type auditReceipt struct {
	Seq       int64     `json:"seq"`
	At        time.Time `json:"at"`
	Reference string    `json:"reference"`
}

// prefill answers a portal's pre-fill of one form for one citizen: the
// fields the national store fills, with their sources, and the fields the
// citizen must give. The answer leaves only after its audit entry is
// committed; a read that cannot be audited is refused.
func (s *server) prefill(w http.ResponseWriter, r *http.Request) {
	if s.Access.Forms == nil || s.Access.Audit == nil || s.National == nil {
		problem(w, r, http.StatusServiceUnavailable, "pre-fill is not configured on this server")
		return
	}
	c := callerOf(r.Context())
	id := r.PathValue("id_number")
	q := r.URL.Query()
	form, status, msg := s.prefillForm(c, id, q.Get("form"))
	if status != 0 {
		problem(w, r, status, msg)
		return
	}
	purpose, reference := q.Get("purpose"), q.Get("reference")
	if msg := checkPurpose(purpose, reference); msg != "" {
		problem(w, r, http.StatusBadRequest, msg)
		return
	}
	ans, err := s.fill(r.Context(), callerName(c), form, id, purpose, reference)
	if err != nil {
		s.prefillFailed(w, r, err)
		return
	}
	writeCompactJSON(w, ans)
}

// writeCompactJSON answers 200 with v as unindented JSON: the pre-fill is
// read by portals, not people, and is the API's hottest answer.
func writeCompactJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	json.NewEncoder(w).Encode(v)
}

// prefillForm checks the citizen's ID number and the form the caller asks
// for, returning the form or an HTTP status and a message.
func (s *server) prefillForm(c ops.Caller, id, name string) (*forms.Form, int, string) {
	if !idNumberPattern.MatchString(id) {
		return nil, http.StatusBadRequest, "the personal ID number must be 12 digits"
	}
	if name == "" {
		return nil, http.StatusBadRequest, "say which form to fill: ?form= (GET /v1/forms lists them)"
	}
	form, ok := s.Access.Forms.Get(name)
	if !ok {
		return nil, http.StatusNotFound, fmt.Sprintf("no form is named %q; GET /v1/forms lists them", name)
	}
	if !c.Admin && !c.Client.MayFill(name) {
		return nil, http.StatusForbidden, fmt.Sprintf("the client %s may not fill the form %s", c.Client.Name, name)
	}
	return form, 0, ""
}

// checkPurpose refuses a read that does not say why it is made and for
// which dossier: the audit log must be able to account for it.
func checkPurpose(purpose, reference string) string {
	switch {
	case strings.TrimSpace(purpose) == "":
		return "say why the data is read: ?purpose= (e.g. the procedure the citizen started); every read is logged with it"
	case strings.TrimSpace(reference) == "":
		return "give the portal's reference of the request: ?reference= (the dossier number); every read is logged with it"
	case len(purpose) > maxPurpose || strings.ContainsFunc(purpose, unicode.IsControl):
		return fmt.Sprintf("purpose must be at most %d bytes of text without control characters", maxPurpose)
	case len(reference) > maxReference || strings.ContainsFunc(reference, unicode.IsControl):
		return fmt.Sprintf("reference must be at most %d bytes of text without control characters", maxReference)
	}
	return ""
}

// fill reads the citizen's live records, fills the form and writes the
// audit entry, in that order; it returns the answer only once the entry is
// committed.
func (s *server) fill(ctx context.Context, client string, form *forms.Form, id, purpose, reference string) (prefillAnswer, error) {
	docs, err := s.National.Prefill(ctx, id)
	if err != nil {
		return prefillAnswer{}, err
	}
	res := form.Fill(docs)
	e, err := s.Access.Audit.Append(ctx, audit.Entry{Client: client, Subject: id, Form: form.Name,
		Fields: res.FieldNames(), Purpose: purpose, Reference: reference, RequestID: requestIDOf(ctx)})
	if err != nil {
		return prefillAnswer{}, err
	}
	return prefillAnswer{Form: form.Name, IDNumber: id, Filled: res.Filled, Missing: res.Missing,
		Audit: auditReceipt{Seq: e.Seq, At: e.At, Reference: reference}}, nil
}

// prefillFailed answers a read that failed in a store or could not be
// audited; nothing of the citizen's data leaves.
func (s *server) prefillFailed(w http.ResponseWriter, r *http.Request, err error) {
	s.Log.Error("pre-fill failed", "request_id", requestIDOf(r.Context()), "path", redactPath(r.URL.Path), "error", err)
	problem(w, r, http.StatusServiceUnavailable, "the read could not be made and audited, so nothing was returned; the log has the details under this request id")
}

// listForms lists the forms a portal may ask for, with their fields.
func (s *server) listForms(w http.ResponseWriter, r *http.Request) {
	if s.Access.Forms == nil {
		writeJSON(w, map[string]any{"forms": []any{}})
		return
	}
	writeJSON(w, map[string]any{"forms": s.Access.Forms.List()})
}

// accessEntry is one line of a citizen's access report.
type accessEntry struct {
	Seq       int64     `json:"seq"`
	At        time.Time `json:"at"`
	Client    string    `json:"client"`
	Form      string    `json:"form"`
	Fields    []string  `json:"fields"`
	Purpose   string    `json:"purpose"`
	Reference string    `json:"reference"`
}

// maxReport bounds an access report's entries per request.
const maxReport = 1000

// auditSubject is a citizen's access report: who read their data, when,
// for what and which fields, newest first.
func (s *server) auditSubject(w http.ResponseWriter, r *http.Request) {
	if s.Access.Audit == nil {
		problem(w, r, http.StatusServiceUnavailable, "the audit log is not configured on this server")
		return
	}
	id := r.PathValue("id_number")
	if !idNumberPattern.MatchString(id) {
		problem(w, r, http.StatusBadRequest, "the personal ID number must be 12 digits")
		return
	}
	limit := maxReport
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxReport {
			problem(w, r, http.StatusBadRequest, fmt.Sprintf("limit must be a whole number from 1 to %d", maxReport))
			return
		}
		limit = n
	}
	entries, err := s.Access.Audit.Subject(r.Context(), id, limit)
	if err != nil {
		s.storeFailed(w, r, err)
		return
	}
	out := make([]accessEntry, len(entries))
	for i, e := range entries {
		out[i] = accessEntry{Seq: e.Seq, At: e.At, Client: e.Client, Form: e.Form, Fields: e.Fields, Purpose: e.Purpose, Reference: e.Reference}
	}
	writeJSON(w, map[string]any{"id_number": id, "reads": out})
}

// personalPaths are the routes whose path carries a citizen's ID number.
var personalPaths = []string{"/v1/prefill/", "/v1/audit/subjects/"}

// redactPath hides the ID number in a path before it is logged.
func redactPath(p string) string {
	for _, prefix := range personalPaths {
		if strings.HasPrefix(p, prefix) && len(p) > len(prefix) {
			return prefix + "{id_number}"
		}
	}
	return p
}
