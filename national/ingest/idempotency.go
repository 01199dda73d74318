package ingest

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"

	"github.com/lienthong/lienthong/internal/database"
)

// The table of applied batches' answers. It is the ingest service's own,
// created beside the national store's tables and not in its migrations,
// which a province's store shares and has no use for.
const createBatches = `
CREATE TABLE IF NOT EXISTS national_ingest_batches (
	province        text        NOT NULL,
	idempotency_key text        NOT NULL,
	body_sha256     bytea       NOT NULL,
	answer          bytea       NOT NULL,
	applied_at      timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (province, idempotency_key)
)`

// Migrate creates the table that keeps applied batches' answers, if it is
// missing. It is idempotent.
func Migrate(ctx context.Context, db *database.DB) error {
	if db.Dialect != database.Postgres {
		return fmt.Errorf("ingest: the national store must be PostgreSQL, not %s", db.Dialect)
	}
	// Two services starting together must not race on CREATE.
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("ingest: migrate: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('national_ingest_batches', 0))`); err != nil {
		return fmt.Errorf("ingest: migrate: %w", err)
	}
	if _, err := tx.ExecContext(ctx, createBatches); err != nil {
		return fmt.Errorf("ingest: migrate: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("ingest: migrate: %w", err)
	}
	return nil
}

// Statuses applyOnce returns beside the HTTP ones.
const (
	// statusReplayed: the batch was applied before; the answer is the
	// stored one.
	statusReplayed = -1
	// statusReused: the key was used before with another body.
	statusReused = -2
)

// applyOnce applies a batch at most once per (province, key): requests
// with the same key are serialised on an advisory lock, and a key already
// answered returns its stored answer. apply returns the answer and 200, or
// another status when it answered with a problem (nothing is stored then).
//
// The national write commits before the answer is stored: a crash between
// the two leaves the batch applied without an answer, and the same request
// is applied again. That changes nothing (the write is idempotent), but its
// answer then says unchanged where the first said inserted or updated. The
// province counts each record once either way, from whichever answer it
// received.
func (h *Handler) applyOnce(ctx context.Context, province, key string, bodySum []byte, apply func() ([]byte, int, error)) ([]byte, int, error) {
	tx, err := h.opts.DB.BeginTx(ctx, nil)
	if err != nil {
		return nil, 0, fmt.Errorf("ingest: begin: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, province+"/"+key); err != nil {
		return nil, 0, fmt.Errorf("ingest: lock batch %s: %w", key, err)
	}
	var sum, answer []byte
	err = tx.QueryRowContext(ctx, `SELECT body_sha256, answer FROM national_ingest_batches WHERE province = $1 AND idempotency_key = $2`,
		province, key).Scan(&sum, &answer)
	switch {
	case err == nil:
		if !bytes.Equal(sum, bodySum) {
			return nil, statusReused, nil
		}
		return answer, statusReplayed, nil
	case !errors.Is(err, sql.ErrNoRows):
		return nil, 0, fmt.Errorf("ingest: look batch %s up: %w", key, err)
	}
	answer, status, err := apply()
	if err != nil || status != http.StatusOK {
		return nil, status, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO national_ingest_batches (province, idempotency_key, body_sha256, answer) VALUES ($1, $2, $3, $4)`,
		province, key, bodySum, answer); err != nil {
		return nil, 0, fmt.Errorf("ingest: keep the answer of batch %s: %w", key, err)
	}
	if err := tx.Commit(); err != nil {
		return nil, 0, fmt.Errorf("ingest: keep the answer of batch %s: %w", key, err)
	}
	return answer, http.StatusOK, nil
}
