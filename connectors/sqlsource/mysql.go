package sqlsource

import (
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"time"

	mysqldriver "github.com/go-sql-driver/mysql"
	"github.com/jmoiron/sqlx"

	"github.com/lienthong/lienthong/internal/netguard"
)

// mysqlUTC is the session time zone a MySQL source reads in unless its DSN
// sets time_zone. The text of a TIMESTAMP is printed in the session's zone
// and parsed back in it; a zone with daylight saving prints two instants of
// the autumn hour alike, and a position there would skip or repeat rows.
const mysqlUTC = "'+00:00'"

// openMySQL opens a MySQL or MariaDB pool. The settings the reader relies on
// override the DSN's: see the package doc.
// With a guard, its connections are dialled through it (the driver's
// per-connector DialFunc), and a unix socket is refused.
func openMySQL(dsn string, log mysqldriver.Logger, guard *netguard.Guard) (*sqlx.DB, error) {
	cfg, err := mysqlConfig(dsn)
	if err != nil {
		return nil, err
	}
	cfg.Logger = log
	if guard != nil {
		cfg.DialFunc = guard.DialContext(&net.Dialer{KeepAlive: 30 * time.Second})
	}
	conn, err := mysqldriver.NewConnector(cfg)
	if err != nil {
		return nil, fmt.Errorf("mysql DSN: %w", err)
	}
	return sqlx.NewDb(sql.OpenDB(conn), "mysql"), nil
}

// mysqlConfig parses a go-sql-driver DSN or a mysql:// URL and applies what
// the reader needs from every connection.
func mysqlConfig(dsn string) (cfg *mysqldriver.Config, err error) {
	if strings.TrimSpace(dsn) == "" {
		return nil, errors.New("the mysql DSN is empty: set it to user:password@tcp(host:3306)/database or mysql://user:password@host:3306/database")
	}
	if len(dsn) >= len("mysql://") && strings.EqualFold(dsn[:len("mysql://")], "mysql://") {
		if dsn, err = mysqlURLToDSN(dsn); err != nil {
			return nil, err
		}
	}
	defer func() {
		// ParseDSN panics on the "strict" parameter, removed from the
		// driver; a configuration mistake must not bring the process down.
		if r := recover(); r != nil {
			cfg, err = nil, errors.New("parse mysql DSN: the strict parameter is no longer supported by the driver: remove it")
		}
	}()
	cfg, err = mysqldriver.ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("parse mysql DSN (want user:password@tcp(host:3306)/database?param=value or a mysql:// URL): %s", mysqlDSNProblem(dsn, err))
	}
	// Dates arrive as time.Time, the type Record promises; the driver's
	// Loc (UTC unless the DSN sets loc) gives zone-less DATETIMEs a zone.
	cfg.ParseTime = true
	// Texts, positions and Vietnamese names travel as utf8mb4 whatever the
	// tables' character sets: the server converts.
	if cfg.Collation != "" && !strings.HasPrefix(strings.ToLower(cfg.Collation), "utf8mb4_") {
		return nil, fmt.Errorf("mysql DSN: collation %q is not a utf8mb4 collation, and the connector talks utf8mb4: remove it", cfg.Collation)
	}
	if err := cfg.Apply(mysqldriver.Charset("utf8mb4", cfg.Collation)); err != nil {
		return nil, fmt.Errorf("mysql DSN: %w", err)
	}
	// Values stay server-side parameters (prepared statements), so that
	// every page arrives in the same binary protocol; one statement per
	// query; no client files.
	cfg.InterpolateParams = false
	cfg.MultiStatements = false
	cfg.AllowAllFiles = false
	if cfg.Params == nil {
		cfg.Params = map[string]string{}
	}
	if _, set := cfg.Params["time_zone"]; !set {
		cfg.Params["time_zone"] = mysqlUTC
	}
	// A department DBA looking at the process list should see who reads.
	if cfg.ConnectionAttributes == "" {
		cfg.ConnectionAttributes = "program_name:lienthong"
	}
	return cfg, nil
}

// mysqlURLToDSN rewrites mysql://user:password@host:port/database?params
// into the driver's user:password@tcp(host:port)/database?params. The
// driver finds the password between the first ":" and the last "@" before
// the last "/", so a "/" in the parameters is escaped (the driver unescapes
// the values that may hold one) and the database name is path-escaped.
func mysqlURLToDSN(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		// url.Error quotes the whole URL, password included, and its
		// inner error the piece it stopped at, which may be part of the
		// password: say which part is wrong instead.
		why := urlProblem(raw[len("mysql://"):])
		if why == "" {
			why = "it is not a URL"
		}
		return "", fmt.Errorf("parse mysql URL (want mysql://user:password@host:3306/database?param=value): %s", why)
	}
	var b strings.Builder
	if u.User != nil {
		user := u.User.Username()
		if strings.ContainsAny(user, ":@/") {
			return "", errors.New("parse mysql URL: the user name holds \":\", \"@\" or \"/\", which the driver can not read: use the user:password@tcp(host:3306)/database form")
		}
		b.WriteString(user)
		if pw, ok := u.User.Password(); ok {
			b.WriteString(":" + pw)
		}
		b.WriteString("@")
	}
	b.WriteString("tcp(" + u.Host + ")/" + url.PathEscape(strings.TrimPrefix(u.Path, "/")))
	if u.RawQuery != "" {
		b.WriteString("?" + strings.ReplaceAll(u.RawQuery, "/", "%2F"))
	}
	return b.String(), nil
}

// mysqlPasswords finds the password of a go-sql-driver DSN as the driver
// does (from the first ":" to the last "@" before the last "/") and, for a
// malformed one, to the last "@" at all: both are hidden.
func mysqlPasswords(dsn string) []string {
	end := len(dsn)
	if i := strings.LastIndex(dsn, "/"); i >= 0 {
		end = i
	}
	var out []string
	for _, at := range []int{strings.LastIndex(dsn[:end], "@"), strings.LastIndex(dsn, "@")} {
		if at < 0 {
			continue
		}
		if colon := strings.Index(dsn[:at], ":"); colon >= 0 {
			out = append(out, dsn[colon+1:at])
		}
	}
	return out
}

// driverLog sends the driver's own messages (a connection dropped while
// idle) to the source's logger, scrubbed like its errors.
type driverLog struct{ s *Source }

func (l driverLog) Print(v ...any) {
	if l.s.log == nil {
		return
	}
	msg := l.s.scrub(errors.New(strings.TrimSpace(fmt.Sprint(v...)))).Error()
	l.s.log.Warn("mysql driver", slog.String("source", l.s.name), slog.String("message", msg))
}
