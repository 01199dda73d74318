// Package sqlsource reads department systems that keep their data in SQL
// databases. It registers three connector kinds from init: "postgres"
// (PostgreSQL through lib/pq; the DSN is a lib/pq URL or key=value string),
// "sqlite" (a SQLite file through the pure-Go modernc.org/sqlite; the DSN
// is the file path) and "mysql" (MySQL and MariaDB through
// go-sql-driver/mysql; the DSN is user:password@tcp(host:3306)/database?params
// or mysql://user:password@host:3306/database?params). None takes options.
//
// A stream is a table or view (Stream.Table, optionally schema-qualified;
// on MySQL the schema is the database) or a SELECT (Stream.Query, read as
// SELECT * FROM (<query>) AS lt_src). Identifiers are plain identifiers
// (letters, digits, underscore, not starting with a digit), always quoted
// (in backticks on MySQL), so they match as stored: PostgreSQL stores
// unquoted names in lowercase. Check compares column names case-sensitively
// on every kind.
//
// # Reads
//
// Every page is its own query with LIMIT PageSize, in a read-only
// transaction, so memory and the time a department connection is held stay
// bounded by one page whatever the table size. Pages follow keysets, not
// offsets: the position is the text of the cursor and of each primary key
// column (CAST(col AS TEXT); on MySQL CAST(col AS CHAR CHARACTER SET
// utf8mb4), and HEX(col) for a binary column), compared as (cursor, k1, ...)
// > (?, ?, ...) with the text as parameters. PostgreSQL infers the parameter
// types from the columns and SQLite applies column affinity, so timestamps,
// numerics and text compare as themselves. The first page of each read is
// checked to find its last row again by that text; a stream whose columns
// do not round-trip (on SQLite: a typeless column or an expression in a
// Query; on MariaDB: a FLOAT of more than 6 digits, a BIT) fails instead of
// skipping rows, so select the cursor and key as plain typed columns.
//
// An incremental read has two passes. Pass 1 reads the rows whose cursor is
// not NULL in (cursor, primary key) order, after the checkpoint. With
// Stream.LookBack it first re-reads the rows whose cursor is at most that far
// below the checkpoint (a Go duration such as "10m" for a timestamp or date
// cursor, a number for a numeric one), to catch rows committed late with an
// older cursor. Pass 2 reads the rows whose cursor is NULL, in primary key
// order, on every incremental read: they can not be placed after a
// checkpoint, and skipping them would lose them. Their records have
// NullCursor set.
//
// A full refresh reads every row in primary key order. If the stream has a
// cursor, the greatest (cursor, primary key) is taken when the full read
// starts, and Final returns it, so an incremental read can follow.
//
// # MySQL and MariaDB
//
// Each read first runs the stream with LIMIT 0 to learn its cursor's and
// keys' types, and casts every numeric parameter to its column's type
// (integers to DECIMAL(65,0), DECIMAL(p,s) to DECIMAL(65,s), FLOAT to FLOAT,
// DOUBLE to DOUBLE): MySQL's rules for comparing a string with a number vary
// by type and server. A date or time parameter stays a string, which MySQL
// compares as the column's type. Text columns (CHAR, VARCHAR, TEXT,
// ENUM, SET) are ordered and compared by their utf8mb4 bytes, not by their
// collation: utf8mb4_general_ci, utf8mb4_unicode_ci and even
// utf8mb4_vietnamese_ci hold "Ha", "HA", "Hà" and "Hạ" equal, and every PAD
// SPACE collation, utf8mb4_bin included, "Ha" and "Ha "; keys that differ
// only so would be skipped. The cost is that a leading text column gets no
// index range: each page sorts the rows after its position, so prefer a
// numeric or time cursor and key on large tables. A row comparison is
// written as nested scalar ones, which MariaDB turns into an index range.
//
// The DSN's settings are kept, except what the reader relies on:
// parseTime is on, so DATE, DATETIME and TIMESTAMP arrive as time.Time (a
// zero date '0000-00-00' as the zero time.Time); the character set is
// utf8mb4 (a collation in the DSN must be a utf8mb4 one); parameters are
// server-side, so every page, LIMIT included, is a prepared statement and
// arrives in one protocol; one statement per query; no client files. The
// session time_zone is '+00:00' unless the DSN sets time_zone: a TIMESTAMP
// is printed and read back in it, and a zone with daylight saving prints
// two instants alike. The driver reads times in the DSN's loc (UTC by
// default), so a DSN that sets time_zone must set loc to the same zone, and
// a DATETIME (which has no zone) is taken to be in loc. Reads run in START
// TRANSACTION READ ONLY at REPEATABLE READ, one InnoDB snapshot per page.
//
// # Checkpoints
//
// A checkpoint is a JSON object; absent fields are omitted:
//
//	{"cursor":"2024-05-01 10:00:00+07","key":["42"]}
//	    pass 1: resume after this (cursor, primary key); on MySQL the
//	    cursor reads "2024-05-01 10:00:00.000000" for a DATETIME(6).
//	{"cursor":"...","key":["42"],"null_key":["7"]}
//	    pass 2: resume the NULL-cursor rows after primary key 7; pass 1
//	    was finished at (cursor, key).
//	{"cursor":"...","key":["42"],"full":true,"full_key":["7"]}
//	    full refresh: resume after primary key 7; cursor and key are the
//	    greatest position taken when the full read started (absent if it had
//	    none).
//
// Values are the database's text of the columns, one key entry per primary
// key column in order; a record's Key joins the same texts. Reader.Final returns the pass-1 form. A nil or empty
// checkpoint, or {}, reads from the beginning. An incremental read refuses an
// unfinished full-refresh checkpoint: rows after its full_key were never
// read.
//
// Inside the look-back window a record's Position is the incoming
// checkpoint: resuming there repeats the window, which only re-reads.
//
// # Optional interfaces
//
// Source implements connectors.Discoverer, connectors.ColumnLister (the
// names of the stream's LIMIT 0 result) and connectors.Advisor (a table
// without an index whose leading columns are the cursor and primary key,
// or the primary key for a stream without cursor; InnoDB and SQLite rowid
// tables append the primary key to every index).
//
// Its Reader takes back the Fields maps of records the caller is done with
// (Recycle(map[string]any)), and hands a record's values over as a row of
// the page's columns instead of a map when asked
// (NextRow(ctx) (connectors.Record, []any, []string, error)), for a caller
// that reads values by column index, as mapping.Mapper.MapRow does.
//
// Every read runs the stream with LIMIT 0 first, and fails with
// ErrMissingColumn naming the column, its role, the table and its columns
// when the cursor or a primary key column is not there. A DSN that does
// not parse is refused saying which part is wrong, never quoting it.
//
// # Must not
//
// The package must not write to a department's database (PostgreSQL and
// MySQL reads run in READ ONLY transactions, SQLite files are opened
// query_only), must
// not hold more than one page of rows, must not put a value into SQL text
// (values are parameters, identifiers are validated and quoted), and must not
// put a DSN into an error or a log.
package sqlsource
