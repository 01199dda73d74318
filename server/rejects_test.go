package server_test

import (
	"strings"
	"testing"

	"github.com/lienthong/lienthong/internal/ops"
)

// TestRejectsPagingNeedsStream: next_after names a page of one stream
// only; after without the stream is refused on the field (422), since
// keys alone would skip the next streams' rejects.
func TestRejectsPagingNeedsStream(t *testing.T) {
	e := newRegEnv(t)
	owner := e.token(t, "tu-phap", "can-bo", ops.DepartmentScopes...)
	e.registerBirths(t, owner)
	const rejects = "/v1/departments/tu-phap/rejects"
	var page struct {
		Rejects []struct {
			SourceKey string `json:"source_key"`
		}
		NextAfter *string `json:"next_after"`
	}
	e.must(t, "GET", rejects+"?source=ho-tich&stream=khai-sinh&limit=1", owner, nil, 200).decode(t, &page)
	if len(page.Rejects) != 1 || page.NextAfter == nil || *page.NextAfter != page.Rejects[0].SourceKey {
		t.Errorf("a full page of one stream: %+v", page)
	}
	page.NextAfter = nil
	e.must(t, "GET", rejects+"?limit=1", owner, nil, 200).decode(t, &page)
	if len(page.Rejects) != 1 || page.NextAfter != nil {
		t.Errorf("a full page of every stream names a next page: %+v", page)
	}
	for _, path := range []string{rejects + "?after=1", rejects + "?source=ho-tich&after=1", rejects + ".csv?after=1"} {
		a := e.must(t, "GET", path, owner, nil, 422)
		if p := a.problem(t); len(p.Errors) != 1 || p.Errors[0].Field != "after" || !strings.Contains(p.Errors[0].Reason, "stream") {
			t.Errorf("GET %s: %s", path, a.body)
		}
	}
}
