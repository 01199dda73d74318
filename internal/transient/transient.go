// Package transient tells a fault that passes from one that does not: a
// dropped connection, a server restarting or failing over, a SQLite file
// busy with another writer pass, and the same operation succeeds a moment
// later; a syntax error, a missing table or a refused password do not.
//
// It is the one place that knows which errors of the database drivers
// (lib/pq, go-sql-driver/mysql, modernc.org/sqlite) and of the network
// mean "try again", so the engine retries them without knowing any driver.
// It must not retry anything itself.
package transient

import (
	"context"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/go-sql-driver/mysql"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// PostgreSQL error codes of a server going away: the class 08 connection
// exceptions and these of class 57 (operator intervention).
const (
	pgAdminShutdown = "57P01" // pg_terminate_backend, a fast shutdown
	pgCrashShutdown = "57P02" // another backend crashed
	pgCannotConnect = "57P03" // starting up, in recovery, shutting down
)

// MySQL and MariaDB error numbers of a server going away.
const (
	myServerShutdown   = 1053 // ER_SERVER_SHUTDOWN
	myConnectionKilled = 1927 // ER_CONNECTION_KILLED (MariaDB)
	myServerGone       = 2006 // CR_SERVER_GONE_ERROR
	myServerLost       = 2013 // CR_SERVER_LOST
)

// Is reports whether err is a fault of a database or the network that
// passes: retrying the operation on a new connection may succeed. A
// cancelled or timed-out context is never transient: the caller gave up.
func Is(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	for _, target := range []error{driver.ErrBadConn, io.ErrUnexpectedEOF, io.EOF, mysql.ErrInvalidConn,
		syscall.ECONNRESET, syscall.ECONNREFUSED, syscall.ECONNABORTED, syscall.EPIPE} {
		if errors.Is(err, target) {
			return true
		}
	}
	var dns *net.DNSError
	if errors.As(err, &dns) && dns.IsNotFound {
		return false // a mistyped host name does not come back
	}
	var op *net.OpError
	if errors.As(err, &op) {
		return true
	}
	var pg interface{ SQLState() string }
	if errors.As(err, &pg) {
		switch code := pg.SQLState(); {
		case code == pgAdminShutdown, code == pgCrashShutdown, code == pgCannotConnect, strings.HasPrefix(code, "08"):
			return true
		}
	}
	var my *mysql.MySQLError
	if errors.As(err, &my) {
		switch my.Number {
		case myServerShutdown, myConnectionKilled, myServerGone, myServerLost:
			return true
		}
	}
	var lite *sqlite.Error
	if errors.As(err, &lite) {
		// Extended codes keep the primary code in their low byte.
		switch lite.Code() & 0xff {
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			return true
		}
	}
	return false
}
