package httpjson_test

import (
	"maps"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/lienthong/lienthong/connectors"
)

// recorder is an HTTPObserver that remembers what it was told.
type recorder struct {
	mu      sync.Mutex
	codes   map[int]int
	retries int
}

func (r *recorder) Attempt(code int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.codes[code]++
}

func (r *recorder) Retry() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.retries++
}

// TestObserverSeesEveryAttempt: each attempt, retried ones included, is
// reported with its status, and each retry once, so the metrics count what
// the department's API really answered.
func TestObserverSeesEveryAttempt(t *testing.T) {
	api := newAPI(t, stylePage)
	for i := 1; i <= 6; i++ {
		api.upsert(item(int64(i), i, "x"))
	}
	api.hook = func(w http.ResponseWriter, r *http.Request, n int) bool {
		if n != 2 && n != 3 {
			return false
		}
		http.Error(w, "boom", http.StatusInternalServerError)
		return true
	}
	rec := &recorder{codes: map[int]int{}}
	src, err := connectors.Open(t.Context(), connectors.Config{Name: "test-api", Kind: "httpjson",
		Options: api.options(nil), Timeout: 5 * time.Second, HTTP: rec})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	got, _ := readAll(t, src, fullRefresh(items, nil, 3))
	if len(got) != 6 {
		t.Fatalf("read %d records, want 6", len(got))
	}
	want := map[int]int{}
	for range api.itemRequests() {
		want[http.StatusOK]++
	}
	want[http.StatusOK] -= 2
	want[http.StatusInternalServerError] = 2
	if !maps.Equal(rec.codes, want) {
		t.Errorf("observed statuses %v, want %v", rec.codes, want)
	}
	if rec.retries != 2 {
		t.Errorf("observed %d retries, want 2", rec.retries)
	}
}

// TestObserverSeesNoAnswer: an attempt that gets no answer is reported
// with code 0.
func TestObserverSeesNoAnswer(t *testing.T) {
	api := newAPI(t, stylePage)
	api.upsert(item(1, 1, "x"))
	api.hook = func(w http.ResponseWriter, r *http.Request, n int) bool {
		if n != 1 {
			return false
		}
		panic(http.ErrAbortHandler)
	}
	rec := &recorder{codes: map[int]int{}}
	src, err := connectors.Open(t.Context(), connectors.Config{Name: "test-api", Kind: "httpjson",
		Options: api.options(nil), Timeout: 5 * time.Second, HTTP: rec})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	readAll(t, src, fullRefresh(items, nil, 3))
	if rec.codes[0] != 1 || rec.retries != 1 {
		t.Errorf("observed statuses %v and %d retries, want one attempt without answer, retried once", rec.codes, rec.retries)
	}
}
