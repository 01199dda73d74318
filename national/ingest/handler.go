package ingest

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/lienthong/lienthong/internal/database"
	"github.com/lienthong/lienthong/internal/transient"
	"github.com/lienthong/lienthong/national"
	"github.com/lienthong/lienthong/schema"
)

// Province is a province allowed to push: its identifier, which its client
// certificate's subject CN must carry, and its signing keys by key id (more
// than one while a key is being rotated).
type Province struct {
	ID   string
	Keys map[string]ed25519.PublicKey
}

// Options are what the handler needs.
type Options struct {
	// Store is the national store batches are applied to.
	Store national.Store
	// DB is the national store's PostgreSQL database, which keeps the
	// answers of applied batches by (province, idempotency key).
	DB *database.DB
	// Provinces lists who may push.
	Provinces []Province
	// MaxBatchRecords and MaxBatchBytes bound a batch (defaults 5,000 and
	// 32 MiB).
	MaxBatchRecords int
	MaxBatchBytes   int64
	// MaxInFlight bounds the requests applied at once, from all provinces;
	// more are answered 429 (default 8).
	MaxInFlight int
	// Log receives every refusal: who, which key, which path, why.
	Log *slog.Logger
	// Registerer takes the handler's metrics; nil registers none.
	Registerer prometheus.Registerer
	// Now is the clock the records are validated at; nil is time.Now.
	Now func() time.Time
}

// Handler serves the ingest protocol under /v1/national/.
type Handler struct {
	opts      Options
	provinces map[string]Province
	mux       *http.ServeMux
	slots     chan struct{}
	m         *handlerMetrics
}

// New builds the handler. Migrate must have run on opts.DB.
func New(opts Options) (*Handler, error) {
	if opts.Store == nil || opts.DB == nil {
		return nil, errors.New("ingest: a national store and its database are required")
	}
	if opts.DB.Dialect != database.Postgres {
		return nil, fmt.Errorf("ingest: the national store must be PostgreSQL, not %s", opts.DB.Dialect)
	}
	if opts.MaxBatchRecords <= 0 {
		opts.MaxBatchRecords = 5000
	}
	if opts.MaxBatchBytes <= 0 {
		opts.MaxBatchBytes = 32 << 20
	}
	if opts.MaxInFlight <= 0 {
		opts.MaxInFlight = 8
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	h := &Handler{opts: opts, provinces: map[string]Province{}, mux: http.NewServeMux(),
		slots: make(chan struct{}, opts.MaxInFlight)}
	for _, p := range opts.Provinces {
		if p.ID == "" || len(p.Keys) == 0 {
			return nil, fmt.Errorf("ingest: province %q needs an identifier and at least one key", p.ID)
		}
		if _, dup := h.provinces[p.ID]; dup {
			return nil, fmt.Errorf("ingest: province %q is listed twice", p.ID)
		}
		h.provinces[p.ID] = p
	}
	var err error
	if h.m, err = newHandlerMetrics(opts.Registerer, opts.Provinces); err != nil {
		return nil, err
	}
	h.mux.Handle("GET "+PathInfo, h.authed("info", false, h.info))
	h.mux.Handle("POST "+PathBatches, h.authed("batch", true, h.batch))
	h.mux.Handle("POST "+PathTouch, h.authed("touch", true, h.stream(h.touch)))
	h.mux.Handle("POST "+PathRetire, h.authed("retire", true, h.stream(h.retire)))
	h.mux.Handle("POST "+PathMarkDeleted, h.authed("mark_deleted", true, h.stream(h.markDeleted)))
	h.mux.Handle("POST "+PathUnseen, h.authed("unseen", true, h.stream(h.unseen)))
	h.mux.Handle("POST "+PathCount, h.authed("count", true, h.stream(h.count)))
	return h, nil
}

// ServeHTTP serves the protocol's routes.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// call is an authenticated request: its province and its whole body.
type call struct {
	province string
	keyID    string
	body     []byte
}

type callHandler func(w http.ResponseWriter, r *http.Request, c call) int

// authed reads the body within the size limit, finds the province from the
// verified client certificate and checks the request's signature with one
// of its keys; every refusal is logged. limited requests take a slot of
// MaxInFlight or are answered 429.
func (h *Handler) authed(op string, limited bool, next callHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		status, province := h.serve(w, r, op, limited, next)
		h.m.requests.WithLabelValues(province, op, strconv.Itoa(status)).Inc()
	})
}

func (h *Handler) serve(w http.ResponseWriter, r *http.Request, op string, limited bool, next callHandler) (int, string) {
	refuse := func(status int, typ, reason, detail string, attrs ...any) int {
		h.opts.Log.Warn("ingest refused", append([]any{"path", r.URL.Path, "remote", r.RemoteAddr, "status", status, "reason", reason}, attrs...)...)
		h.m.refused.WithLabelValues(reason).Inc()
		writeProblem(w, r, Problem{Type: typ, Status: status, Detail: detail})
		return status
	}
	if r.TLS == nil || len(r.TLS.VerifiedChains) == 0 || len(r.TLS.VerifiedChains[0]) == 0 {
		return refuse(http.StatusUnauthorized, "", "no_certificate",
			"a verified client certificate is required: connect over mutual TLS with the province's certificate"), ""
	}
	cn := r.TLS.VerifiedChains[0][0].Subject.CommonName
	prov, ok := h.provinces[cn]
	if !ok {
		return refuse(http.StatusForbidden, ProblemUnknownProvince, "unknown_province",
			fmt.Sprintf("the certificate names %q, which is not a province listed by the national side", cn), "province", cn), ""
	}
	keyID := r.Header.Get(HeaderKeyID)
	key, ok := prov.Keys[keyID]
	if !ok {
		return refuse(http.StatusUnauthorized, ProblemBadSignature, "unknown_key",
			fmt.Sprintf("key id %q is not one of province %s's signing keys", keyID, cn), "province", cn, "key_id", keyID), cn
	}
	if r.ContentLength > h.opts.MaxBatchBytes {
		return refuse(http.StatusRequestEntityTooLarge, ProblemTooLarge, "too_large", h.tooLarge(r.ContentLength),
			"province", cn, "bytes", r.ContentLength), cn
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, h.opts.MaxBatchBytes+1))
	if err != nil {
		return refuse(http.StatusBadRequest, "", "bad_body", "the request body could not be read: "+err.Error(), "province", cn), cn
	}
	if int64(len(body)) > h.opts.MaxBatchBytes {
		return refuse(http.StatusRequestEntityTooLarge, ProblemTooLarge, "too_large", h.tooLarge(-1), "province", cn), cn
	}
	if err := Verify(r.Header, r.Method, r.URL.Path, body, key); err != nil {
		return refuse(http.StatusUnauthorized, ProblemBadSignature, "bad_signature", err.Error()+"; sign the request as docs/national-api.yaml says",
			"province", cn, "key_id", keyID), cn
	}
	if limited {
		select {
		case h.slots <- struct{}{}:
			defer func() { <-h.slots }()
		default:
			w.Header().Set("Retry-After", "1")
			return refuse(http.StatusTooManyRequests, "", "busy",
				fmt.Sprintf("%d requests are being applied, the most the national side takes at once; send the same request again after Retry-After", h.opts.MaxInFlight),
				"province", cn), cn
		}
	}
	return next(w, r, call{province: cn, keyID: keyID, body: body}), cn
}

func (h *Handler) tooLarge(n int64) string {
	if n < 0 {
		return fmt.Sprintf("the request body is over the limit of %d bytes; send smaller batches", h.opts.MaxBatchBytes)
	}
	return fmt.Sprintf("the request body has %d bytes, over the limit of %d; send smaller batches", n, h.opts.MaxBatchBytes)
}

func (h *Handler) info(w http.ResponseWriter, _ *http.Request, c call) int {
	writeJSON(w, nil, Info{SchemaVersions: []string{SchemaVersion}, MaxBatchRecords: h.opts.MaxBatchRecords,
		MaxBatchBytes: h.opts.MaxBatchBytes, Signature: "ed25519", Province: c.province})
	return http.StatusOK
}

// applyTimeout bounds the application of one batch, which goes on when
// the province hangs up.
const applyTimeout = 5 * time.Minute

var idempotencyKey = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)

func (h *Handler) batch(w http.ResponseWriter, r *http.Request, c call) int {
	key := r.Header.Get(HeaderIdempotency)
	if !idempotencyKey.MatchString(key) {
		return h.problem(w, r, c, Problem{Status: http.StatusBadRequest,
			Detail: "Idempotency-Key must be 1 to 128 characters of A-Z a-z 0-9 . _ : -"})
	}
	var b Batch
	if err := strictDecode(c.body, &b); err != nil {
		return h.problem(w, r, c, Problem{Status: http.StatusBadRequest, Detail: "the batch is not valid JSON for the protocol: " + err.Error()})
	}
	if !supported(b.SchemaVersion) {
		return h.problem(w, r, c, Problem{Type: ProblemSchemaVersion, Status: http.StatusUnprocessableEntity,
			Detail:            fmt.Sprintf("schema version %q is not accepted; send one of the supported versions", b.SchemaVersion),
			SupportedVersions: []string{SchemaVersion}})
	}
	if len(b.Records) == 0 {
		return h.problem(w, r, c, Problem{Status: http.StatusBadRequest, Detail: "the batch holds no record"})
	}
	if len(b.Records) > h.opts.MaxBatchRecords {
		return h.problem(w, r, c, Problem{Type: ProblemTooLarge, Status: http.StatusRequestEntityTooLarge,
			Detail: fmt.Sprintf("the batch holds %d records, over the limit of %d; send smaller batches", len(b.Records), h.opts.MaxBatchRecords),
			Limit:  int64(h.opts.MaxBatchRecords)})
	}
	if err := checkProvenance(b.Provenance, true); err != nil {
		return h.problem(w, r, c, Problem{Status: http.StatusBadRequest, Detail: err.Error()})
	}
	// Once begun, a batch is applied and its answer stored even if the
	// province hangs up (its request timed out): its retry under the same
	// key then gets this answer, not a second application's "unchanged".
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), applyTimeout)
	defer cancel()
	bodySum := sha256.Sum256(c.body)
	answer, status, err := h.applyOnce(ctx, c.province, key, bodySum[:], func() ([]byte, int, error) {
		return h.apply(ctx, w, r, c, key, b)
	})
	switch {
	case err != nil:
		return h.storeFailure(w, r, c, err)
	case status == statusReused:
		return h.problem(w, r, c, Problem{Type: ProblemKeyReused, Status: http.StatusUnprocessableEntity,
			Detail: fmt.Sprintf("Idempotency-Key %q was used by an earlier batch with a different body; give each batch its own key", key)})
	case status == statusReplayed:
		w.Header().Set(HeaderReplayed, "true")
		h.m.replayed.WithLabelValues(c.province).Inc()
		status = http.StatusOK
	}
	if status == http.StatusOK {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.WriteHeader(http.StatusOK)
		w.Write(answer)
	}
	return status
}

// apply validates and writes a batch, and returns its encoded answer; a
// status other than 200 means the handler already answered (a problem).
func (h *Handler) apply(ctx context.Context, w http.ResponseWriter, r *http.Request, c call, key string, b Batch) ([]byte, int, error) {
	now := h.opts.Now()
	ans := BatchAnswer{IdempotencyKey: key, SchemaVersion: SchemaVersion, Results: make([]Result, len(b.Records))}
	items := make([]national.Item, 0, len(b.Records))
	pos := make([]int, 0, len(b.Records))
	for i, rec := range b.Records {
		it, res := check(rec, now)
		if res != nil {
			ans.Results[i] = *res
			continue
		}
		items = append(items, it)
		pos = append(pos, i)
	}
	p := b.Provenance.national(c.province)
	res, err := h.opts.Store.Write(ctx, p, items)
	if errors.Is(err, national.ErrNewerRun) {
		return nil, h.problem(w, r, c, Problem{Type: ProblemNewerRun, Status: http.StatusConflict,
			Detail: fmt.Sprintf("a later run of %s/%s/%s than run %d already wrote a record of the batch: this run lost its stream and must stop",
				b.Provenance.Department, b.Provenance.Source, b.Provenance.Stream, b.Provenance.RunID)}), nil
	}
	if err != nil {
		return nil, 0, err
	}
	for j, o := range res.Outcomes {
		i := pos[j]
		switch o {
		case national.Inserted:
			ans.Results[i] = Result{Outcome: OutcomeInserted}
		case national.Updated:
			ans.Results[i] = Result{Outcome: OutcomeUpdated}
		case national.Unchanged:
			ans.Results[i] = Result{Outcome: OutcomeUnchanged}
		default:
			ans.Results[i] = Result{Outcome: OutcomeRejected, Reason: schema.ReasonDuplicateKey,
				Message: fmt.Sprintf("%s key %q is already delivered by %s", items[j].Kind, items[j].NaturalKey, res.ConflictWith[j])}
		}
	}
	for _, x := range ans.Results {
		h.m.records.WithLabelValues(c.province, x.Outcome).Inc()
	}
	enc, err := json.Marshal(ans)
	return enc, http.StatusOK, err
}

// check validates one record as the national side sees it: a known kind,
// a hash that is the data's, a natural key that is the data's, and data
// valid for the common schema. It returns the item to write, or the
// record's rejection.
func check(rec Record, now time.Time) (national.Item, *Result) {
	reject := func(reason, field, msg string) (national.Item, *Result) {
		return national.Item{}, &Result{Outcome: OutcomeRejected, Reason: reason, Field: field, Message: msg}
	}
	k, ok := schema.Lookup(rec.Kind)
	if !ok {
		return reject(ReasonUnknownKind, "", fmt.Sprintf("kind %q is not a common-schema kind", rec.Kind))
	}
	sum := sha256.Sum256(rec.Data)
	if rec.Hash != hex.EncodeToString(sum[:]) {
		return reject(ReasonHashMismatch, "", "hash is not the SHA-256 of data as sent")
	}
	var data map[string]any
	dec := json.NewDecoder(bytes.NewReader(rec.Data))
	dec.UseNumber()
	if err := dec.Decode(&data); err != nil || data == nil {
		return reject(schema.ReasonBadFormat, "", "data is not a JSON object")
	}
	if vs := k.ValidateAt(data, now); len(vs) > 0 {
		return reject(vs[0].Code, vs[0].Field, vs[0].Message)
	}
	if nk := k.NaturalKey(data); nk != rec.NaturalKey {
		return reject(ReasonKeyMismatch, "", fmt.Sprintf("natural_key is not the %s key of data", rec.Kind))
	}
	return national.Item{Kind: rec.Kind, NaturalKey: rec.NaturalKey, SourceKey: rec.SourceKey, Data: rec.Data, Hash: sum}, nil
}

func checkProvenance(p Provenance, needRun bool) error {
	for name, v := range map[string]string{"department": p.Department, "source": p.Source, "stream": p.Stream} {
		if v == "" || len(v) > 100 {
			return fmt.Errorf("provenance.%s must be 1 to 100 characters", name)
		}
	}
	if p.RunID < 0 || needRun && p.RunID == 0 {
		return errors.New("provenance.run_id must be a positive run number")
	}
	if p.Generation < 0 {
		return errors.New("provenance.generation must not be negative")
	}
	return nil
}

// stream decodes the body of a /streams/ operation.
func (h *Handler) stream(op func(ctx context.Context, p national.Provenance, keys []string) (int64, error)) callHandler {
	return func(w http.ResponseWriter, r *http.Request, c call) int {
		var req StreamRequest
		if err := strictDecode(c.body, &req); err != nil {
			return h.problem(w, r, c, Problem{Status: http.StatusBadRequest, Detail: "the request is not valid JSON for the protocol: " + err.Error()})
		}
		if err := checkProvenance(req.Provenance, false); err != nil {
			return h.problem(w, r, c, Problem{Status: http.StatusBadRequest, Detail: err.Error()})
		}
		n, err := op(r.Context(), req.Provenance.national(c.province), req.SourceKeys)
		if errors.Is(err, errNeedsGeneration) {
			return h.problem(w, r, c, Problem{Status: http.StatusBadRequest, Detail: err.Error()})
		}
		if err != nil {
			return h.storeFailure(w, r, c, err)
		}
		writeJSON(w, r, CountAnswer{Count: n})
		return http.StatusOK
	}
}

var errNeedsGeneration = errors.New("provenance.generation must be the full refresh's generation, above 0")

func (h *Handler) touch(ctx context.Context, p national.Provenance, keys []string) (int64, error) {
	if p.Generation <= 0 {
		return 0, errNeedsGeneration
	}
	return int64(len(keys)), h.opts.Store.Touch(ctx, p, keys)
}

func (h *Handler) retire(ctx context.Context, p national.Provenance, keys []string) (int64, error) {
	return h.opts.Store.Retire(ctx, p, keys)
}

func (h *Handler) markDeleted(ctx context.Context, p national.Provenance, _ []string) (int64, error) {
	if p.Generation <= 0 {
		return 0, errNeedsGeneration
	}
	return h.opts.Store.MarkDeleted(ctx, p)
}

func (h *Handler) unseen(ctx context.Context, p national.Provenance, _ []string) (int64, error) {
	if p.Generation <= 0 {
		return 0, errNeedsGeneration
	}
	return h.opts.Store.Unseen(ctx, p)
}

func (h *Handler) count(ctx context.Context, p national.Provenance, _ []string) (int64, error) {
	return h.opts.Store.Count(ctx, p.Department, p.Source, p.Stream)
}

// storeFailure answers a failure of the national store: 503 with
// Retry-After when it passes (a restart, a dropped connection), else 500.
func (h *Handler) storeFailure(w http.ResponseWriter, r *http.Request, c call, err error) int {
	h.opts.Log.Error("ingest failed", "path", r.URL.Path, "province", c.province, "error", err)
	if transient.Is(err) || r.Context().Err() != nil {
		w.Header().Set("Retry-After", "2")
		return h.problem(w, r, c, Problem{Status: http.StatusServiceUnavailable,
			Detail: "the national store is unavailable for now; send the same request again after Retry-After"})
	}
	return h.problem(w, r, c, Problem{Status: http.StatusInternalServerError,
		Detail: "the national store failed to apply the request; it was not applied"})
}

// problem answers with problem details and logs a refusal that is the
// province's doing.
func (h *Handler) problem(w http.ResponseWriter, r *http.Request, c call, p Problem) int {
	if p.Status < 500 {
		h.opts.Log.Warn("ingest refused", "path", r.URL.Path, "province", c.province, "status", p.Status, "detail", p.Detail)
	}
	writeProblem(w, r, p)
	return p.Status
}

func writeProblem(w http.ResponseWriter, r *http.Request, p Problem) {
	if p.Type == "" {
		p.Type = "about:blank"
	}
	if p.Title == "" {
		p.Title = http.StatusText(p.Status)
	}
	p.Instance = r.URL.Path
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(p.Status)
	json.NewEncoder(w).Encode(p)
}

func writeJSON(w http.ResponseWriter, _ *http.Request, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	json.NewEncoder(w).Encode(v)
}

// strictDecode decodes one JSON value, refusing unknown fields and
// trailing data.
func strictDecode(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("data after the JSON value")
	}
	return nil
}

// supported reports whether the national side accepts a schema version.
func supported(v string) bool { return slices.Contains([]string{SchemaVersion}, v) }
