// Package ingest is the national side of the push protocol
// (docs/national-api.yaml): an http.Handler that verifies who sends a batch
// (the client certificate's CN names the province, an Ed25519 signature over
// the request proves it), applies the batch idempotently to a PostgreSQL
// national store, and answers record by record.
//
// The package also holds the protocol's wire types and its signing string,
// which the province's sink (national/httpsink) uses, so both ends cannot
// drift apart.
//
// It must not know connectors, mappings or the run ledger: a province's
// records arrive validated by the province and are validated again here
// against the common schema.
package ingest

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/lienthong/lienthong/national"
	"github.com/lienthong/lienthong/schema"
)

// Paths of the protocol, under the mount point /v1/national/.
const (
	PathInfo        = "/v1/national/info"
	PathBatches     = "/v1/national/batches"
	PathTouch       = "/v1/national/streams/touch"
	PathRetire      = "/v1/national/streams/retire"
	PathMarkDeleted = "/v1/national/streams/mark-deleted"
	PathUnseen      = "/v1/national/streams/unseen"
	PathCount       = "/v1/national/streams/count"
)

// Headers of the protocol.
const (
	HeaderKeyID       = "Lienthong-Key-Id"
	HeaderSignature   = "Lienthong-Signature"
	HeaderIdempotency = "Idempotency-Key"
	HeaderReplayed    = "Idempotent-Replayed"
)

// SchemaVersion is the common-schema version this build speaks on the wire.
var SchemaVersion = strconv.Itoa(schema.Version)

// Reason codes of the national side, beside the common schema's.
const (
	// ReasonHashMismatch: the record's hash is not the SHA-256 of its data.
	ReasonHashMismatch = "national_hash_mismatch"
	// ReasonKeyMismatch: the record's natural key is not its kind's key of
	// its data.
	ReasonKeyMismatch = "national_key_mismatch"
	// ReasonUnknownKind: the record's kind is not a common-schema kind.
	ReasonUnknownKind = "national_unknown_kind"
)

// Problem types of the protocol (RFC 9457 "type" URIs).
const (
	ProblemTooLarge        = "https://lienthong.dev/problems/batch-too-large"
	ProblemSchemaVersion   = "https://lienthong.dev/problems/unsupported-schema-version"
	ProblemNewerRun        = "https://lienthong.dev/problems/newer-run"
	ProblemKeyReused       = "https://lienthong.dev/problems/idempotency-key-reused"
	ProblemBadSignature    = "https://lienthong.dev/problems/bad-signature"
	ProblemUnknownProvince = "https://lienthong.dev/problems/unknown-province"
)

// Info is the answer of GET /v1/national/info.
type Info struct {
	SchemaVersions  []string `json:"schema_versions"`
	MaxBatchRecords int      `json:"max_batch_records"`
	MaxBatchBytes   int64    `json:"max_batch_bytes"`
	Signature       string   `json:"signature"`
	Province        string   `json:"province,omitempty"`
}

// Provenance is a batch's provenance on the wire.
type Provenance struct {
	Department     string `json:"department"`
	Source         string `json:"source"`
	Stream         string `json:"stream"`
	RunID          int64  `json:"run_id"`
	Generation     int64  `json:"generation,omitempty"`
	MappingVersion string `json:"mapping_version,omitempty"`
}

// FromNational is p on the wire.
func FromNational(p national.Provenance) Provenance {
	return Provenance{Department: p.Department, Source: p.Source, Stream: p.Stream, RunID: p.RunID,
		Generation: p.Generation, MappingVersion: p.MappingVersion}
}

// national is the provenance the national store keeps for a province's
// stream: the province goes with the department, so two provinces'
// streams (and their run numbers) never meet.
func (p Provenance) national(province string) national.Provenance {
	return national.Provenance{Department: province + "/" + p.Department, Source: p.Source, Stream: p.Stream,
		RunID: p.RunID, Generation: p.Generation, MappingVersion: p.MappingVersion}
}

// Record is one common-schema record on the wire.
type Record struct {
	Kind       string          `json:"kind"`
	NaturalKey string          `json:"natural_key"`
	SourceKey  string          `json:"source_key"`
	Data       json.RawMessage `json:"data"`
	Hash       string          `json:"hash"`
}

// FromItem is it on the wire.
func FromItem(it national.Item) Record {
	return Record{Kind: it.Kind, NaturalKey: it.NaturalKey, SourceKey: it.SourceKey, Data: it.Data,
		Hash: hex.EncodeToString(it.Hash[:])}
}

// Batch is the body of POST /v1/national/batches.
type Batch struct {
	SchemaVersion string     `json:"schema_version"`
	Provenance    Provenance `json:"provenance"`
	Records       []Record   `json:"records"`
}

// Outcomes on the wire.
const (
	OutcomeInserted  = "inserted"
	OutcomeUpdated   = "updated"
	OutcomeUnchanged = "unchanged"
	OutcomeRejected  = "rejected"
)

// Result is what the national side did with one record.
type Result struct {
	Outcome string `json:"outcome"`
	Reason  string `json:"reason,omitempty"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message,omitempty"`
}

// BatchAnswer is the answer to a batch: one result per record, in order.
type BatchAnswer struct {
	IdempotencyKey string   `json:"idempotency_key"`
	SchemaVersion  string   `json:"schema_version"`
	Results        []Result `json:"results"`
}

// StreamRequest is the body of the /v1/national/streams/ operations.
type StreamRequest struct {
	Provenance Provenance `json:"provenance"`
	SourceKeys []string   `json:"source_keys,omitempty"`
}

// CountAnswer answers the /v1/national/streams/ operations.
type CountAnswer struct {
	Count int64 `json:"count"`
}

// Problem is an RFC 9457 problem details object, the body of every error.
type Problem struct {
	Type              string   `json:"type"`
	Title             string   `json:"title"`
	Status            int      `json:"status"`
	Detail            string   `json:"detail,omitempty"`
	Instance          string   `json:"instance,omitempty"`
	SupportedVersions []string `json:"supported_versions,omitempty"`
	Limit             int64    `json:"limit,omitempty"`
}

// SigningString is what a request's Ed25519 signature covers: the method,
// the path, the idempotency key and the SHA-256 of the body, so a signed
// body cannot be replayed to another operation or under another key.
func SigningString(method, path, idempotencyKey string, body []byte) []byte {
	sum := sha256.Sum256(body)
	return fmt.Appendf(nil, "lienthong-ingest-v1\n%s\n%s\n%s\n%s", method, path, idempotencyKey, hex.EncodeToString(sum[:]))
}

// Sign sets the signature headers of a request whose body is body.
func Sign(h http.Header, method, path string, body []byte, keyID string, key ed25519.PrivateKey) {
	sig := ed25519.Sign(key, SigningString(method, path, h.Get(HeaderIdempotency), body))
	h.Set(HeaderKeyID, keyID)
	h.Set(HeaderSignature, base64.StdEncoding.EncodeToString(sig))
}

// ErrBadSignature is returned by Verify when a signature is missing,
// malformed or does not verify.
var ErrBadSignature = errors.New("ingest: bad request signature")

// Verify checks a request's signature with the public key.
func Verify(h http.Header, method, path string, body []byte, pub ed25519.PublicKey) error {
	raw := h.Get(HeaderSignature)
	if raw == "" {
		return fmt.Errorf("%w: no %s header", ErrBadSignature, HeaderSignature)
	}
	sig, err := base64.StdEncoding.DecodeString(raw)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return fmt.Errorf("%w: %s is not a base64 Ed25519 signature", ErrBadSignature, HeaderSignature)
	}
	if !ed25519.Verify(pub, SigningString(method, path, h.Get(HeaderIdempotency), body), sig) {
		return fmt.Errorf("%w: the signature does not verify with the key", ErrBadSignature)
	}
	return nil
}
