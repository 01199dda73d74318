package server_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/lienthong/lienthong/config"
	"github.com/lienthong/lienthong/internal/mappingtest"
	"github.com/lienthong/lienthong/internal/ops"
	"github.com/lienthong/lienthong/registry"
	"github.com/lienthong/lienthong/sync/state"
)

// TestRegistrationFlow: a department registers its database through its
// token, uploads, tests and activates a mapping, runs the stream and
// reads its run and rejects back; the answers carry no secret and say
// what the registry holds.
func TestRegistrationFlow(t *testing.T) {
	e := newRegEnv(t)
	owner := e.token(t, "tu-phap", "can-bo", ops.DepartmentScopes...)

	a := e.must(t, "POST", "/v1/departments/tu-phap/sources", owner, e.birthSource("ho-tich"), 201)
	var src struct {
		Name, Kind, Origin string
		Revision           int64
		Secret             registry.SecretInfo
		Streams            []struct{ Name, Cursor string }
	}
	a.decode(t, &src)
	if src.Name != "ho-tich" || src.Origin != registry.OriginAPI || !src.Secret.Set || src.Secret.KeyID == "" ||
		len(src.Streams) != 1 || src.Streams[0].Cursor != "updated_at" {
		t.Errorf("registered source: %s", a.body)
	}
	if a.header.Get("ETag") != fmt.Sprintf(`"%d"`, src.Revision) || a.header.Get("Location") != sourcePath {
		t.Errorf("ETag %q Location %q", a.header.Get("ETag"), a.header.Get("Location"))
	}

	var mv registry.MappingVersion
	e.must(t, "POST", streamPath+"/mappings", owner, mappingFile(t, "khai-sinh.yaml"), 201).decode(t, &mv)
	if mv.Version != 1 || mv.Active || mv.Kind != "birth_registration" {
		t.Errorf("uploaded mapping: %+v", mv)
	}
	var rep mappingtest.Report
	e.must(t, "POST", streamPath+"/mappings/1/test?limit=10", owner, nil, 200).decode(t, &rep)
	if rep.Summary.Records != 4 || rep.Summary.Mapped != 3 || rep.Summary.Rejected != 1 {
		t.Errorf("mapping test summary: %+v", rep.Summary)
	}
	e.must(t, "POST", streamPath+"/mappings/1/activate", owner, nil, 200).decode(t, &mv)
	if !mv.Active {
		t.Errorf("activated mapping: %+v", mv)
	}

	var job struct {
		JobID int64 `json:"job_id"`
	}
	e.must(t, "POST", streamPath+"/runs", owner, nil, 202).decode(t, &job)
	var run state.Run
	e.must(t, "GET", fmt.Sprintf("/v1/departments/tu-phap/runs/%d", job.JobID), owner, nil, 200).decode(t, &run)
	if run.Status != state.StatusSucceeded || run.Read != 4 || run.Inserted != 3 || run.Rejected != 1 {
		t.Errorf("run: %+v", run)
	}
	var rejects struct{ Rejects []state.Reject }
	e.must(t, "GET", "/v1/departments/tu-phap/rejects?stream=khai-sinh", owner, nil, 200).decode(t, &rejects)
	if len(rejects.Rejects) != 1 || rejects.Rejects[0].Reason != "bad_certificate_number" || rejects.Rejects[0].SourceKey != "4" {
		t.Errorf("rejects: %+v", rejects.Rejects)
	}

	// The CSV export: UTF-8 with a byte-order mark, as an attachment.
	csv := e.must(t, "GET", "/v1/departments/tu-phap/rejects.csv", owner, nil, 200)
	if csv.header.Get("Content-Type") != "text/csv; charset=utf-8" || !strings.HasPrefix(csv.header.Get("Content-Disposition"), "attachment;") ||
		!bytes.HasPrefix(csv.body, []byte("\ufeff")) || !strings.Contains(string(csv.body), "Đỗ Thị Giang") {
		t.Errorf("CSV: %v\n%s", csv.header, csv.body)
	}

	// Retry: the reject is still rejected by the same mapping.
	var retry state.Run
	e.must(t, "POST", "/v1/departments/tu-phap/rejects/retry", owner, map[string]string{"source": "ho-tich", "stream": "khai-sinh"}, 200).decode(t, &retry)
	if retry.Mode != "retry" || retry.Read != 1 || retry.Rejected != 1 {
		t.Errorf("retry run: %+v", retry)
	}

	// The change log names who did what.
	var changes struct{ Changes []registry.Change }
	e.must(t, "GET", "/v1/changes?department=tu-phap", adminTok, nil, 200).decode(t, &changes)
	var actions []string
	for _, c := range changes.Changes {
		actions = append(actions, c.Actor+":"+c.Action)
	}
	for _, want := range []string{"can-bo:source.create", "can-bo:mapping.activate", "can-bo:run.trigger"} {
		if !slices.ContainsFunc(actions, func(a string) bool { return strings.HasPrefix(a, want) }) {
			t.Errorf("change log %v lacks %s", actions, want)
		}
	}
	var disc struct{ Streams []struct{ Name string } }
	e.must(t, "GET", sourcePath+"/discover", owner, nil, 200).decode(t, &disc)
	if !slices.ContainsFunc(disc.Streams, func(s struct{ Name string }) bool { return strings.Contains(s.Name, "khai_sinh") }) {
		t.Errorf("discover: %+v", disc.Streams)
	}
}

var _ = context.Background
var _ = http.MethodGet
var _ = config.FieldError{}
