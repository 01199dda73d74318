// Package sqlsource reads department systems that keep their data in SQL
// databases. It registers two connector kinds from init: "postgres"
// (PostgreSQL through lib/pq; the DSN is a lib/pq URL or key=value string)
// and "sqlite" (a SQLite file through the pure-Go modernc.org/sqlite; the DSN
// is the file path). Both take no options.
//
// A stream is a table or view (Stream.Table, optionally schema-qualified) or
// a SELECT (Stream.Query, read as SELECT * FROM (<query>) AS lt_src).
// Identifiers are plain identifiers (letters, digits, underscore, not
// starting with a digit), always quoted, so they match case-sensitively as
// stored: PostgreSQL stores unquoted names in lowercase.
//
// # Reads
//
// Every page is its own query with LIMIT PageSize, in a read-only
// transaction, so memory and the time a department connection is held stay
// bounded by one page whatever the table size. Pages follow keysets, not
// offsets: the position is the text of the cursor and of each primary key
// column (CAST(col AS TEXT)), compared as (cursor, k1, ...) > (?, ?, ...)
// with the text as parameters. PostgreSQL infers the parameter types from the
// columns and SQLite applies column affinity, so timestamps, numerics and
// text compare as themselves. The first page of each read is checked to find
// its last row again by that text; a stream whose columns do not round-trip
// (on SQLite: a typeless column or an expression in a Query) fails instead
// of skipping rows, so select the cursor and key as plain typed columns.
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
// # Checkpoints
//
// A checkpoint is a JSON object; absent fields are omitted:
//
//	{"cursor":"2024-05-01 10:00:00+07","key":["42"]}
//	    pass 1: resume after this (cursor, primary key).
//	{"cursor":"...","key":["42"],"null_key":["7"]}
//	    pass 2: resume the NULL-cursor rows after primary key 7; pass 1
//	    was finished at (cursor, key).
//	{"cursor":"...","key":["42"],"full":true,"full_key":["7"]}
//	    full refresh: resume after primary key 7; cursor and key are the
//	    greatest position taken when the full read started (absent if it had
//	    none).
//
// Values are the database's text of the columns, one key entry per primary
// key column in order. Reader.Final returns the pass-1 form. A nil or empty
// checkpoint, or {}, reads from the beginning. An incremental read refuses an
// unfinished full-refresh checkpoint: rows after its full_key were never
// read.
//
// Inside the look-back window a record's Position is the incoming
// checkpoint: resuming there repeats the window, which only re-reads.
//
// # Optional interfaces
//
// Source implements connectors.Discoverer.
//
// # Must not
//
// The package must not write to a department's database (PostgreSQL reads
// run in READ ONLY transactions, SQLite files are opened query_only), must
// not hold more than one page of rows, must not put a value into SQL text
// (values are parameters, identifiers are validated and quoted), and must not
// put a DSN into an error or a log.
package sqlsource
