package httpjson_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/lienthong/lienthong/connectors/httpjson"
)

// TestErrorBodyKeptOut: an API answering 500 with a body that holds a
// citizen's ID number, name and e-mail fails the run with an error that
// holds none of them, and the connector logs none of them either. The
// engine stores the error's text in the run ledger as it is.
func TestErrorBodyKeptOut(t *testing.T) {
	const (
		id    = "001234567890"
		name  = "Nguyễn Văn An"
		email = "an.nguyen@example.vn"
	)
	tests := []struct {
		name, contentType, body string
		want                    string
	}{
		{"JSON with a message", "application/json",
			`{"code":"CCCD_` + id + `","message":"Không tìm thấy công dân ` + name + `, số định danh ` + id + `, ` + email + `"}`,
			`code "CCCD_#"`},
		{"JSON error object", "application/problem+json",
			`{"error":{"code":"NguyenVanAn","type":"citizen_lookup_failed","message":"` + name + `"},"id":"` + id + `"}`,
			`error.type "citizen_lookup_failed"`},
		{"JSON with the ID as the code", "application/json", `{"code":` + id + `,"error":"` + email + `"}`, "application/json, "},
		{"HTML page", "text/html; charset=utf-8",
			`<html><body><h1>Lỗi</h1><p>` + name + ` (` + id + `)</p><p>` + email + `</p></body></html>`, "text/html, "},
		{"long text", "text/plain", strings.Repeat(name+" "+id+"\n", 400), "text/plain, more than 4096 bytes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			api := newAPI(t, stylePage)
			api.hook = func(w http.ResponseWriter, r *http.Request, n int) bool {
				w.Header().Set("Content-Type", tc.contentType)
				if f, ok := w.(http.Flusher); ok && strings.HasPrefix(tc.name, "long") {
					// Chunked: no Content-Length to report.
					w.WriteHeader(http.StatusInternalServerError)
					fmt.Fprint(w, tc.body[:10])
					f.Flush()
					fmt.Fprint(w, tc.body[10:])
					return true
				}
				w.WriteHeader(http.StatusInternalServerError)
				fmt.Fprint(w, tc.body)
				return true
			}
			var logs bytes.Buffer
			log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			src := openWith(t, api.options(nil), "", log)
			_, _, err := readUpTo(t, src, fullRefresh(items, nil, 3), -1)
			if err == nil {
				t.Fatal("the read succeeded")
			}
			msg := err.Error()
			for _, w := range []string{"status 500 Internal Server Error after 4 attempts", "body not shown (", tc.want} {
				if !strings.Contains(msg, w) {
					t.Errorf("error lacks %q:\n%s", w, msg)
				}
			}
			if !strings.Contains(logs.String(), "status=500") {
				t.Errorf("the retries were not logged:\n%s", logs.String())
			}
			for _, personal := range []string{id, "1234567890", name, "Nguyễn", "Nguyen", email, "an.nguyen"} {
				if strings.Contains(msg, personal) {
					t.Errorf("error shows %q:\n%s", personal, msg)
				}
				if strings.Contains(logs.String(), personal) {
					t.Errorf("logs show %q:\n%s", personal, logs.String())
				}
			}
		})
	}
}

// TestCodeText: what of a JSON error code an error may show.
func TestCodeText(t *testing.T) {
	tests := []struct {
		in, want string // want "" = not shown
	}{
		{"invalid_token", "invalid_token"},
		{"NOT_FOUND", "NOT_FOUND"},
		{"E1023", "E1023"},
		{"ERR_404", "ERR_404"},
		{"db.timeout", "db.timeout"},
		{"404", "404"},
		{"CCCD_001234567890", "CCCD_#"},
		{"1990-05-12", ""},
		{"001234567890", ""},
		{"v2-err-19900512", "v#-err-#"},
		{"Not found", ""},
		{"không_tìm_thấy", ""},
		{"an.nguyen@example.vn", ""},
		{"nguyen_van_an", ""},
		{"NguyenVanAn", ""},
		{"TRAN-THI-B", ""},
		{"le", "le"},
		{strings.Repeat("x", 49), ""},
		{"", ""},
		{"a b", ""},
	}
	for _, tc := range tests {
		got, ok := httpjson.CodeText(tc.in)
		if !ok {
			got = ""
		}
		if got != tc.want {
			t.Errorf("CodeText(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
