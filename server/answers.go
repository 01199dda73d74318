package server

import (
	"time"

	"github.com/lienthong/lienthong/internal/ops"
	"github.com/lienthong/lienthong/registry"
	"github.com/lienthong/lienthong/sync/state"
)

// sourceAnswer is a source as docs/openapi.yaml's Source describes it:
// lienthong.yaml's keys beside what the registry knows, and of the secret
// only whether it is set.
type sourceAnswer struct {
	Department string              `json:"department"`
	Name       string              `json:"name"`
	Kind       string              `json:"kind"`
	DSN        string              `json:"dsn,omitempty"`
	DSNEnv     string              `json:"dsn_env,omitempty"`
	DSNFile    string              `json:"dsn_file,omitempty"`
	Timeout    string              `json:"timeout,omitempty"`
	Options    map[string]any      `json:"options,omitempty"`
	Secret     registry.SecretInfo `json:"secret"`
	Origin     string              `json:"origin"`
	Revision   int64               `json:"revision"`
	CreatedAt  time.Time           `json:"created_at"`
	UpdatedAt  time.Time           `json:"updated_at"`
	Streams    []streamAnswer      `json:"streams"`
}

func newSourceAnswer(v ops.SourceView) sourceAnswer {
	sp := v.Spec
	a := sourceAnswer{Department: v.Department, Name: sp.Name, Kind: sp.Kind, DSN: sp.DSN, DSNEnv: sp.DSNEnv, DSNFile: sp.DSNFile,
		Timeout: duration(sp.Timeout), Options: sp.Options, Secret: v.Secret, Origin: v.Origin, Revision: v.Revision,
		CreatedAt: v.CreatedAt, UpdatedAt: v.UpdatedAt, Streams: make([]streamAnswer, len(v.Streams))}
	for i, st := range v.Streams {
		a.Streams[i] = newStreamAnswer(st)
	}
	return a
}

// batchAnswer is a stream's batching policy.
type batchAnswer struct {
	Size   int    `json:"size,omitempty"`
	Period string `json:"period,omitempty"`
}

// streamAnswer is a stream as docs/openapi.yaml's Stream describes it.
type streamAnswer struct {
	Department        string       `json:"department"`
	Source            string       `json:"source"`
	Name              string       `json:"name"`
	Table             string       `json:"table,omitempty"`
	Query             string       `json:"query,omitempty"`
	PrimaryKey        []string     `json:"primary_key,omitempty"`
	Cursor            string       `json:"cursor,omitempty"`
	Mode              string       `json:"mode,omitempty"`
	LookBack          string       `json:"look_back,omitempty"`
	Kind              string       `json:"kind,omitempty"`
	PageSize          int          `json:"page_size,omitempty"`
	Batch             *batchAnswer `json:"batch,omitempty"`
	MaxDeleteRatio    float64      `json:"max_delete_ratio,omitempty"`
	RetryTransientFor string       `json:"retry_transient_for,omitempty"`
	Schedule          string       `json:"schedule,omitempty"`
	TimeZone          string       `json:"timezone,omitempty"`
	Timeout           string       `json:"timeout,omitempty"`
	MaxRuntime        string       `json:"max_runtime,omitempty"`

	ActiveMapping       int        `json:"active_mapping"`
	Origin              string     `json:"origin"`
	Revision            int64      `json:"revision"`
	CreatedAt           time.Time  `json:"created_at"`
	UpdatedAt           time.Time  `json:"updated_at"`
	LastRun             *state.Run `json:"last_run,omitempty"`
	LastSuccessAt       *time.Time `json:"last_success_at,omitempty"`
	RejectsOutstanding  int64      `json:"rejects_outstanding"`
	ConsecutiveFailures int64      `json:"consecutive_failures"`
}

func newStreamAnswer(v ops.StreamView) streamAnswer {
	sp := v.Spec
	a := streamAnswer{Department: v.Department, Source: v.Source, Name: sp.Name, Table: sp.Table, Query: sp.Query,
		PrimaryKey: sp.PrimaryKey, Cursor: sp.Cursor, Mode: sp.Mode, LookBack: sp.LookBack, Kind: sp.Kind, PageSize: sp.PageSize,
		MaxDeleteRatio: sp.MaxDeleteRatio, RetryTransientFor: duration(sp.RetryTransientFor), Schedule: sp.Schedule,
		TimeZone: sp.TimeZone, Timeout: duration(sp.Timeout), MaxRuntime: duration(sp.MaxRuntime),
		ActiveMapping: v.ActiveMapping, Origin: v.Origin, Revision: v.Revision, CreatedAt: v.CreatedAt, UpdatedAt: v.UpdatedAt,
		LastRun: v.LastRun, LastSuccessAt: v.LastSuccessAt, RejectsOutstanding: v.RejectsOutstanding, ConsecutiveFailures: v.ConsecutiveFailures}
	if b := sp.Batch; b != nil && (b.Size != 0 || b.Period != 0) {
		a.Batch = &batchAnswer{Size: b.Size, Period: duration(b.Period)}
	}
	return a
}

// duration writes a duration as lienthong.yaml takes it; empty when unset.
func duration(d time.Duration) string {
	if d == 0 {
		return ""
	}
	return d.String()
}
