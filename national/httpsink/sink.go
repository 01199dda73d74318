// Package httpsink is the national store reached over the national ingest
// API (docs/national-api.yaml) instead of a database connection: a
// national.Store whose writes are signed HTTPS requests over mutual TLS.
//
// A batch is sent with an idempotency key kept across the retries of the
// request, so a request whose answer was lost is applied once and answered
// the same; the engine commits its checkpoint only after the national
// side's answer came back, record by record. Requests are retried with
// exponential backoff and jitter (go-retryablehttp), honouring Retry-After
// on 429 and 503; at most MaxInFlight requests are out at once; a circuit
// breaker stops sending for a cool-down once the national side failed
// BreakerFailures batches in a row, so a run pauses its stream at its last
// committed batch with a ledger error that says so.
//
// The sink writes; it does not read: Get and Prefill return ErrNoReads
// (the portal reads the national side's own store), and Anonymise leaves
// the retention of deleted records to the national side.
package httpsink

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-retryablehttp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/lienthong/lienthong/national"
	"github.com/lienthong/lienthong/national/ingest"
)

// Config configures a sink.
type Config struct {
	// URL is the national ingest service's base URL, https://host:port.
	URL string
	// KeyID and Key sign every request (Ed25519).
	KeyID string
	Key   ed25519.PrivateKey
	// TLS holds the client certificate and the pinned CA (ClientTLS).
	TLS *tls.Config
	// Transport, when set, is the base transport (for example one that
	// internal/netguard guards); its TLSClientConfig is replaced by TLS.
	Transport *http.Transport
	// Timeout bounds one attempt of a request (default 60 s).
	Timeout time.Duration
	// RetryMax is how many times a failed request is sent again (default 6);
	// RetryWaitMin and RetryWaitMax bound the backoff (default 500 ms, 30 s).
	RetryMax                   int
	RetryWaitMin, RetryWaitMax time.Duration
	// MaxInFlight bounds the requests out at once, over every stream that
	// shares the sink (default 4).
	MaxInFlight int
	// MaxBatchRecords caps the records of one request below the national
	// side's limit; 0 takes the national side's.
	MaxBatchRecords int
	// BreakerFailures failed batches in a row open the breaker for
	// BreakerCooldown (defaults 5 and 1 min).
	BreakerFailures int
	BreakerCooldown time.Duration
	// Log receives retries and the breaker's changes.
	Log *slog.Logger
	// Registerer takes the sink's metrics; nil registers none.
	Registerer prometheus.Registerer
}

// ErrNoReads is returned by Get and Prefill: the sink only writes.
var ErrNoReads = errors.New("httpsink: the national store is reached over its ingest API, which serves no reads; read the national side's store")

// ErrUnavailable is returned while the breaker is open: the national side
// failed too many batches in a row, and the stream is paused.
var ErrUnavailable = errors.New("httpsink: the national ingest service is unavailable")

// ErrRefused is returned when the national side refused a request for a
// reason that sending it again cannot mend (credentials, limits, schema
// version); its problem's detail follows.
var ErrRefused = errors.New("httpsink: the national ingest service refused the request")

// Sink is a national.Store over the ingest API.
type Sink struct {
	cfg     Config
	client  *retryablehttp.Client
	slots   chan struct{}
	breaker *breaker
	m       *sinkMetrics

	mu   sync.Mutex
	info *ingest.Info
}

var _ national.Store = (*Sink)(nil)

// New returns a sink; it does not connect until first used.
func New(cfg Config) (*Sink, error) {
	if !strings.HasPrefix(cfg.URL, "https://") {
		return nil, fmt.Errorf("httpsink: url %q must be https://", cfg.URL)
	}
	cfg.URL = strings.TrimRight(cfg.URL, "/")
	if cfg.KeyID == "" || len(cfg.Key) != ed25519.PrivateKeySize {
		return nil, errors.New("httpsink: a signing key id and an Ed25519 private key are required")
	}
	if cfg.TLS == nil || len(cfg.TLS.Certificates) == 0 && cfg.TLS.GetClientCertificate == nil {
		return nil, errors.New("httpsink: a client certificate is required (mutual TLS)")
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&cfg.Timeout, time.Minute)
	def(&cfg.RetryWaitMin, 500*time.Millisecond)
	def(&cfg.RetryWaitMax, 30*time.Second)
	def(&cfg.BreakerCooldown, time.Minute)
	if cfg.RetryMax == 0 {
		cfg.RetryMax = 6
	}
	if cfg.RetryMax < 0 {
		cfg.RetryMax = 0
	}
	if cfg.MaxInFlight <= 0 {
		cfg.MaxInFlight = 4
	}
	if cfg.BreakerFailures <= 0 {
		cfg.BreakerFailures = 5
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	m, err := newSinkMetrics(cfg.Registerer)
	if err != nil {
		return nil, err
	}
	tr := cfg.Transport
	if tr == nil {
		tr = http.DefaultTransport.(*http.Transport).Clone()
	} else {
		tr = tr.Clone()
	}
	tr.TLSClientConfig = cfg.TLS.Clone()
	tr.MaxIdleConnsPerHost = cfg.MaxInFlight
	s := &Sink{cfg: cfg, slots: make(chan struct{}, cfg.MaxInFlight), m: m,
		breaker: &breaker{threshold: cfg.BreakerFailures, cooldown: cfg.BreakerCooldown, log: cfg.Log, m: m}}
	c := retryablehttp.NewClient()
	c.HTTPClient = &http.Client{Transport: tr, Timeout: cfg.Timeout}
	c.RetryMax, c.RetryWaitMin, c.RetryWaitMax = cfg.RetryMax, cfg.RetryWaitMin, cfg.RetryWaitMax
	c.Logger = nil
	c.Backoff = Backoff
	c.CheckRetry = retryPolicy
	c.ErrorHandler = retryablehttp.PassthroughErrorHandler
	c.RequestLogHook = func(_ retryablehttp.Logger, r *http.Request, attempt int) {
		if attempt > 0 {
			op := operation(r.URL.Path)
			m.retries.WithLabelValues(op).Inc()
			cfg.Log.Warn("national ingest: sending the request again", "operation", op, "attempt", attempt+1)
		}
	}
	s.client = c
	return s, nil
}

// Backoff is the wait before a request is sent again: what Retry-After
// asks on a 429 or 503 (capped at max), else doubling from min with jitter
// (between half and all of min·2ⁿ, capped at max), so provinces that
// failed together do not come back together.
func Backoff(min, max time.Duration, attempt int, resp *http.Response) time.Duration {
	if resp != nil && (resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable) {
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s >= 0 {
			return min2(time.Duration(s)*time.Second, max)
		}
	}
	d := max
	if attempt < 30 {
		d = min2(min<<attempt, max)
	}
	return d/2 + mrand.N(d/2+1)
}

func min2(a, b time.Duration) time.Duration {
	if a < b {
		return a
	}
	return b
}

// Migrate does nothing: the national side keeps its own store's
// migrations, and the schema version and limits are negotiated on the
// first write (Negotiate), so commands that do not write (runs, rejects)
// work while the national side is unreachable.
func (s *Sink) Migrate(context.Context) (int, error) { return 0, nil }

// Negotiate asks the national side which schema versions and batch limits
// it accepts, and checks that it accepts this lienthong's version.
func (s *Sink) Negotiate(ctx context.Context) error {
	_, err := s.negotiate(ctx)
	return err
}

// negotiate asks the national side what it accepts, once.
func (s *Sink) negotiate(ctx context.Context) (*ingest.Info, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.info != nil {
		return s.info, nil
	}
	var info ingest.Info
	if err := s.call(ctx, http.MethodGet, ingest.PathInfo, "", nil, &info); err != nil {
		return nil, err
	}
	if !slices.Contains(info.SchemaVersions, ingest.SchemaVersion) {
		return nil, fmt.Errorf("%w: the national side accepts common-schema versions %v, and this lienthong speaks %s; upgrade one side",
			ErrRefused, info.SchemaVersions, ingest.SchemaVersion)
	}
	if s.cfg.MaxBatchRecords > 0 && s.cfg.MaxBatchRecords < info.MaxBatchRecords {
		info.MaxBatchRecords = s.cfg.MaxBatchRecords
	}
	s.info = &info
	return s.info, nil
}

// WriteBatch sends the items, then the unwritten and refused keys (on a
// full refresh) and the skipped keys, each request applied at the national
// side on its own.
func (s *Sink) WriteBatch(ctx context.Context, p national.Provenance, b national.Batch) (national.Result, error) {
	return national.WriteInSteps(ctx, s, p, b)
}

// Write sends the items in requests within the national side's limits and
// returns each item's outcome. A request that fails after its retries
// fails the write: the engine then replays the batch, which the national
// side finds applied (unchanged) or answers from its stored answer.
func (s *Sink) Write(ctx context.Context, p national.Provenance, items []national.Item) (national.Result, error) {
	res := national.Result{Outcomes: make([]national.Outcome, 0, len(items))}
	if len(items) == 0 {
		return res, nil
	}
	info, err := s.negotiate(ctx)
	if err != nil {
		return national.Result{}, err
	}
	var nonce [12]byte
	rand.Read(nonce[:])
	prov := ingest.FromNational(p)
	records := make([]ingest.Record, len(items))
	for i, it := range items {
		records[i] = ingest.FromItem(it)
	}
	for n, chunk := range s.chunks(info, records) {
		base := len(res.Outcomes)
		body, err := json.Marshal(ingest.Batch{SchemaVersion: ingest.SchemaVersion, Provenance: prov, Records: chunk})
		if err != nil {
			return national.Result{}, fmt.Errorf("httpsink: encode batch: %w", err)
		}
		key := fmt.Sprintf("%s-%d", hex.EncodeToString(nonce[:]), n)
		var ans ingest.BatchAnswer
		if err := s.call(ctx, http.MethodPost, ingest.PathBatches, key, body, &ans); err != nil {
			return national.Result{}, fmt.Errorf("write %d records of %s/%s/%s to the national ingest service: %w",
				len(chunk), p.Department, p.Source, p.Stream, err)
		}
		if len(ans.Results) != len(chunk) {
			return national.Result{}, fmt.Errorf("httpsink: the national side answered %d results for %d records", len(ans.Results), len(chunk))
		}
		for j, r := range ans.Results {
			o, rj, err := outcome(r)
			if err != nil {
				return national.Result{}, fmt.Errorf("httpsink: record %s: %w", chunk[j].SourceKey, err)
			}
			if o == national.Rejected {
				if res.Rejections == nil {
					res.Rejections = map[int]national.Rejection{}
				}
				res.Rejections[base+j] = rj
			}
			res.Outcomes = append(res.Outcomes, o)
		}
	}
	return res, nil
}

// chunks cuts records into requests within the record and byte limits.
func (s *Sink) chunks(info *ingest.Info, records []ingest.Record) [][]ingest.Record {
	// Room for the provenance and the JSON around the records.
	budget := info.MaxBatchBytes - 4096
	var out [][]ingest.Record
	start, size := 0, int64(0)
	for i, r := range records {
		n := int64(len(r.Data) + len(r.Kind) + len(r.NaturalKey) + len(r.SourceKey) + len(r.Hash) + 96)
		if i > start && (i-start >= info.MaxBatchRecords || size+n > budget) {
			out = append(out, records[start:i])
			start, size = i, 0
		}
		size += n
	}
	return append(out, records[start:])
}

func outcome(r ingest.Result) (national.Outcome, national.Rejection, error) {
	switch r.Outcome {
	case ingest.OutcomeInserted:
		return national.Inserted, national.Rejection{}, nil
	case ingest.OutcomeUpdated:
		return national.Updated, national.Rejection{}, nil
	case ingest.OutcomeUnchanged:
		return national.Unchanged, national.Rejection{}, nil
	case ingest.OutcomeRejected:
		return national.Rejected, national.Rejection{Code: reasonCode(r.Reason), Field: r.Field, Message: r.Message}, nil
	}
	return 0, national.Rejection{}, fmt.Errorf("unknown outcome %q in the national side's answer", r.Outcome)
}

// stream sends one of the /streams/ operations and returns its count.
func (s *Sink) stream(ctx context.Context, path string, p national.Provenance, keys []string) (int64, error) {
	body, err := json.Marshal(ingest.StreamRequest{Provenance: ingest.FromNational(p), SourceKeys: keys})
	if err != nil {
		return 0, err
	}
	var ans ingest.CountAnswer
	if err := s.call(ctx, http.MethodPost, path, "", body, &ans); err != nil {
		return 0, fmt.Errorf("%s of %s/%s/%s at the national ingest service: %w", operation(path), p.Department, p.Source, p.Stream, err)
	}
	return ans.Count, nil
}

// MarkDeleted asks the national side to mark deleted the stream's records
// the completed full refresh did not see.
func (s *Sink) MarkDeleted(ctx context.Context, p national.Provenance) (int64, error) {
	return s.stream(ctx, ingest.PathMarkDeleted, p, nil)
}

// Unseen counts what MarkDeleted would mark now.
func (s *Sink) Unseen(ctx context.Context, p national.Provenance) (int64, error) {
	return s.stream(ctx, ingest.PathUnseen, p, nil)
}

// Touch stamps the generation on the records of rows read but rejected.
func (s *Sink) Touch(ctx context.Context, p national.Provenance, sourceKeys []string) error {
	_, err := s.stream(ctx, ingest.PathTouch, p, sourceKeys)
	return err
}

// Retire marks deleted the records of rows the mapping now skips.
func (s *Sink) Retire(ctx context.Context, p national.Provenance, sourceKeys []string) (int64, error) {
	return s.stream(ctx, ingest.PathRetire, p, sourceKeys)
}

// Count returns the stream's live records at the national side.
func (s *Sink) Count(ctx context.Context, department, source, stream string) (int64, error) {
	return s.stream(ctx, ingest.PathCount, national.Provenance{Department: department, Source: source, Stream: stream}, nil)
}

// Get returns ErrNoReads.
func (s *Sink) Get(context.Context, string, string) (national.Document, bool, error) {
	return national.Document{}, false, ErrNoReads
}

// Prefill returns ErrNoReads.
func (s *Sink) Prefill(context.Context, string) ([]national.Document, error) {
	return nil, ErrNoReads
}

// Anonymise does nothing: the national side applies its own retention to
// the records it marked deleted.
func (s *Sink) Anonymise(context.Context, string, string, string, time.Time) (int64, error) {
	return 0, nil
}

// call sends one signed request, within the in-flight bound and the
// breaker, and decodes a 200 answer into out.
func (s *Sink) call(ctx context.Context, method, path, key string, body []byte, out any) error {
	if err := s.breaker.allow(time.Now()); err != nil {
		return err
	}
	select {
	case s.slots <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	s.m.inFlight.Inc()
	defer func() { <-s.slots; s.m.inFlight.Dec() }()
	op := operation(path)
	start := time.Now()
	status, payload, err := s.do(ctx, method, path, key, body)
	s.m.duration.WithLabelValues(op).Observe(time.Since(start).Seconds())
	code := strconv.Itoa(status)
	if err != nil {
		code = "error"
	}
	s.m.requests.WithLabelValues(op, code).Inc()
	if err != nil {
		if tlsRefusal(err) {
			s.breaker.success()
			// %v, not %w: the network error inside would make the
			// engine wait out, as transient, what no retry mends.
			return fmt.Errorf("%w: the TLS handshake failed (check the client certificate, its validity and the national side's CA): %v", ErrRefused, err)
		}
		if ctx.Err() == nil {
			if open := s.breaker.failure(time.Now(), err); open != nil {
				return open
			}
		}
		return err
	}
	if status == http.StatusOK {
		s.breaker.success()
		if err := json.Unmarshal(payload, out); err != nil {
			return fmt.Errorf("httpsink: decode the national side's answer: %w", err)
		}
		return nil
	}
	var p ingest.Problem
	json.Unmarshal(payload, &p)
	detail := p.Detail
	if detail == "" {
		detail = http.StatusText(status)
	}
	switch {
	case status == http.StatusConflict && p.Type == ingest.ProblemNewerRun:
		s.breaker.success()
		return fmt.Errorf("%w: %s", national.ErrNewerRun, detail)
	case status == http.StatusTooManyRequests || status >= 500:
		err := fmt.Errorf("httpsink: the national side answered %d after %d attempts: %s", status, s.cfg.RetryMax+1, detail)
		if open := s.breaker.failure(time.Now(), err); open != nil {
			return open
		}
		return err
	default:
		s.breaker.success()
		return fmt.Errorf("%w (%d): %s", ErrRefused, status, detail)
	}
}

// do sends the request with retries and returns the last answer.
func (s *Sink) do(ctx context.Context, method, path, key string, body []byte) (int, []byte, error) {
	var rd any
	if body != nil {
		rd = body
	}
	req, err := retryablehttp.NewRequestWithContext(ctx, method, s.cfg.URL+path, rd)
	if err != nil {
		return 0, nil, fmt.Errorf("httpsink: %w", err)
	}
	if key != "" {
		req.Header.Set(ingest.HeaderIdempotency, key)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	ingest.Sign(req.Header, method, path, body, s.cfg.KeyID, s.cfg.Key)
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("httpsink: %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	payload, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return 0, nil, fmt.Errorf("httpsink: read the answer to %s: %w", path, err)
	}
	return resp.StatusCode, bytes.TrimSpace(payload), nil
}

// operation names a path in metrics and logs.
func operation(path string) string {
	switch path {
	case ingest.PathInfo:
		return "info"
	case ingest.PathBatches:
		return "batch"
	case ingest.PathTouch:
		return "touch"
	case ingest.PathRetire:
		return "retire"
	case ingest.PathMarkDeleted:
		return "mark_deleted"
	case ingest.PathUnseen:
		return "unseen"
	case ingest.PathCount:
		return "count"
	}
	return "other"
}
