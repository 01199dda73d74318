package config

import (
	"strconv"
	"strings"
)

// Error is one mistake in a configuration file. It says where (file, line,
// key path) so an operator can go straight to it, and never holds a secret:
// messages name the variable or file a DSN comes from, never its value.
//
// Parse and Load return every Error they find joined with errors.Join; use
// errors.As to get the first one.
type Error struct {
	// File is the configuration file, as given to Load or Parse.
	File string
	// Line is the 1-based line of the key, or of the mapping that lacks it;
	// zero when no line applies.
	Line int
	// Key is the key path, e.g. "departments[0].sources[1].dsn_env"; empty
	// for the document itself.
	Key string
	// Msg says what is wrong and what to do.
	Msg string
	// Err is the underlying cause, if any (a file that cannot be read, a
	// duration that does not parse).
	Err error
}

// Error formats the error as "file:line: key: message[: cause]", the shape
// editors and CI logs recognise as a location.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(e.Line))
	}
	b.WriteString(": ")
	if e.Key != "" {
		b.WriteString(e.Key)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }
