package state

import (
	"context"
	"fmt"
	"os"
)

// RecordFailedAttempt puts in the ledger an attempt to run a stream that
// failed before a run could start: its source was unreachable, refused the
// credentials or has no secret in the environment, its mapping does not
// compile, its connector kind is unknown. Without a row, `runs` would show
// the stream's last success and an operator would believe all is well.
//
// The row is finished at once (status failed, msg as its error, zero
// counts), so it never holds the stream, and the stream's checkpoint and
// rejects are left as they are. msg must not hold a secret: the caller
// scrubs it.
func (s *Store) RecordFailedAttempt(ctx context.Context, ref Ref, mode, msg string) (Run, error) {
	now := s.clock(ctx, s.db)
	run := Run{Ref: ref, Mode: mode, Status: StatusFailed, StartedAt: now, EndedAt: &now, Host: s.host, PID: os.Getpid(), Error: msg}
	err := s.db.QueryRowxContext(ctx, s.q(`INSERT INTO runs (department, source, stream, mode, status, started_at, ended_at, heartbeat_at, host, pid, error)
		VALUES (?, ?, ?, ?, 'failed', ?, ?, ?, ?, ?, ?) RETURNING id`),
		ref.Department, ref.Source, ref.Stream, mode, now, now, now, run.Host, run.PID, msg).Scan(&run.ID)
	if err != nil {
		return Run{}, fmt.Errorf("record failed attempt of %s: %w", ref, err)
	}
	return run, nil
}
