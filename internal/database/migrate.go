package database

import (
	"context"
	"fmt"
	"hash/fnv"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Migration is one versioned schema change of a store.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// LoadMigrations reads the migrations of a dialect from dir/<dialect>/ in
// fsys. Files are named NNNN_name.sql; versions must be unique.
func LoadMigrations(fsys fs.FS, dir string, d Dialect) ([]Migration, error) {
	sub := path.Join(dir, string(d))
	entries, err := fs.ReadDir(fsys, sub)
	if err != nil {
		return nil, fmt.Errorf("read migrations %s: %w", sub, err)
	}
	var ms []Migration
	seen := map[int]string{}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		num, name, ok := strings.Cut(strings.TrimSuffix(e.Name(), ".sql"), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration %s/%s: name must be NNNN_name.sql", sub, e.Name())
		}
		if prev, dup := seen[v]; dup {
			return nil, fmt.Errorf("migration %s/%s: version %d already used by %s", sub, e.Name(), v, prev)
		}
		seen[v] = e.Name()
		body, err := fs.ReadFile(fsys, path.Join(sub, e.Name()))
		if err != nil {
			return nil, err
		}
		ms = append(ms, Migration{Version: v, Name: name, SQL: string(body)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	return ms, nil
}

// Migrate applies the migrations of a set ("national", "state") that the
// database has not seen, each in its own transaction, and returns how many it
// applied. On PostgreSQL an advisory lock serialises concurrent migrators.
func (db *DB) Migrate(ctx context.Context, set string, ms []Migration) (int, error) {
	conn, err := db.Connx(ctx)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	if db.Dialect == Postgres {
		h := fnv.New64a()
		h.Write([]byte("lienthong-migrate-" + set))
		key := int64(h.Sum64() >> 1)
		if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, key); err != nil {
			return 0, fmt.Errorf("lock migrations: %w", err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, key)
	}
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS lienthong_migrations (
		set_name TEXT NOT NULL,
		version INTEGER NOT NULL,
		name TEXT NOT NULL,
		applied_at TEXT NOT NULL,
		PRIMARY KEY (set_name, version))`); err != nil {
		return 0, fmt.Errorf("create migrations table: %w", err)
	}
	applied := map[int]bool{}
	rows, err := conn.QueryContext(ctx, db.Rebind(`SELECT version FROM lienthong_migrations WHERE set_name = ?`), set)
	if err != nil {
		return 0, err
	}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return 0, err
		}
		applied[v] = true
	}
	rows.Close()
	n := 0
	for _, m := range ms {
		if applied[m.Version] {
			continue
		}
		tx, err := conn.BeginTxx(ctx, nil)
		if err != nil {
			return n, err
		}
		if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
			tx.Rollback()
			return n, fmt.Errorf("migration %s %04d_%s: %w", set, m.Version, m.Name, err)
		}
		if _, err := tx.ExecContext(ctx, db.Rebind(`INSERT INTO lienthong_migrations (set_name, version, name, applied_at) VALUES (?, ?, ?, ?)`),
			set, m.Version, m.Name, time.Now().UTC().Format(time.RFC3339)); err != nil {
			tx.Rollback()
			return n, err
		}
		if err := tx.Commit(); err != nil {
			return n, fmt.Errorf("migration %s %04d_%s: commit: %w", set, m.Version, m.Name, err)
		}
		n++
	}
	return n, nil
}
