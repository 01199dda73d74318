package ingest_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lienthong/lienthong/internal/testio"
	"github.com/lienthong/lienthong/national"
	"github.com/lienthong/lienthong/national/ingest"
	"github.com/lienthong/lienthong/national/ingest/ingesttest"
	"github.com/lienthong/lienthong/schema"
)

// person is a valid common-schema person record for source row n.
func person(t testing.TB, n int, name string) ingest.Record {
	t.Helper()
	data := map[string]any{"id_number": fmt.Sprintf("04209%07d", n), "full_name": name, "date_of_birth": "1990-05-17", "sex": "M"}
	k, _ := schema.Lookup("person")
	if vs := k.Validate(data); vs != nil {
		t.Fatalf("invalid test record: %v", vs)
	}
	b, h, err := schema.Canonical(data)
	if err != nil {
		t.Fatal(err)
	}
	return ingest.FromItem(national.Item{Kind: "person", NaturalKey: k.NaturalKey(data), SourceKey: fmt.Sprint(n), Data: b, Hash: h})
}

// client sends raw signed requests, as a ministry's own client would.
type client struct {
	t     *testing.T
	url   string
	http  *http.Client
	keyID string
	key   ed25519.PrivateKey
}

func newClient(t *testing.T, s *ingesttest.Server, tlsCfg *tls.Config) *client {
	return &client{t: t, url: s.URL, http: &http.Client{Transport: &http.Transport{TLSClientConfig: tlsCfg}, Timeout: 30 * time.Second},
		keyID: s.PKI.KeyID, key: s.PKI.SignKey}
}

func (c *client) send(method, path, idem string, body []byte) (*http.Response, []byte, error) {
	req, err := http.NewRequest(method, c.url+path, bytes.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	if idem != "" {
		req.Header.Set(ingest.HeaderIdempotency, idem)
	}
	ingest.Sign(req.Header, method, path, body, c.keyID, c.key)
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, b, err
}

func (c *client) mustSend(method, path, idem string, body []byte) (*http.Response, []byte) {
	c.t.Helper()
	resp, b, err := c.send(method, path, idem, body)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	return resp, b
}

func batchBody(t *testing.T, run int64, recs ...ingest.Record) []byte {
	b, err := json.Marshal(ingest.Batch{SchemaVersion: ingest.SchemaVersion,
		Provenance: ingest.Provenance{Department: "cong-an", Source: "dan-cu", Stream: "cong-dan", RunID: run}, Records: recs})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func answerOf(t *testing.T, b []byte) ingest.BatchAnswer {
	t.Helper()
	var a ingest.BatchAnswer
	if err := json.Unmarshal(b, &a); err != nil {
		t.Fatalf("answer %s: %v", b, err)
	}
	return a
}

func outcomes(a ingest.BatchAnswer) string {
	var s []string
	for _, r := range a.Results {
		s = append(s, r.Outcome+":"+r.Reason)
	}
	return strings.Join(s, " ")
}

// A batch is applied record by record; the same key and body again is
// answered byte for byte the same without being applied again; a new key
// for the same records finds them unchanged; a key reused with another
// body is refused.
func TestBatchIdempotent(t *testing.T) {
	pki := ingesttest.NewPKI(t)
	var logs testio.Buffer
	s := ingesttest.Start(t, pki, ingesttest.Options{Log: slog.New(slog.NewTextHandler(&logs, nil))})
	t.Cleanup(func() {
		if t.Failed() {
			t.Log(logs.String())
		}
	})
	c := newClient(t, s, pki.ClientTLS(t, pki.ClientCert, pki.ClientKey))

	bad := person(t, 3, "Lê Văn C")
	bad.Hash = strings.Repeat("0", 64)
	missing := person(t, 4, "x")
	missing.Data = []byte(`{"date_of_birth":"1990-05-17","id_number":"042090000004","sex":"M"}`)
	missing.Hash = ingest.FromItem(national.Item{Data: missing.Data, Hash: sha(missing.Data)}).Hash
	body := batchBody(t, 1, person(t, 1, "Nguyễn Văn A"), person(t, 2, "Trần Thị B"), bad, missing)
	resp, first := c.mustSend("POST", ingest.PathBatches, "batch-1", body)
	if resp.StatusCode != 200 {
		t.Fatalf("batch: %d %s", resp.StatusCode, first)
	}
	if got, want := outcomes(answerOf(t, first)), "inserted: inserted: rejected:national_hash_mismatch rejected:required_missing"; got != want {
		t.Fatalf("outcomes %q, want %q", got, want)
	}
	if a := answerOf(t, first); a.Results[3].Field != "full_name" {
		t.Errorf("the missing field is %q, want full_name", a.Results[3].Field)
	}
	doc, ok, err := s.Store.Get(t.Context(), "person", "042090000001")
	if err != nil || !ok || doc.Department != "ha-tinh/cong-an" {
		t.Fatalf("stored record: %+v %v %v; want it under the province's department", doc, ok, err)
	}

	resp, again := c.mustSend("POST", ingest.PathBatches, "batch-1", body)
	if resp.StatusCode != 200 || resp.Header.Get(ingest.HeaderReplayed) != "true" || !bytes.Equal(again, first) {
		t.Fatalf("same batch again: %d replayed=%q\n%s\nwant the first answer\n%s", resp.StatusCode, resp.Header.Get(ingest.HeaderReplayed), again, first)
	}
	var n int
	if err := s.DB.Get(&n, `SELECT count(*) FROM national_ingest_batches`); err != nil || n != 1 {
		t.Fatalf("stored answers: %d %v, want 1", n, err)
	}

	resp, other := c.mustSend("POST", ingest.PathBatches, "batch-2", batchBody(t, 2, person(t, 1, "Nguyễn Văn A"), person(t, 2, "Trần Thị B")))
	if got := outcomes(answerOf(t, other)); resp.StatusCode != 200 || got != "unchanged: unchanged:" {
		t.Fatalf("the same records under a new key: %d %q, want unchanged twice", resp.StatusCode, got)
	}

	resp, b := c.mustSend("POST", ingest.PathBatches, "batch-1", batchBody(t, 3, person(t, 9, "Phạm Văn D")))
	if resp.StatusCode != 422 || !strings.Contains(string(b), ingest.ProblemKeyReused) {
		t.Fatalf("key reused with another body: %d %s, want 422 %s", resp.StatusCode, b, ingest.ProblemKeyReused)
	}
	if _, ok, _ := s.Store.Get(t.Context(), "person", "042090000009"); ok {
		t.Fatal("a batch refused for its reused key was applied")
	}
}

func sha(b []byte) [32]byte { return sha256.Sum256(b) }

// Refusals: every one answered with a clear problem and logged at the
// national side with who and why; none applies anything.
func TestRefusals(t *testing.T) {
	pki := ingesttest.NewPKI(t)
	var logs testio.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	s := ingesttest.Start(t, pki, ingesttest.Options{MaxBatchRecords: 3, MaxBatchBytes: 64 << 10, Log: log})
	good := pki.ClientTLS(t, pki.ClientCert, pki.ClientKey)
	now := time.Now()
	body := batchBody(t, 1, person(t, 1, "Nguyễn Văn A"))

	t.Run("expired certificate", func(t *testing.T) {
		cert, key := pki.ProvincesCA.Issue(t, pki.Province, false, now.Add(-48*time.Hour), now.Add(-24*time.Hour))
		c := newClient(t, s, pki.ClientTLS(t, cert, key))
		if _, _, err := c.send("POST", ingest.PathBatches, "k1", body); err == nil {
			t.Fatal("an expired client certificate was accepted")
		}
		waitLog(t, &logs, "TLS handshake error", "expired")
	})
	t.Run("unknown certificate authority", func(t *testing.T) {
		other := ingesttest.NewCA(t, t.TempDir(), "rogue")
		cert, key := other.Issue(t, pki.Province, false, now.Add(-time.Hour), now.Add(time.Hour))
		cfg := pki.ClientTLS(t, cert, key)
		// Present the certificate although the server's request names
		// another CA, as a forger would.
		pair := cfg.Certificates[0]
		cfg.Certificates = nil
		cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &pair, nil }
		c := newClient(t, s, cfg)
		if _, _, err := c.send("POST", ingest.PathBatches, "k2", body); err == nil {
			t.Fatal("a client certificate of an unknown CA was accepted")
		}
		waitLog(t, &logs, "TLS handshake error", "unknown authority")
	})
	t.Run("province not listed", func(t *testing.T) {
		cert, key := pki.ProvincesCA.Issue(t, "lang-son", false, now.Add(-time.Hour), now.Add(time.Hour))
		c := newClient(t, s, pki.ClientTLS(t, cert, key))
		resp, b := c.mustSend("POST", ingest.PathBatches, "k3", body)
		if resp.StatusCode != 403 || !strings.Contains(string(b), `\"lang-son\", which is not a province`) {
			t.Fatalf("unlisted province: %d %s", resp.StatusCode, b)
		}
		waitLog(t, &logs, "reason=unknown_province", "province=lang-son")
	})
	t.Run("bad signature", func(t *testing.T) {
		c := newClient(t, s, good)
		_, c.key, _ = ed25519.GenerateKey(rand.Reader)
		resp, b := c.mustSend("POST", ingest.PathBatches, "k4", body)
		if resp.StatusCode != 401 || !strings.Contains(string(b), "does not verify") {
			t.Fatalf("bad signature: %d %s", resp.StatusCode, b)
		}
		waitLog(t, &logs, "reason=bad_signature", "province=ha-tinh", "key_id=ha-tinh-2026")
	})
	t.Run("body changed after signing", func(t *testing.T) {
		c := newClient(t, s, good)
		req, _ := http.NewRequest("POST", s.URL+ingest.PathBatches, bytes.NewReader(body))
		req.Header.Set(ingest.HeaderIdempotency, "k5")
		ingest.Sign(req.Header, "POST", ingest.PathBatches, batchBody(t, 2, person(t, 1, "Nguyễn Văn A")), c.keyID, c.key)
		resp, err := c.http.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 401 {
			t.Fatalf("a body other than the signed one: %d, want 401", resp.StatusCode)
		}
	})
	t.Run("unknown key id", func(t *testing.T) {
		c := newClient(t, s, good)
		c.keyID = "ha-tinh-2019"
		resp, b := c.mustSend("POST", ingest.PathBatches, "k6", body)
		if resp.StatusCode != 401 || !strings.Contains(string(b), `key id \"ha-tinh-2019\"`) {
			t.Fatalf("unknown key id: %d %s", resp.StatusCode, b)
		}
		waitLog(t, &logs, "reason=unknown_key")
	})
	t.Run("too many records", func(t *testing.T) {
		c := newClient(t, s, good)
		resp, b := c.mustSend("POST", ingest.PathBatches, "k7", batchBody(t, 1, person(t, 1, "A"), person(t, 2, "B"), person(t, 3, "C"), person(t, 4, "D")))
		var p ingest.Problem
		json.Unmarshal(b, &p)
		if resp.StatusCode != 413 || p.Type != ingest.ProblemTooLarge || p.Limit != 3 || !strings.Contains(p.Detail, "4 records, over the limit of 3") {
			t.Fatalf("over-size batch: %d %s", resp.StatusCode, b)
		}
	})
	t.Run("too many bytes", func(t *testing.T) {
		c := newClient(t, s, good)
		big := person(t, 1, "A")
		big.Data = []byte(`{"full_name":"` + strings.Repeat("A", 70<<10) + `"}`)
		resp, b := c.mustSend("POST", ingest.PathBatches, "k8", batchBody(t, 1, big))
		if resp.StatusCode != 413 || !strings.Contains(string(b), "over the limit of 65536") {
			t.Fatalf("over-size body: %d %s", resp.StatusCode, b)
		}
		waitLog(t, &logs, "reason=too_large")
	})
	t.Run("schema version", func(t *testing.T) {
		c := newClient(t, s, good)
		var bt ingest.Batch
		json.Unmarshal(body, &bt)
		bt.SchemaVersion = "7"
		b, _ := json.Marshal(bt)
		resp, ans := c.mustSend("POST", ingest.PathBatches, "k9", b)
		var p ingest.Problem
		json.Unmarshal(ans, &p)
		if resp.StatusCode != 422 || p.Type != ingest.ProblemSchemaVersion || len(p.SupportedVersions) != 1 || p.SupportedVersions[0] != ingest.SchemaVersion {
			t.Fatalf("unsupported schema version: %d %s", resp.StatusCode, ans)
		}
	})
	var n int
	if err := s.DB.Get(&n, `SELECT count(*) FROM national_records`); err != nil || n != 0 {
		t.Fatalf("%d records stored after refusals only (%v), want 0", n, err)
	}
}

// waitLog waits until the log holds a line with every part: the TLS
// handshake is logged by the server's goroutine after the client saw it
// fail.
func waitLog(t *testing.T, logs *testio.Buffer, parts ...string) {
	t.Helper()
	for range 500 {
		for line := range strings.SplitSeq(logs.String(), "\n") {
			all := true
			for _, p := range parts {
				all = all && strings.Contains(line, p)
			}
			if all {
				return
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no log line with %q in:\n%s", parts, logs.String())
}

// Delivery out of order: batches of one run applied in reverse order end
// as in order; a batch of an older run arriving after a newer run wrote
// its records is refused (409 newer-run) and changes nothing.
func TestReorderedDelivery(t *testing.T) {
	pki := ingesttest.NewPKI(t)
	s := ingesttest.Start(t, pki, ingesttest.Options{})
	c := newClient(t, s, pki.ClientTLS(t, pki.ClientCert, pki.ClientKey))
	send := func(key string, body []byte) (int, string) {
		t.Helper()
		resp, b := c.mustSend("POST", ingest.PathBatches, key, body)
		return resp.StatusCode, string(b)
	}
	// Run 1's second batch arrives before its first.
	if code, b := send("r1-b2", batchBody(t, 1, person(t, 3, "C"), person(t, 4, "D"))); code != 200 {
		t.Fatalf("second batch first: %d %s", code, b)
	}
	if code, b := send("r1-b1", batchBody(t, 1, person(t, 1, "A"), person(t, 2, "B"))); code != 200 {
		t.Fatalf("first batch second: %d %s", code, b)
	}
	if n, err := s.Store.Count(t.Context(), "ha-tinh/cong-an", "dan-cu", "cong-dan"); err != nil || n != 4 {
		t.Fatalf("live after reordered batches: %d %v, want 4", n, err)
	}
	// Run 3 rewrites record 1; a late batch of run 2 with its old
	// version must not overwrite it.
	if code, b := send("r3-b1", batchBody(t, 3, person(t, 1, "Nguyễn Văn Ánh"))); code != 200 || !strings.Contains(b, "updated") {
		t.Fatalf("run 3: %d %s", code, b)
	}
	code, b := send("r2-b1", batchBody(t, 2, person(t, 1, "A cũ")))
	if code != 409 || !strings.Contains(b, ingest.ProblemNewerRun) {
		t.Fatalf("late batch of an older run: %d %s, want 409 newer-run", code, b)
	}
	doc, _, err := s.Store.Get(t.Context(), "person", "042090000001")
	if err != nil || !strings.Contains(string(doc.Data), "Nguyễn Văn Ánh") {
		t.Fatalf("record 1 after the late batch: %s %v, want run 3's version", doc.Data, err)
	}
}
