// Package database opens lienthong's own stores (the national store and the
// state store) on PostgreSQL or on an embedded SQLite file, and applies their
// versioned migrations.
//
// It must not hold any store's SQL: each store keeps its queries and
// migrations beside itself and passes them in.
package database

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq"  // PostgreSQL driver
	_ "modernc.org/sqlite" // pure-Go SQLite driver
)

// Dialect names the SQL dialect of a store.
type Dialect string

const (
	// Postgres is PostgreSQL through lib/pq.
	Postgres Dialect = "postgres"
	// SQLite is an embedded SQLite file through modernc.org/sqlite.
	SQLite Dialect = "sqlite"
)

// DB is an open store database and its dialect.
type DB struct {
	*sqlx.DB
	Dialect Dialect
}

// DialectOf says which dialect a DSN speaks: postgres:// and postgresql://
// URLs and key=value strings with host= or dbname= are PostgreSQL; anything
// else is a SQLite file path, optionally prefixed with "sqlite:" or "file:".
func DialectOf(dsn string) Dialect {
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		return Postgres
	case isKeyValueDSN(dsn):
		return Postgres
	}
	return SQLite
}

// Open opens a store database. For SQLite the file and its directory are
// created; the connection runs in WAL mode with a busy timeout and immediate
// transactions, so concurrent writers wait instead of failing.
func Open(ctx context.Context, dsn string) (*DB, error) {
	d := DialectOf(dsn)
	if d == SQLite && looksLikeURL(dsn) {
		// A mistyped URL must not become a local file (named after the
		// password) that silently receives the national data.
		return nil, fmt.Errorf("store DSN %s is neither a postgres:// URL nor a file path: write postgres://user:password@host/db, or sqlite:PATH for an embedded file", Redact(dsn))
	}
	if d == Postgres && strings.Contains(dsn, "://") {
		if _, err := url.Parse(dsn); err != nil {
			return nil, fmt.Errorf("the postgres store DSN does not parse: %s", urlProblem(dsn))
		}
	}
	var (
		db  *sqlx.DB
		err error
	)
	switch d {
	case Postgres:
		db, err = sqlx.Open("postgres", dsn)
	default:
		path := SQLitePath(dsn)
		if dir := filepath.Dir(path); dir != "" {
			if err := os.MkdirAll(dir, 0o750); err != nil {
				return nil, fmt.Errorf("create directory for %s: %w", path, err)
			}
		}
		db, err = sqlx.Open("sqlite", sqliteDSN(path))
		if err == nil {
			// One writer at a time is SQLite's model; a small pool still lets
			// readers (the API, the CLI) run beside a sync.
			db.SetMaxOpenConns(4)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("open %s store %s: %w", d, Redact(dsn), scrub(err, dsn))
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to %s store %s: %w", d, Redact(dsn), scrub(err, dsn))
	}
	return &DB{DB: db, Dialect: d}, nil
}

// looksLikeURL says whether a DSN taken for a file path is more likely a
// mistyped connection URL: it has a scheme separator or user information.
func looksLikeURL(dsn string) bool {
	if strings.HasPrefix(dsn, "sqlite:") || strings.HasPrefix(dsn, "file:") {
		return false
	}
	return strings.Contains(dsn, "://") || strings.Contains(dsn, "@")
}

// SQLitePath returns the file path of a SQLite DSN.
func SQLitePath(dsn string) string {
	p := strings.TrimPrefix(strings.TrimPrefix(dsn, "sqlite:"), "file:")
	if i := strings.IndexByte(p, '?'); i >= 0 {
		p = p[:i]
	}
	return p
}

func sqliteDSN(path string) string {
	return "file:" + path + "?_pragma=busy_timeout(30000)&_pragma=journal_mode(WAL)" +
		"&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)&_txlock=immediate"
}

var passwordKV = regexp.MustCompile(`(?i)(password\s*=\s*)('[^']*'|\S+)`)

// isKeyValueDSN recognises lib/pq's key=value form by its keys, so such a
// DSN is never taken for a file name (and written to disk as one).
func isKeyValueDSN(dsn string) bool {
	for _, k := range []string{"host=", "dbname=", "user=", "password=", "port=", "sslmode="} {
		if strings.Contains(dsn, k) {
			return true
		}
	}
	return false
}

// Redact removes passwords from a DSN so it can appear in logs and errors.
// A URL whose password is not escaped (a "/" or "#" in it) does not parse;
// its user information is cut by hand.
func Redact(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && u.Scheme != "" && u.User != nil {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
		q := u.Query()
		if q.Has("password") {
			q.Set("password", "xxxxx")
			u.RawQuery = q.Encode()
		}
		return u.String()
	}
	if user, pass, ok := userinfo(dsn); ok && pass != "" {
		return strings.Replace(dsn, user+":"+pass+"@", user+":xxxxx@", 1)
	}
	return passwordKV.ReplaceAllString(dsn, "${1}xxxxx")
}

// userinfo splits "scheme://user:pass@host..." by hand: the password runs
// to the last "@" before the host.
func userinfo(dsn string) (user, pass string, ok bool) {
	rest := dsn
	if i := strings.Index(dsn, "://"); i >= 0 {
		rest = dsn[i+3:]
	}
	at := strings.LastIndex(rest, "@")
	if at < 0 {
		return "", "", false
	}
	info := rest[:at]
	if !strings.Contains(dsn, "://") {
		// A mistyped scheme ("postgresql//u:p@h"): the user information
		// follows the last "/" before the "@".
		info = info[strings.LastIndex(info, "/")+1:]
	}
	user, pass, _ = strings.Cut(info, ":")
	return user, pass, true
}

// secrets returns the password texts a DSN holds, as they may be quoted by
// a driver's error.
func secrets(dsn string) []string {
	var out []string
	if u, err := url.Parse(dsn); err == nil && u.User != nil {
		if p, has := u.User.Password(); has && p != "" {
			out = append(out, p)
		}
	}
	if _, p, ok := userinfo(dsn); ok && p != "" {
		out = append(out, p)
		if unescaped, err := url.PathUnescape(p); err == nil && unescaped != p {
			out = append(out, unescaped)
		}
	}
	for _, m := range passwordKV.FindAllStringSubmatch(dsn, -1) {
		out = append(out, strings.Trim(m[2], "'"))
	}
	return out
}

// scrub returns err with every password of dsn cut out of its text. The
// result does not wrap err: its chain would still hold the password.
func scrub(err error, dsn string) error {
	return errors.New(Scrub(err.Error(), dsn))
}

// Scrub returns text with every password dsn holds replaced by "xxxxx", in
// every form a driver may quote it (as written, percent-decoded). A text
// about a connection goes through it before it is logged or stored.
func Scrub(text, dsn string) string {
	for _, p := range secrets(dsn) {
		if len(p) >= 1 {
			text = strings.ReplaceAll(text, p, "xxxxx")
		}
	}
	return text
}

// Rebind rewrites a query written with ? placeholders for the dialect.
func (db *DB) Rebind(query string) string { return db.DB.Rebind(query) }
