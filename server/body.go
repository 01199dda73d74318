package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/lienthong/lienthong/config"
	"github.com/lienthong/lienthong/internal/ops"
)

// readBody reads a request's body whole; past the body limit the error is
// an *http.MaxBytesError, which fail answers 413.
func readBody(r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, err
		}
		return nil, fmt.Errorf("read the request body: %w", err)
	}
	return b, nil
}

// decodeJSON decodes a small JSON body strictly into v: an unknown key is
// an invalid field named in the answer, as in a registration.
func decodeJSON(r *http.Request, v any) error {
	b, err := readBody(r)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var typeErr *json.UnmarshalTypeError
		switch {
		case errors.As(err, &typeErr):
			return &ops.Invalid{Fields: []config.FieldError{{Field: typeErr.Field, Reason: "must be a " + typeErr.Type.String()}}}
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			name, _ := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
			return &ops.Invalid{Fields: []config.FieldError{{Field: name, Reason: "unknown field"}}}
		}
		reason := "not a JSON object"
		var syntax *json.SyntaxError
		if errors.As(err, &syntax) {
			// The offset, not the decoder's words, which quote the body.
			reason = fmt.Sprintf("not valid JSON: syntax error at byte %d", syntax.Offset)
		}
		return &ops.Invalid{Fields: []config.FieldError{{Field: "(body)", Reason: reason}}}
	}
	return nil
}

// pathInt reads a positive whole number from the path; it answers 400 and
// returns false when the value is not one.
func pathInt(w http.ResponseWriter, r *http.Request, name, what string) (int64, bool) {
	n, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || n < 1 {
		problem(w, r, http.StatusBadRequest, fmt.Sprintf("%s %q is not a positive whole number", what, r.PathValue(name)))
		return 0, false
	}
	return n, true
}

// queryLimit reads ?limit= from 1 to max, def when absent; it answers 400
// and returns false on anything else.
func queryLimit(w http.ResponseWriter, r *http.Request, def, max int) (int, bool) {
	v := r.URL.Query().Get("limit")
	if v == "" {
		return def, true
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > max {
		problem(w, r, http.StatusBadRequest, fmt.Sprintf("limit must be a whole number from 1 to %d", max))
		return 0, false
	}
	return n, true
}

// etag is a revision as an ETag.
func etag(revision int64) string { return `"` + strconv.FormatInt(revision, 10) + `"` }

// ifMatch reads the revision a PUT was read at. Without If-Match it
// answers 428: a change made blind could undo someone else's; an If-Match
// that is no revision of ours cannot match, 412.
func ifMatch(w http.ResponseWriter, r *http.Request) (int64, bool) {
	v := strings.TrimSpace(r.Header.Get("If-Match"))
	if v == "" {
		problem(w, r, http.StatusPreconditionRequired, "send If-Match with the ETag of the object as you read it (GET it first), so a change made since is not undone")
		return 0, false
	}
	n, err := strconv.ParseInt(strings.Trim(strings.TrimPrefix(v, "W/"), `"`), 10, 64)
	if err != nil || n < 1 {
		problem(w, r, http.StatusPreconditionFailed, fmt.Sprintf("If-Match %q is not an ETag this server gave: GET the object and send its ETag", v))
		return 0, false
	}
	return n, true
}
