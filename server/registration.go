package server

import (
	"net/http"
	"strconv"
	"time"

	"github.com/lienthong/lienthong/registry"
	"github.com/lienthong/lienthong/sync/state"
)

// The handlers of departments, tokens, sources, streams, mappings and the
// change log: each decodes, calls internal/ops and encodes. Who may do
// what is ops's decision, its errors are answered by fail.

// refOf is the stream the path names.
func refOf(r *http.Request) state.Ref {
	return state.Ref{Department: r.PathValue("dept"), Source: r.PathValue("source"), Stream: r.PathValue("stream")}
}

func created(w http.ResponseWriter, location string, v any) {
	w.Header().Set("Location", location)
	writeJSONStatus(w, http.StatusCreated, v)
}

func (s *server) listDepartments(w http.ResponseWriter, r *http.Request) {
	ds, err := s.Ops.ListDepartments(r.Context(), callerOf(r.Context()))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, map[string]any{"departments": nonNil(ds)})
}

// departmentInput is the body of POST /v1/departments.
type departmentInput struct {
	Name  string `json:"name"`
	Title string `json:"title"`
}

func (s *server) createDepartment(w http.ResponseWriter, r *http.Request) {
	var in departmentInput
	if err := decodeJSON(r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	d, err := s.Ops.CreateDepartment(r.Context(), callerOf(r.Context()), registry.Department{Name: in.Name, Title: in.Title})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	created(w, "/v1/departments/"+d.Name, d)
}

func (s *server) getDepartment(w http.ResponseWriter, r *http.Request) {
	d, err := s.Ops.Department(r.Context(), callerOf(r.Context()), r.PathValue("dept"))
	s.answer(w, r, d, err)
}

func (s *server) deleteDepartment(w http.ResponseWriter, r *http.Request) {
	if err := s.Ops.DeleteDepartment(r.Context(), callerOf(r.Context()), r.PathValue("dept")); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *server) listTokens(w http.ResponseWriter, r *http.Request) {
	ts, err := s.Ops.ListTokens(r.Context(), callerOf(r.Context()), r.PathValue("dept"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, map[string]any{"tokens": nonNil(ts)})
}

// tokenInput is the body of POST /v1/departments/{dept}/tokens.
type tokenInput struct {
	Name      string     `json:"name"`
	Scopes    []string   `json:"scopes"`
	ExpiresAt *time.Time `json:"expires_at"`
}

func (s *server) issueToken(w http.ResponseWriter, r *http.Request) {
	var in tokenInput
	if err := decodeJSON(r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	t, err := s.Ops.IssueToken(r.Context(), callerOf(r.Context()), r.PathValue("dept"), in.Name, in.Scopes, in.ExpiresAt)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// The token is in this answer and nowhere else: no cache may keep it.
	w.Header().Set("Cache-Control", "no-store")
	created(w, "/v1/departments/"+r.PathValue("dept")+"/tokens/"+t.Name, t)
}

func (s *server) revokeToken(w http.ResponseWriter, r *http.Request) {
	if err := s.Ops.RevokeToken(r.Context(), callerOf(r.Context()), r.PathValue("dept"), r.PathValue("name")); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *server) listSources(w http.ResponseWriter, r *http.Request) {
	vs, err := s.Ops.ListSources(r.Context(), callerOf(r.Context()), r.PathValue("dept"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, map[string]any{"sources": nonNil(vs)})
}

func (s *server) createSource(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	dept := r.PathValue("dept")
	v, err := s.Ops.CreateSource(r.Context(), callerOf(r.Context()), dept, body)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("ETag", etag(v.Revision))
	created(w, "/v1/departments/"+dept+"/sources/"+v.Spec.Name, v)
}

func (s *server) getSource(w http.ResponseWriter, r *http.Request) {
	v, err := s.Ops.Source(r.Context(), callerOf(r.Context()), r.PathValue("dept"), r.PathValue("source"))
	if err == nil {
		w.Header().Set("ETag", etag(v.Revision))
	}
	s.answer(w, r, v, err)
}

func (s *server) updateSource(w http.ResponseWriter, r *http.Request) {
	rev, ok := ifMatch(w, r)
	if !ok {
		return
	}
	body, err := readBody(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v, err := s.Ops.UpdateSource(r.Context(), callerOf(r.Context()), r.PathValue("dept"), r.PathValue("source"), rev, body)
	if err == nil {
		w.Header().Set("ETag", etag(v.Revision))
	}
	s.answer(w, r, v, err)
}

func (s *server) deleteSource(w http.ResponseWriter, r *http.Request) {
	if err := s.Ops.DeleteSource(r.Context(), callerOf(r.Context()), r.PathValue("dept"), r.PathValue("source")); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *server) discover(w http.ResponseWriter, r *http.Request) {
	infos, err := s.Ops.Discover(r.Context(), callerOf(r.Context()), r.PathValue("dept"), r.PathValue("source"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, map[string]any{"streams": nonNil(infos)})
}

func (s *server) createStream(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	dept, source := r.PathValue("dept"), r.PathValue("source")
	v, err := s.Ops.CreateStream(r.Context(), callerOf(r.Context()), dept, source, body)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("ETag", etag(v.Revision))
	created(w, "/v1/departments/"+dept+"/sources/"+source+"/streams/"+v.Spec.Name, v)
}

func (s *server) getStream(w http.ResponseWriter, r *http.Request) {
	v, err := s.Ops.Stream(r.Context(), callerOf(r.Context()), refOf(r))
	if err == nil {
		w.Header().Set("ETag", etag(v.Revision))
	}
	s.answer(w, r, v, err)
}

func (s *server) updateStream(w http.ResponseWriter, r *http.Request) {
	rev, ok := ifMatch(w, r)
	if !ok {
		return
	}
	body, err := readBody(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v, err := s.Ops.UpdateStream(r.Context(), callerOf(r.Context()), refOf(r), rev, body)
	if err == nil {
		w.Header().Set("ETag", etag(v.Revision))
	}
	s.answer(w, r, v, err)
}

func (s *server) deleteStream(w http.ResponseWriter, r *http.Request) {
	if err := s.Ops.DeleteStream(r.Context(), callerOf(r.Context()), refOf(r)); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *server) listMappings(w http.ResponseWriter, r *http.Request) {
	ms, err := s.Ops.Mappings(r.Context(), callerOf(r.Context()), refOf(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, map[string]any{"mappings": nonNil(ms)})
}

func (s *server) uploadMapping(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ref := refOf(r)
	m, err := s.Ops.UploadMapping(r.Context(), callerOf(r.Context()), ref, body)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	created(w, "/v1/departments/"+ref.Department+"/sources/"+ref.Source+"/streams/"+ref.Stream+"/mappings/"+strconv.Itoa(m.Version), m)
}

func (s *server) getMapping(w http.ResponseWriter, r *http.Request) {
	v, ok := pathInt(w, r, "version", "mapping version")
	if !ok {
		return
	}
	m, err := s.Ops.Mapping(r.Context(), callerOf(r.Context()), refOf(r), int(v))
	s.answer(w, r, m, err)
}

// Bounds of a mapping test's sample.
const (
	defaultTestLimit = 20
	maxTestLimit     = 1000
)

func (s *server) testMapping(w http.ResponseWriter, r *http.Request) {
	v, ok := pathInt(w, r, "version", "mapping version")
	if !ok {
		return
	}
	limit, ok := queryLimit(w, r, defaultTestLimit, maxTestLimit)
	if !ok {
		return
	}
	rep, err := s.Ops.TestMapping(r.Context(), callerOf(r.Context()), refOf(r), int(v), limit)
	s.answer(w, r, rep, err)
}

func (s *server) activateMapping(w http.ResponseWriter, r *http.Request) {
	v, ok := pathInt(w, r, "version", "mapping version")
	if !ok {
		return
	}
	m, err := s.Ops.ActivateMapping(r.Context(), callerOf(r.Context()), refOf(r), int(v))
	s.answer(w, r, m, err)
}

// Bounds of a change-log page.
const (
	defaultChangeLimit = 100
	maxChangeLimit     = 1000
)

func (s *server) listChanges(w http.ResponseWriter, r *http.Request) {
	limit, ok := queryLimit(w, r, defaultChangeLimit, maxChangeLimit)
	if !ok {
		return
	}
	f := registry.ChangeFilter{Department: r.URL.Query().Get("department"), Limit: limit}
	if v := r.URL.Query().Get("before"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			problem(w, r, http.StatusBadRequest, "before must be a change id (a positive whole number): the previous page's next_before")
			return
		}
		f.Before = n
	}
	cs, err := s.Ops.Changes(r.Context(), callerOf(r.Context()), f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ans := map[string]any{"changes": nonNil(cs)}
	if len(cs) == limit {
		ans["next_before"] = cs[len(cs)-1].ID
	}
	writeJSON(w, ans)
}

// nonNil makes an empty list encode as [], never null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
