package ops

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/lienthong/lienthong/config"
	"github.com/lienthong/lienthong/sync/state"
)

// Rejects lists rejects by stream and source key (rejects:read; a
// department's token sees only its own). Limit defaults to
// DefaultListLimit, at most MaxListLimit; After pages by source key
// within one stream, so it needs Source and Stream (the list is ordered by
// stream, then key: a key alone would skip the next streams' rejects).
func (s *Service) Rejects(ctx context.Context, c Caller, f state.Filter) ([]state.Reject, error) {
	f, err := scoped(c, f, ScopeRejectsRead)
	if err != nil {
		return nil, err
	}
	if err := afterInStream(f); err != nil {
		return nil, err
	}
	f.Limit = listLimit(f.Limit)
	out, err := s.State.Rejects(ctx, f)
	if out == nil && err == nil {
		out = []state.Reject{}
	}
	return out, err
}

// afterInStream refuses a page of rejects after a source key that does
// not name its stream.
func afterInStream(f state.Filter) error {
	if f.After != "" && (f.Source == "" || f.Stream == "") {
		return &Invalid{Fields: []config.FieldError{{Field: "after",
			Reason: "pages go by source key within one stream: give source and stream too, or page through one stream at a time"}}}
	}
	return nil
}

// RejectReasons counts rejects by reason, most frequent first
// (rejects:read): what the console's rejects page leads with.
func (s *Service) RejectReasons(ctx context.Context, c Caller, f state.Filter) ([]state.ReasonCount, error) {
	f, err := scoped(c, f, ScopeRejectsRead)
	if err != nil {
		return nil, err
	}
	f.After, f.Limit = "", 0
	return s.State.RejectsByReason(ctx, f)
}

// RejectColumns are the columns of ExportRejects, in order.
var RejectColumns = []string{"department", "source", "stream", "source_key", "kind", "stage", "reason", "field", "message", "first_seen_at", "last_seen_at", "raw"}

// ExportRejects writes rejects as CSV (rejects:read): UTF-8 with a
// byte-order mark, so that Excel reads Vietnamese, a header row, one
// reject a row, the raw record as JSON. A cell that a spreadsheet would
// run as a formula (starting with = + - @, a tab or a carriage return)
// is written with a leading apostrophe. Rejects stream from the state
// store one row at a time, never all held at once. f.Limit, when set,
// bounds the rows.
func (s *Service) ExportRejects(ctx context.Context, c Caller, f state.Filter, w io.Writer) error {
	f, err := scoped(c, f, ScopeRejectsRead)
	if err != nil {
		return err
	}
	if err := afterInStream(f); err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	if _, err := bw.WriteString("\uFEFF"); err != nil {
		return err
	}
	cw := csv.NewWriter(bw)
	cw.UseCRLF = true // what Excel writes and expects
	if err := cw.Write(RejectColumns); err != nil {
		return err
	}
	row := make([]string, len(RejectColumns))
	err = s.State.EachReject(ctx, f, func(r state.Reject) error {
		row = append(row[:0], r.Department, r.Source, r.Stream, r.SourceKey, r.Kind, r.Stage, r.Reason, r.Field, r.Message,
			r.FirstSeenAt.UTC().Format(time.RFC3339), r.LastSeenAt.UTC().Format(time.RFC3339), string(r.Raw))
		for i := range row {
			row[i] = cell(row[i])
		}
		return cw.Write(row)
	})
	if err != nil {
		return fmt.Errorf("export rejects: %w", err)
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("export rejects: %w", err)
	}
	return bw.Flush()
}

// cell guards a CSV cell against formula injection (OWASP's advice):
// spreadsheets run a cell starting with = + - @ (or a tab or carriage
// return before one) as a formula.
func cell(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}

// RetryRejects re-maps a stream's rejects (of a reason, if given) through
// its active mapping (rejects:write).
func (s *Service) RetryRejects(ctx context.Context, c Caller, ref state.Ref, reason string) (state.Run, error) {
	if err := authorize(c, ref.Department, ScopeRejectsWrite); err != nil {
		return state.Run{}, err
	}
	st, err := s.Registry.Stream(ctx, ref.Department, ref.Source, ref.Stream)
	if err != nil {
		return state.Run{}, fromRegistry(err, streamName(ref))
	}
	if st.ActiveMapping == 0 {
		return state.Run{}, conflict(nil, "%s has no active mapping: upload one and activate it before retrying its rejects", streamName(ref))
	}
	if reason != "" {
		// A reason no reject of the stream has is the caller's mistake
		// (a typo), not the engine's: say which reasons there are.
		counts, err := s.State.RejectsByReason(ctx, state.Filter{Department: ref.Department, Source: ref.Source, Stream: ref.Stream})
		if err != nil {
			return state.Run{}, err
		}
		if !slices.ContainsFunc(counts, func(rc state.ReasonCount) bool { return rc.Reason == reason }) {
			why := fmt.Sprintf("no reject of %s has the reason %q", streamName(ref), reason)
			if len(counts) > 0 {
				have := make([]string, len(counts))
				for i, rc := range counts {
					have[i] = fmt.Sprintf("%s (%d)", rc.Reason, rc.Count)
				}
				why += ": its rejects' reasons are " + strings.Join(have, ", ")
			}
			return state.Run{}, &Invalid{Fields: []config.FieldError{{Field: "reason", Reason: why}}}
		}
	}
	if s.Systems == nil {
		return state.Run{}, errors.New("retry rejects: this service cannot run streams (no Systems configured)")
	}
	run, err := s.Systems.RetryRejects(ctx, ref, reason)
	if err != nil {
		return state.Run{}, s.systemError(ctx, "retry the rejects of", streamName(ref), err, s.secretOf(ctx, ref.Department, ref.Source))
	}
	detail := map[string]any{"run_id": run.ID}
	if reason != "" {
		detail["reason"] = reason
	}
	if err := s.Registry.Record(ctx, actor(c), "rejects.retry", ref.String(), detail); err != nil {
		return run, fmt.Errorf("%s: the rejects were retried (run %d) but the change log failed: %w", streamName(ref), run.ID, err)
	}
	s.log().Info("rejects retried", "department", ref.Department, "source", ref.Source, "stream", ref.Stream, "run", run.ID, "by", actor(c).Name)
	return run, nil
}
