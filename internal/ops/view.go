package ops

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"github.com/lienthong/lienthong/config"
	"github.com/lienthong/lienthong/registry"
	"github.com/lienthong/lienthong/sync/state"
)

// sourceView adds a source's streams and their health; statuses may be nil
// (they are read then).
func (s *Service) sourceView(ctx context.Context, src registry.Source, statuses map[state.Ref]state.StreamStatus) (SourceView, error) {
	src.Spec.ResolvedDSN, src.Spec.Streams = "", nil
	streams, err := s.Registry.ListStreams(ctx, src.Department, src.Spec.Name)
	if err != nil {
		return SourceView{}, fromRegistry(err, sourceName(src.Department, src.Spec.Name))
	}
	if statuses == nil && len(streams) > 0 {
		if statuses, err = s.State.StreamStatuses(ctx); err != nil {
			return SourceView{}, err
		}
	}
	v := SourceView{Source: src, Streams: make([]StreamView, 0, len(streams))}
	for _, st := range streams {
		sv, err := s.streamView(ctx, st, statuses)
		if err != nil {
			return SourceView{}, err
		}
		v.Streams = append(v.Streams, sv)
	}
	return v, nil
}

// streamView adds a stream's health from the state store.
func (s *Service) streamView(ctx context.Context, st registry.Stream, statuses map[state.Ref]state.StreamStatus) (StreamView, error) {
	st.Spec.MappingText = nil
	if statuses == nil {
		var err error
		if statuses, err = s.State.StreamStatuses(ctx); err != nil {
			return StreamView{}, err
		}
	}
	ss := statuses[state.Ref{Department: st.Department, Source: st.Source, Stream: st.Spec.Name}]
	return StreamView{Stream: st, LastRun: ss.LastRun, LastSuccessAt: ss.LastSuccessAt,
		RejectsOutstanding: ss.RejectsOutstanding, ConsecutiveFailures: ss.ConsecutiveFailures,
		DataUpTo: checkpointCursor(ss.Checkpoint)}, nil
}

// checkpointCursor is the cursor value a checkpoint holds, when it is the
// {"cursor": ...} of a cursor-read stream; empty otherwise (a full
// refresh, a file, a connector of its own format).
func checkpointCursor(cp json.RawMessage) string {
	var v struct {
		Cursor any `json:"cursor"`
	}
	if len(cp) == 0 || json.Unmarshal(cp, &v) != nil {
		return ""
	}
	switch c := v.Cursor.(type) {
	case string:
		return c
	case float64:
		return strconv.FormatFloat(c, 'f', -1, 64)
	}
	return ""
}

// duration is a config duration as lienthong.yaml writes it ("30s").
type duration time.Duration

func (d duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

type batchJSON struct {
	Size   int      `json:"size"`
	Period duration `json:"period"`
}

// streamSpecJSON is a stream's settings under lienthong.yaml's keys.
type streamSpecJSON struct {
	Name              string     `json:"name"`
	Table             string     `json:"table,omitempty"`
	Query             string     `json:"query,omitempty"`
	PrimaryKey        []string   `json:"primary_key,omitempty"`
	Cursor            string     `json:"cursor,omitempty"`
	Mode              string     `json:"mode,omitempty"`
	LookBack          string     `json:"look_back,omitempty"`
	Kind              string     `json:"kind,omitempty"`
	PageSize          int        `json:"page_size,omitempty"`
	Batch             *batchJSON `json:"batch,omitempty"`
	MaxDeleteRatio    float64    `json:"max_delete_ratio,omitempty"`
	RetryTransientFor *duration  `json:"retry_transient_for,omitempty"`
	Schedule          string     `json:"schedule,omitempty"`
	TimeZone          string     `json:"timezone,omitempty"`
	Timeout           *duration  `json:"timeout,omitempty"`
	MaxRuntime        *duration  `json:"max_runtime,omitempty"`
}

func optDuration(d time.Duration) *duration {
	if d == 0 {
		return nil
	}
	v := duration(d)
	return &v
}

func streamSpec(s config.Stream) streamSpecJSON {
	out := streamSpecJSON{Name: s.Name, Table: s.Table, Query: s.Query, PrimaryKey: s.PrimaryKey, Cursor: s.Cursor,
		Mode: s.Mode, LookBack: s.LookBack, Kind: s.Kind, PageSize: s.PageSize, MaxDeleteRatio: s.MaxDeleteRatio,
		RetryTransientFor: optDuration(s.RetryTransientFor), Schedule: s.Schedule, TimeZone: s.TimeZone,
		Timeout: optDuration(s.Timeout), MaxRuntime: optDuration(s.MaxRuntime)}
	if s.Batch != nil {
		out.Batch = &batchJSON{Size: s.Batch.Size, Period: duration(s.Batch.Period)}
	}
	return out
}

// MarshalJSON writes the stream as the API shows it: its settings under
// lienthong.yaml's keys beside the registry's record and its health.
func (v StreamView) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Department string `json:"department"`
		Source     string `json:"source"`
		streamSpecJSON
		ActiveMapping       int        `json:"active_mapping"`
		Origin              string     `json:"origin"`
		Revision            int64      `json:"revision"`
		CreatedAt           time.Time  `json:"created_at"`
		UpdatedAt           time.Time  `json:"updated_at"`
		LastRun             *state.Run `json:"last_run,omitempty"`
		LastSuccessAt       *time.Time `json:"last_success_at,omitempty"`
		RejectsOutstanding  int64      `json:"rejects_outstanding"`
		ConsecutiveFailures int64      `json:"consecutive_failures"`
		DataUpTo            string     `json:"data_up_to,omitempty"`
	}{v.Department, v.Source, streamSpec(v.Spec), v.ActiveMapping, v.Origin, v.Revision, v.CreatedAt, v.UpdatedAt,
		v.LastRun, v.LastSuccessAt, v.RejectsOutstanding, v.ConsecutiveFailures, v.DataUpTo})
}

// MarshalJSON writes the source as the API shows it: its settings under
// lienthong.yaml's keys (never its secret, only whether it has one), the
// registry's record and its streams.
func (v SourceView) MarshalJSON() ([]byte, error) {
	streams := v.Streams
	if streams == nil {
		streams = []StreamView{}
	}
	return json.Marshal(struct {
		Department string              `json:"department"`
		Name       string              `json:"name"`
		Kind       string              `json:"kind"`
		DSN        string              `json:"dsn,omitempty"`
		DSNEnv     string              `json:"dsn_env,omitempty"`
		DSNFile    string              `json:"dsn_file,omitempty"`
		Timeout    *duration           `json:"timeout,omitempty"`
		Options    map[string]any      `json:"options,omitempty"`
		Secret     registry.SecretInfo `json:"secret"`
		Origin     string              `json:"origin"`
		Revision   int64               `json:"revision"`
		CreatedAt  time.Time           `json:"created_at"`
		UpdatedAt  time.Time           `json:"updated_at"`
		Streams    []StreamView        `json:"streams"`
	}{v.Department, v.Spec.Name, v.Spec.Kind, v.Spec.DSN, v.Spec.DSNEnv, v.Spec.DSNFile, optDuration(v.Spec.Timeout),
		v.Spec.Options, v.Secret, v.Origin, v.Revision, v.CreatedAt, v.UpdatedAt, streams})
}
