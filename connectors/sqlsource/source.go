package sqlsource

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	_ "modernc.org/sqlite" // pure-Go SQLite driver, registered as "sqlite"

	"github.com/lienthong/lienthong/connectors"
	"github.com/lienthong/lienthong/internal/database"
	"github.com/lienthong/lienthong/internal/netguard"
)

func init() {
	connectors.Register("postgres", factory(postgres))
	connectors.Register("sqlite", factory(sqlite))
	connectors.Register("mysql", factory(mysql))
}

// factory adapts Open to connectors.Factory without ever returning a
// non-nil interface that holds a nil *Source.
func factory(d dialect) connectors.Factory {
	return func(ctx context.Context, cfg connectors.Config) (connectors.Source, error) {
		src, err := open(ctx, cfg, d)
		if err != nil {
			return nil, err
		}
		return src, nil
	}
}

var (
	_ connectors.Source       = (*Source)(nil)
	_ connectors.Discoverer   = (*Source)(nil)
	_ connectors.ColumnLister = (*Source)(nil)
	_ connectors.Advisor      = (*Source)(nil)
)

// DefaultTimeout bounds one query when the source's configuration sets no
// timeout.
const DefaultTimeout = 5 * time.Minute

// defaultPageSize matches the configuration's documented default, for
// callers that leave ReadRequest.PageSize zero.
const defaultPageSize = 5000

// sqliteBusyTimeout is how long a read waits for a department application
// that holds a write lock on the file, in milliseconds.
const sqliteBusyTimeout = 30000

type dialect int

const (
	postgres dialect = iota
	sqlite
	// mysql is MySQL and MariaDB.
	mysql
)

func (d dialect) String() string {
	switch d {
	case sqlite:
		return "sqlite"
	case mysql:
		return "mysql"
	}
	return "postgres"
}

// placeholder is the n-th (1-based) parameter marker. The stream's own query
// is never rebound, so a literal "?" inside it stays untouched.
func (d dialect) placeholder(n int) string {
	if d == postgres {
		return "$" + strconv.Itoa(n)
	}
	return "?"
}

// Source is an open connection pool to one department database.
type Source struct {
	name    string
	d       dialect
	db      *sqlx.DB
	timeout time.Duration
	// log receives the driver's own messages; nil drops them.
	log *slog.Logger
	// secrets are the DSN and its password, kept only to scrub them from
	// driver errors, which sometimes quote what they failed to parse.
	secrets []string
}

// Open opens a source of kind "postgres", "sqlite" or "mysql", as the
// registered factories do, and checks that it answers. The DSN never
// appears in its errors.
func Open(ctx context.Context, cfg connectors.Config) (*Source, error) {
	for _, d := range []dialect{postgres, sqlite, mysql} {
		if cfg.Kind == d.String() {
			return open(ctx, cfg, d)
		}
	}
	return nil, fmt.Errorf("sqlsource: kind %q is none of postgres, sqlite and mysql", cfg.Kind)
}

func open(ctx context.Context, cfg connectors.Config, d dialect) (*Source, error) {
	if len(cfg.Options) > 0 {
		keys := make([]string, 0, len(cfg.Options))
		for k := range cfg.Options {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		return nil, fmt.Errorf("unknown option %q: the %s connector takes no options", keys[0], d)
	}
	s := &Source{name: cfg.Name, d: d, timeout: cfg.Timeout, log: cfg.Log, secrets: secretsOf(d, cfg.DSN)}
	if s.timeout <= 0 {
		s.timeout = DefaultTimeout
	}
	var err error
	switch d {
	case postgres:
		s.db, err = openPostgres(cfg.DSN, cfg.Guard)
	case sqlite:
		if cfg.Guard != nil {
			// A file on this server is no network address a guard can
			// judge, and a registered source may not read the server's files.
			return nil, fmt.Errorf("source %q: a sqlite source reads a file on this server, which a source with a network guard (a registered one) may not", cfg.Name)
		}
		s.db, err = openSQLite(cfg.DSN)
	case mysql:
		s.db, err = openMySQL(cfg.DSN, driverLog{s}, cfg.Guard)
	}
	if err != nil {
		return nil, s.scrub(err)
	}
	pctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if err := s.db.PingContext(pctx); err != nil {
		s.db.Close()
		hint := "check the DSN, the server and the credentials"
		if d == sqlite {
			hint = "check that the path names the department's SQLite database"
		}
		return nil, s.scrub(fmt.Errorf("connect to %s: %w (%s)", d, err, hint))
	}
	return s, nil
}

// guardedDialer is pq's dialer through a network guard: every connection,
// to each address the host resolves to, is judged before it is opened.
type guardedDialer struct {
	dial func(ctx context.Context, network, address string) (net.Conn, error)
}

func newGuardedDialer(g *netguard.Guard) guardedDialer {
	return guardedDialer{dial: g.DialContext(&net.Dialer{KeepAlive: 30 * time.Second})}
}

func (d guardedDialer) Dial(network, address string) (net.Conn, error) {
	return d.dial(context.Background(), network, address)
}

func (d guardedDialer) DialTimeout(network, address string, timeout time.Duration) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return d.dial(ctx, network, address)
}

func (d guardedDialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	return d.dial(ctx, network, address)
}

// openPostgres opens a PostgreSQL pool; with a guard, its connections
// are dialled through it.
func openPostgres(dsn string, guard *netguard.Guard) (*sqlx.DB, error) {
	pcfg, err := pq.NewConfig(dsn)
	if err != nil {
		// The parser's message quotes the DSN, cut wherever it stopped: a
		// password with an unescaped "/" or "#" would show in part. The
		// message says which part is wrong instead.
		return nil, errors.New("the postgres DSN does not parse: " + postgresDSNProblem(dsn, err))
	}
	// A department DBA looking at pg_stat_activity should see who is reading.
	if pcfg.ApplicationName == "" {
		pcfg.ApplicationName = "lienthong"
	}
	conn, err := pq.NewConnectorConfig(pcfg)
	if err != nil {
		return nil, fmt.Errorf("parse postgres DSN: %w", err)
	}
	if guard != nil {
		conn.Dialer(newGuardedDialer(guard))
	}
	return sqlx.NewDb(sql.OpenDB(conn), "postgres"), nil
}

func openSQLite(dsn string) (*sqlx.DB, error) {
	path := database.SQLitePath(dsn)
	if path == "" {
		return nil, errors.New("the sqlite DSN is empty: set it to the path of the department's database file")
	}
	// SQLite would create a missing file and then read an empty database
	// without complaint; a wrong path must fail instead.
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite file: %w (check the path)", err)
	}
	if fi.IsDir() {
		return nil, fmt.Errorf("sqlite file %s is a directory", path)
	}
	uri := "file:" + escapeURIPath(path) +
		"?_pragma=busy_timeout(" + strconv.Itoa(sqliteBusyTimeout) + ")&_pragma=query_only(1)"
	db, err := sqlx.Open("sqlite", uri)
	if err != nil {
		return nil, fmt.Errorf("open sqlite file %s: %w", path, err)
	}
	return db, nil
}

// escapeURIPath escapes what would end or alter the path part of a SQLite
// URI filename.
func escapeURIPath(p string) string {
	return strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(p)
}

// Close closes the source's connections.
func (s *Source) Close() error { return s.db.Close() }

// inTx runs fn in a read-only transaction bounded by the source's timeout.
// On PostgreSQL and MySQL it is REPEATABLE READ so that a page and the check
// made on it see the same rows (InnoDB takes its snapshot at the first
// read); SQLite read transactions are snapshots already.
func (s *Source) inTx(ctx context.Context, fn func(ctx context.Context, tx *sqlx.Tx) error) error {
	tctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	opts := &sql.TxOptions{ReadOnly: true}
	if s.d != sqlite {
		opts.Isolation = sql.LevelRepeatableRead
	}
	err := func() error {
		tx, err := s.db.BeginTxx(tctx, opts)
		if err != nil {
			return err
		}
		// Only reads happened: rolling back after a failure loses nothing.
		defer tx.Rollback()
		if err := fn(tctx, tx); err != nil {
			return err
		}
		return tx.Commit()
	}()
	if err != nil && ctx.Err() == nil && errors.Is(tctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("timed out after %s (raise the source's timeout, or add an index on the cursor and primary key): %w", s.timeout, err)
	}
	return err
}

// scrub keeps a secret out of an error. When it had to change the text, the
// original is dropped too: a caller walking the chain must not find it. A
// very short password may blank unrelated text; a leak would be worse.
func (s *Source) scrub(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	clean := msg
	for _, secret := range s.secrets {
		clean = strings.ReplaceAll(clean, secret, "xxxxx")
	}
	if clean == msg {
		return err
	}
	return errors.New(clean)
}

var (
	kvPassword = regexp.MustCompile(`(?i)\bpassword\s*=\s*('(?:[^'\\]|\\.)*'|\S+)`)
	// The password runs to the last "@": an unescaped "/" or "@" in it is
	// exactly the malformed case worth hiding.
	urlPassword = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9+.-]*://[^:@/]*:(.*)@`)
)

// secretsOf lists the strings of a DSN that must not be shown, longest
// first so that a password inside the DSN does not break up the DSN's own
// replacement. It parses by hand: the DSNs most worth hiding are the
// malformed ones, which a URL parser refuses.
func secretsOf(d dialect, dsn string) []string {
	var found []string
	if d == mysql {
		found = append(found, mysqlPasswords(dsn)...)
	}
	if m := urlPassword.FindStringSubmatch(dsn); m != nil {
		found = append(found, m[1])
	}
	for _, m := range kvPassword.FindAllStringSubmatch(dsn, -1) {
		// In a URL query the value ends at "&"; in key=value form it may
		// hold one. Both readings are hidden.
		v := m[1]
		found = append(found, v, strings.Trim(v, "'"))
		if before, _, ok := strings.Cut(v, "&"); ok {
			found = append(found, before)
		}
	}
	var out []string
	for _, v := range found {
		if v == "" {
			continue
		}
		out = append(out, v)
		for _, unescape := range []func(string) (string, error){url.QueryUnescape, url.PathUnescape} {
			if u, err := unescape(v); err == nil && u != v && u != "" {
				out = append(out, u)
			}
		}
	}
	if len(out) > 0 || database.Redact(dsn) != dsn {
		out = append(out, dsn)
	}
	sort.Slice(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}
