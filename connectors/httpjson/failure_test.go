package httpjson_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lienthong/lienthong/connectors"
	"github.com/lienthong/lienthong/connectors/httpjson"
)

// TestRetries: throttling and server errors are retried, after the
// Retry-After the server asks for when it gives one, and the read then
// completes with every record once.
func TestRetries(t *testing.T) {
	tests := []struct {
		name string
		// fail answers the n-th request to the items path, or returns false
		// to let it through.
		fail     func(w http.ResponseWriter, n int) bool
		requests int
		// minGap is the least time between the failed request and its
		// retry; 0 means no check.
		minGap time.Duration
	}{
		{"429 with Retry-After seconds", func(w http.ResponseWriter, n int) bool {
			if n != 2 {
				return false
			}
			w.Header().Set("Retry-After", "1")
			http.Error(w, "slow down", http.StatusTooManyRequests)
			return true
		}, 4, 900 * time.Millisecond},
		{"503 with Retry-After HTTP-date", func(w http.ResponseWriter, n int) bool {
			if n != 2 {
				return false
			}
			// Two seconds ahead, in whole seconds: at least one second off.
			w.Header().Set("Retry-After", time.Now().Add(2*time.Second).UTC().Format(http.TimeFormat))
			http.Error(w, "maintenance", http.StatusServiceUnavailable)
			return true
		}, 4, 900 * time.Millisecond},
		{"500 twice", func(w http.ResponseWriter, n int) bool {
			if n != 2 && n != 3 {
				return false
			}
			http.Error(w, "boom", http.StatusInternalServerError)
			return true
		}, 5, 0},
		{"body cut off", func(w http.ResponseWriter, n int) bool {
			if n != 2 {
				return false
			}
			w.Header().Set("Content-Length", "1000")
			fmt.Fprint(w, `{"data":{"items":[{"id":4,"updated_at":`)
			w.(http.Flusher).Flush()
			panic(http.ErrAbortHandler)
		}, 4, 0},
		{"broken connection", func(w http.ResponseWriter, n int) bool {
			if n != 2 {
				return false
			}
			panic(http.ErrAbortHandler)
		}, 4, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			api := newAPI(t, stylePage)
			for i := 1; i <= 6; i++ {
				api.upsert(item(int64(i), i, "x"))
			}
			api.hook = func(w http.ResponseWriter, r *http.Request, n int) bool { return tc.fail(w, n) }
			src := api.open(t, nil)
			got, _ := readAll(t, src, fullRefresh(items, nil, 3))
			sameKeys(t, "read", keysOf(got), ids(1, 6))
			hits := api.itemRequests()
			if len(hits) != tc.requests {
				t.Fatalf("%d requests, want %d", len(hits), tc.requests)
			}
			if gap := hits[2].at.Sub(hits[1].at); gap < tc.minGap {
				t.Errorf("retried after %s, want at least %s", gap, tc.minGap)
			}
			if q1, q2 := hits[1].query.Encode(), hits[2].query.Encode(); q1 != q2 {
				t.Errorf("the retry asked %s, the failed request %s", q2, q1)
			}
		})
	}
}

// TestRetryAfterTooLong: a server that asks for a longer pause than the
// source allows fails the run at once, saying why.
func TestRetryAfterTooLong(t *testing.T) {
	api := newAPI(t, stylePage)
	api.hook = func(w http.ResponseWriter, r *http.Request, n int) bool {
		w.Header().Set("Retry-After", "3600")
		http.Error(w, "come back in an hour", http.StatusTooManyRequests)
		return true
	}
	src := api.open(t, nil)
	start := time.Now()
	_, _, err := readUpTo(t, src, fullRefresh(items, nil, 3), -1)
	var se *httpjson.StatusError
	if !errors.As(err, &se) || se.StatusCode != http.StatusTooManyRequests || !strings.Contains(err.Error(), "max_retry_after") {
		t.Fatalf("err = %v, want a 429 StatusError naming max_retry_after", err)
	}
	if n := len(api.itemRequests()); n != 1 || time.Since(start) > 5*time.Second {
		t.Errorf("%d requests in %s, want 1 and no wait", n, time.Since(start))
	}
}

// TestPermanentFailure: a status that is not retried, or retries running
// out, fails the run with the URL without credentials, the status and a
// description of the body instead of its text, with the secret blanked
// even where the API echoed it.
func TestPermanentFailure(t *testing.T) {
	long := strings.Repeat("Lỗi máy chủ. ", 40)
	tests := []struct {
		name     string
		status   int
		body     string
		requests int
		want     []string
		notWant  []string
	}{
		{"500 until retries run out", http.StatusInternalServerError, long, 4,
			[]string{"status 500 Internal Server Error after 4 attempts", fmt.Sprintf("body not shown (text/plain, %d bytes)", len(long))}, []string{"Lỗi"}},
		{"404", http.StatusNotFound, `{"error":"không tìm thấy"}`, 1,
			[]string{"status 404", "body not shown (application/json, 30 bytes)", "check base_url and the stream's table"}, []string{"không"}},
		{"401 echoing the key", http.StatusUnauthorized, `{"error":"invalid key ` + apiKey + `"}`, 1,
			[]string{"status 401", "body not shown (application/json, ", "check the source's secret"}, []string{"invalid key"}},
		{"401 with a code", http.StatusUnauthorized, `{"error":"invalid_token","error_description":"hết hạn"}`, 1,
			[]string{"status 401", `error "invalid_token"`}, []string{"hết hạn"}},
		{"401 echoing the key as a code", http.StatusUnauthorized, `{"code":"` + apiKey + `"}`, 1,
			[]string{"status 401", `code "xxxxx"`}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			api := newAPI(t, stylePage)
			api.key = apiKey
			api.hook = func(w http.ResponseWriter, r *http.Request, n int) bool {
				if strings.HasPrefix(tc.body, "{") {
					w.Header().Set("Content-Type", "application/json; charset=utf-8")
				} else {
					w.Header().Set("Content-Type", "text/plain; charset=utf-8")
				}
				w.WriteHeader(tc.status)
				fmt.Fprint(w, tc.body)
				return true
			}
			src := api.open(t, map[string]any{"query": map[string]any{"sessionid": "also-secret-looking", "tinh": 42}})
			_, _, err := readUpTo(t, src, fullRefresh(items, nil, 3), -1)
			if err == nil {
				t.Fatal("the read succeeded")
			}
			msg := err.Error()
			var se *httpjson.StatusError
			if !errors.As(err, &se) || se.StatusCode != tc.status {
				t.Fatalf("err = %v, want a StatusError %d", err, tc.status)
			}
			for _, w := range append(tc.want, "GET http://127.0.0.1:", "/api/v1/items?", "api_key=xxxxx", "sessionid=xxxxx", "tinh=42", "page=1") {
				if !strings.Contains(msg, w) {
					t.Errorf("error lacks %q:\n%s", w, msg)
				}
			}
			for _, secret := range append(tc.notWant, apiKey, "also-secret-looking") {
				if strings.Contains(msg, secret) {
					t.Errorf("error shows %q:\n%s", secret, msg)
				}
			}
			if n := len(api.itemRequests()); n != tc.requests {
				t.Errorf("%d requests, want %d", n, tc.requests)
			}
		})
	}
}

// TestUnreadableResponses: every response that can not be read as the
// options describe fails the run with ErrBadResponse, the URL without the
// API key, the status and the body's length, never its records.
func TestUnreadableResponses(t *testing.T) {
	tests := []struct {
		name string
		body string
		want string
	}{
		{"HTML error page", "<html><body>Hệ thống đang bảo trì</body></html>", "not JSON"},
		{"empty body", "", "empty"},
		{"truncated", `{"data":{"items":[{"id":1`, "ends in the middle"},
		{"trailing garbage", `{"data":{"items":[]}} x`, "data after the JSON value"},
		{"no records path", `{"result":[]}`, `no field "data"`},
		{"records path not an array", `{"data":{"items":{"id":1}}}`, "an object, not an array"},
		{"path through a non-object", `{"data":[1,2]}`, `"data" is an array, not an object`},
		{"record not an object", `{"data":{"items":[{"id":1,"updated_at":"2024-05-01T08:00:00Z"},"oops"]}}`, "record 1 of the page is a string"},
		{"record without key", `{"data":{"items":[{"ma":1}]}}`, `primary key field "id" is missing`},
		{"object as key", `{"data":{"items":[{"id":{"a":1}}]}}`, `primary key field "id" is an object`},
		{"cursor an array", `{"data":{"items":[{"id":1,"updated_at":[1]}]}}`, `cursor field "updated_at" is an array`},
		{"Windows-1258 bytes", "{\"data\":{\"items\":[{\"id\":1,\"name\":\"Nguy\xd2n\"}]}}", "not valid UTF-8"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			api := newAPI(t, stylePage)
			api.key = apiKey
			api.hook = func(w http.ResponseWriter, r *http.Request, n int) bool {
				w.Header().Set("Content-Type", "application/json")
				fmt.Fprint(w, tc.body)
				return true
			}
			src := api.open(t, nil)
			_, _, err := readUpTo(t, src, fullRefresh(items, nil, 3), -1)
			var re *httpjson.ResponseError
			if !errors.Is(err, httpjson.ErrBadResponse) || !errors.As(err, &re) {
				t.Fatalf("err = %v, want a ResponseError wrapping ErrBadResponse", err)
			}
			msg := err.Error()
			hint := fmt.Sprintf("body not shown (application/json, %d bytes)", len(tc.body))
			if tc.body == "" {
				hint = "the body is empty"
			}
			for _, w := range []string{tc.want, "status 200", "/api/v1/items?", "api_key=xxxxx", hint} {
				if !strings.Contains(msg, w) {
					t.Errorf("error lacks %q:\n%s", w, msg)
				}
			}
			if strings.Contains(msg, apiKey) {
				t.Errorf("error shows the API key:\n%s", msg)
			}
			if re.Hint != hint {
				t.Errorf("hint %q, want %q", re.Hint, hint)
			}
			for _, text := range []string{"Hệ thống", "Nguy", `"ma"`, "oops"} {
				if strings.Contains(msg, text) {
					t.Errorf("error shows the body's %q:\n%s", text, msg)
				}
			}
		})
	}
}

// TestResponseTooLarge: a response over max_response_bytes fails the run,
// whether the server announced its length or streamed it.
func TestResponseTooLarge(t *testing.T) {
	big := `{"data":{"items":[` + strings.Repeat(`{"id":1,"name":"Nguyễn Văn A"},`, 200) + `{"id":2}]}}`
	for _, chunked := range []bool{false, true} {
		t.Run(fmt.Sprint("chunked=", chunked), func(t *testing.T) {
			api := newAPI(t, stylePage)
			api.hook = func(w http.ResponseWriter, r *http.Request, n int) bool {
				if !chunked {
					w.Header().Set("Content-Length", fmt.Sprint(len(big)))
				}
				fmt.Fprint(w, big)
				if chunked {
					w.(http.Flusher).Flush()
				}
				return true
			}
			src := api.open(t, map[string]any{"max_response_bytes": "4KiB"})
			_, _, err := readUpTo(t, src, fullRefresh(items, nil, 3), -1)
			if !errors.Is(err, httpjson.ErrResponseTooLarge) || !strings.Contains(err.Error(), "max_response_bytes (4096 bytes)") {
				t.Fatalf("err = %v, want ErrResponseTooLarge naming the limit", err)
			}
		})
	}
	// Just under the cap is fine.
	api := newAPI(t, stylePage)
	api.hook = func(w http.ResponseWriter, r *http.Request, n int) bool {
		if n > 1 {
			fmt.Fprint(w, `{"data":{"items":[]}}`)
			return true
		}
		fmt.Fprint(w, big)
		return true
	}
	src := api.open(t, map[string]any{"max_response_bytes": len(big)})
	if got, _ := readAll(t, src, fullRefresh(items, nil, 3)); len(got) != 201 {
		t.Errorf("read %d records, want 201", len(got))
	}
}

// TestTimeout: an API slower than the source's timeout fails the attempt
// with a message that says which timeout to raise.
func TestTimeout(t *testing.T) {
	api := newAPI(t, stylePage)
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	api.hook = func(w http.ResponseWriter, r *http.Request, n int) bool {
		select {
		case <-release:
		case <-r.Context().Done():
		}
		return true
	}
	src, err := connectors.Open(t.Context(), connectors.Config{Name: "slow", Kind: "httpjson",
		Options: api.options(map[string]any{"retry": map[string]any{"max": 1, "wait_min": "1ms", "wait_max": "1ms"}}),
		Timeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	_, _, err = readUpTo(t, src, fullRefresh(items, nil, 3), -1)
	if err == nil || !strings.Contains(err.Error(), "no complete answer within 200ms") {
		t.Fatalf("err = %v, want the timeout explained", err)
	}
	if n := len(api.itemRequests()); n != 2 {
		t.Errorf("%d attempts, want 2 (timeouts are retried)", n)
	}
}

// TestCancelledRead: a cancelled read stops at once, even with records of
// the page left; with pagination none that page is the whole stream, which
// must not end as if the read were complete.
func TestCancelledRead(t *testing.T) {
	api := newAPI(t, styleNone)
	for i := range 5 {
		api.upsert(item(int64(i+1), i, "Nguyễn Văn An"))
	}
	src := api.open(t, nil)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	r, err := src.Read(ctx, incremental(items, nil, 10))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := r.Next(ctx); err != nil {
		t.Fatal(err)
	}
	cancel()
	if rec, err := r.Next(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Next after cancel = %q, %v; want context.Canceled", rec.Key, err)
	}
}

// TestRateLimit: with 20 requests a second, ten requests are spread over at
// least 0.45 s as the server sees them. Only the lower bound is asserted, so
// a slow machine can not make it fail.
func TestRateLimit(t *testing.T) {
	api := newAPI(t, stylePage)
	for i := 1; i <= 9; i++ {
		api.upsert(item(int64(i), i, "x"))
	}
	src := api.open(t, map[string]any{"rate_limit": 20})
	got, _ := readAll(t, src, fullRefresh(items, nil, 1))
	sameKeys(t, "read", keysOf(got), ids(1, 9))
	hits := api.itemRequests()
	if len(hits) != 10 {
		t.Fatalf("%d requests, want 10", len(hits))
	}
	if span := hits[9].at.Sub(hits[0].at); span < 400*time.Millisecond {
		t.Errorf("10 requests at 20/s took %s, want at least 400ms", span)
	}
}
