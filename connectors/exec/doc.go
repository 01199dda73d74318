// Package exec is the connector kind "exec": it runs a program, in any
// language, that writes records to stdout as JSON lines in the Singer
// message format (hub.meltano.com/singer/spec), so that a department can
// reuse an existing Singer tap or write a small script. It registers the
// kind from init.
//
// # Configuration
//
//	sources:
//	  - name: hotich-tap
//	    kind: exec
//	    dsn_env: HOTICH_DB_PASSWORD   # the secret; reaches the program only as below
//	    timeout: 2h                   # the whole run of the program; 1h if zero
//	    options:
//	      command: taps/tap-hotich    # a path, relative to this file; or a name looked up in PATH
//	      args: [--log-level, info]   # before the Singer flags; never holds the secret
//	      work_dir: taps              # relative to this file; default: this file's directory
//	      env:                        # set for the program
//	        TAP_PROVINCE: ha-tinh
//	      inherit_env: [HTTPS_PROXY]  # passed on from lienthong's own environment
//	      secret_env: TAP_PASSWORD    # the variable that receives the secret
//	      config:                     # written to a temporary --config FILE (mode 0600)
//	        host: 10.12.0.5
//	        user: lienthong_ro
//	      config_secret_key: password # the config key that receives the secret
//	      catalog: taps/catalog.json  # passed as --catalog FILE, relative to this file
//	      discover: true              # the program supports --discover (Check, Discover)
//	      max_line_bytes: 16777216    # longest stdout line, and catalog; 16 MiB by default
//	    streams:
//	      - name: khai-sinh
//	        table: khai_sinh          # the Singer stream name; default: the stream's name
//	        primary_key: [so_dang_ky] # default: the SCHEMA's key_properties
//	        cursor: ngay_cap_nhat     # only marks records whose value is null (NullCursor)
//	        mapping: mappings/khai-sinh.yaml
//
// Only command is required. Unknown options, and options of the wrong type,
// are errors that name the option.
//
// The program runs as
//
//	command args... [--config FILE] [--state FILE] [--catalog FILE]
//
// --config is given when config or config_secret_key is set, --state when a
// checkpoint exists, --catalog when catalog is set. Check and Discover run
// "command args... [--config FILE] --discover" instead, if discover is true.
// stdin is empty. The environment is not lienthong's, which may hold other
// sources' secrets: it has PATH, HOME, LANG, LC_ALL, LC_CTYPE, TZ and TMPDIR
// when lienthong has them, the inherit_env variables, env,
// LIENTHONG_STREAM (the Singer stream being read) and LIENTHONG_MODE
// (incremental or full_refresh), so that a script can write only the
// stream asked for.
//
// # The secret
//
// The source's secret (dsn, dsn_env or dsn_file) goes into the environment
// variable secret_env, and into the config file under config_secret_key if
// that is set. When neither option is set it goes into LIENTHONG_SECRET.
// It is never put on the command line, where every user of the machine can
// read it. The temporary files live in a private directory (mode 0700) that
// is removed when the program ends; a lienthong process killed with
// SIGKILL leaves it in the system's temporary directory. The secret, and its
// JSON-escaped form, are replaced by xxxxx in the stderr lines logged and in
// every error.
//
// # Output
//
// stdout is read line by line as it comes; memory holds one line (at most
// max_line_bytes, a longer one fails the run) and a few parsed records.
//
//   - SCHEMA {stream, schema, key_properties, bookmark_properties}: for the
//     stream read, key_properties is the primary key when the stream's
//     configuration has none, and properties of format date-time or date
//     become time.Time values.
//   - RECORD {stream, record, time_extracted}: a record of the stream read
//     becomes a connectors.Record; records of other streams are counted in
//     the "program finished" log line and dropped.
//   - STATE {value}: the program's bookmark; see Resumption.
//   - ACTIVATE_VERSION is ignored; BATCH is refused.
//
// Record values: strings stay strings (or time.Time, above), integers that
// fit are int64, other numbers float64 when they have at most 15
// significant digits and their exact text otherwise, true and false are
// bools, null is nil, objects and lists are their compact JSON text.
// Record.Key joins the key properties' values with "|", as the program
// wrote them.
//
// Every defect of the output fails the run, with the stdout line number,
// what is wrong and the start of the line: a line that is not JSON, a
// message without type or of an unknown type, a RECORD without a record
// object, a record of the stream without one of its key properties or with
// a null or composite one. A broken line means the program's output, and
// the STATE after it, can not be trusted, so Record.Problem is never used:
// values that are merely wrong (a bad date, an unknown code) pass through
// and the mapping rejects the record.
//
// # Resumption
//
// The checkpoint is the value of a STATE message, kept as the program wrote
// it (compacted). A Singer STATE covers every record written before it, so
// a record's Position is the last STATE written before it (the incoming
// checkpoint before the first STATE): resuming there replays the records
// written since that STATE, never skips one. Final returns the last STATE
// of the run, or the incoming checkpoint if there was none. Delivery is
// therefore at least once between two STATE messages: after a crash the
// next run is given the last committed STATE with --state and writes the
// records after it again, which the national store's idempotent upsert
// finds unchanged. A program that writes STATE rarely replays more.
//
// An incremental read passes the stream's checkpoint. A full refresh starts
// without --state, so the program writes everything and lienthong can mark
// what it no longer has as deleted; a full refresh that was interrupted
// resumes from the STATE of its last committed batch. A program that
// keeps no state is read in full every time.
//
// Every read runs the program once, and the program may write every stream
// it has: a source with several streams runs it once per stream. Give a
// catalog that selects fewer streams, or read LIENTHONG_STREAM, to spare
// that work.
//
// # Processes
//
// The program gets a process group of its own. When the timeout (the
// source's timeout, DefaultTimeout if zero) runs out, when the read's
// context is cancelled or when the reader is closed early, the whole group
// is killed with SIGKILL. When the program exits by itself, whatever it
// left running in its group is killed too (on Linux). A non-zero exit
// fails the run with an *ExitError holding the exit code and the last
// stderr lines. Each stderr line is logged to Config.Log as "program
// stderr" with the stream (the CLI's logger already carries the source),
// at the level the line starts with (ERROR, WARNING, DEBUG; INFO
// otherwise), cut at 4 KiB.
//
// # Optional interfaces
//
// Source implements connectors.Discoverer; Discover fails with
// ErrNoDiscovery unless discover is true. It implements
// connectors.ColumnLister from the same catalog: a stream's schema
// properties; without discover it can not tell (ok is false).
//
// # Must not
//
// The package must not put the secret on a command line, in a log or in an
// error, must not pass lienthong's environment on unasked, must not buffer
// the program's output beyond one line and a few records, and must not
// leave a program or its children running after a read.
package exec
