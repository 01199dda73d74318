package sqlsource

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"

	mysqldriver "github.com/go-sql-driver/mysql"
)

// The messages here say which part of a DSN is wrong without quoting the
// DSN: the parts most often wrong are passwords with characters that end
// their field early, and quoting "what did not parse" would show a piece
// of one. Only names (parameters, keys) and non-secret values (a port, a
// parameter's value) are quoted.

const percentHint = "percent-encode it (/ as %2F, # as %23, ? as %3F, @ as %40, : as %3A, % as %25)"

var pqWrongValue = regexp.MustCompile(`wrong value for "([^"]+)": (.*)`)

// postgresDSNProblem says what is wrong with a DSN that lib/pq refused.
func postgresDSNProblem(dsn string, err error) string {
	const generic = "percent-encode special characters (/ # ? @ %) in the user and password, or write it in key=value form"
	if m := pqWrongValue.FindStringSubmatch(err.Error()); m != nil {
		if strings.EqualFold(m[1], "password") {
			return "the password parameter is not accepted"
		}
		return fmt.Sprintf("parameter %q: %s", m[1], m[2])
	}
	var why string
	if i := strings.Index(dsn, "://"); i >= 0 {
		why = urlProblem(dsn[i+3:])
	} else {
		why = keyValueProblem(dsn)
	}
	if why == "" {
		return generic
	}
	return why
}

// urlProblem looks at the parts of scheme://user:password@host:port/database?params
// (rest is what follows "://") in turn. The password runs to the last "@",
// as a person who wrote an unescaped "@" or "/" in it meant.
func urlProblem(rest string) string {
	hostEtc := rest
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		user, pass, hasPass := strings.Cut(rest[:at], ":")
		if why := urlFieldProblem("user name", user, "/?#@:"); why != "" {
			return why
		}
		if hasPass {
			if why := urlFieldProblem("password", pass, "/?#@"); why != "" {
				return why
			}
		}
		hostEtc = rest[at+1:]
	}
	host, tail := hostEtc, ""
	if i := strings.IndexAny(hostEtc, "/?#"); i >= 0 {
		host, tail = hostEtc[:i], hostEtc[i:]
	}
	if why := hostPortProblem(host); why != "" {
		return why
	}
	path, query, _ := strings.Cut(tail, "?")
	if strings.Contains(path, "#") || strings.Contains(query, "#") {
		return `the DSN holds an unescaped "#", which ends a URL: ` + percentHint
	}
	if _, err := url.PathUnescape(strings.TrimPrefix(path, "/")); err != nil {
		return "the database name holds a % that does not start an escape such as %20: write % as %25"
	}
	for _, kv := range strings.Split(query, "&") {
		k, v, _ := strings.Cut(kv, "=")
		if _, err := url.QueryUnescape(k); err != nil {
			return "a parameter name holds a % that does not start an escape such as %20"
		}
		if _, err := url.QueryUnescape(v); err != nil {
			if strings.EqualFold(k, "password") {
				return "the password parameter holds a % that does not start an escape: write % as %25"
			}
			return fmt.Sprintf("the value of parameter %q holds a %% that does not start an escape such as %%20: write %% as %%25", k)
		}
	}
	return ""
}

// urlFieldProblem checks a user name or password as written in a URL.
func urlFieldProblem(what, v, forbidden string) string {
	if i := strings.IndexAny(v, forbidden); i >= 0 {
		return fmt.Sprintf("the %s holds an unescaped %q: %s", what, v[i:i+1], percentHint)
	}
	if _, err := url.PathUnescape(v); err != nil {
		return fmt.Sprintf("the %s holds a %% that does not start an escape such as %%40: %s", what, percentHint)
	}
	return ""
}

// hostPortProblem checks host[:port] (several, comma-separated, for
// PostgreSQL's multi-host URLs).
func hostPortProblem(hosts string) string {
	for _, h := range strings.Split(hosts, ",") {
		if strings.HasPrefix(h, "[") {
			end := strings.Index(h, "]")
			if end < 0 {
				return "the host: an IPv6 address opened with [ is not closed with ]"
			}
			h = "x" + h[end+1:]
		}
		if _, port, ok := strings.Cut(h, ":"); ok {
			if port == "" || strings.Trim(port, "0123456789") != "" {
				return fmt.Sprintf("the port %q is not a number (if it is part of the password, the password holds an unescaped \"/\", \"?\" or \"#\": %s)",
					port, percentHint)
			}
		}
	}
	return ""
}

// keyValueProblem checks "key=value key='quoted value'" as lib/pq reads
// it, naming the key at fault.
func keyValueProblem(dsn string) string {
	s := strings.TrimSpace(dsn)
	prev := ""
	for s != "" {
		eq := strings.IndexAny(s, "= \t\n")
		if eq < 0 || s[eq] != '=' {
			if prev == "" {
				return `the DSN is neither a postgres:// URL nor key=value pairs (host=... user=... dbname=...)`
			}
			return fmt.Sprintf(`a word without "=" follows the value of %q: quote a value that holds spaces, as %s='a value'`, prev, prev)
		}
		key := strings.TrimSpace(s[:eq])
		s = strings.TrimLeft(s[eq+1:], " \t\n")
		if strings.HasPrefix(s, "'") {
			end, closed := 1, false
			for end < len(s) {
				if s[end] == '\\' {
					end += 2
					continue
				}
				if s[end] == '\'' {
					closed = true
					break
				}
				end++
			}
			if !closed {
				return fmt.Sprintf("the value of %q opens a quote (') that is never closed; write a quote inside it as \\'", key)
			}
			s = s[end+1:]
		} else if i := strings.IndexAny(s, " \t\n"); i >= 0 {
			s = s[i:]
		} else {
			s = ""
		}
		s = strings.TrimLeft(s, " \t\n")
		prev = key
	}
	return ""
}

// mysqlDSNProblem says what is wrong with a go-sql-driver DSN the driver
// refused: the address, the database part, or the parameter whose value it
// could not read.
func mysqlDSNProblem(dsn string, err error) string {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "missing the slash"):
		return "the database part: no \"/\" follows the address; write user:password@tcp(host:3306)/database (a password holding \"/\" or \"@\" is better written in a mysql:// URL, percent-encoded)"
	case strings.Contains(msg, "network address not terminated"):
		return "the address: tcp(host:port) is not closed with \")\""
	case strings.Contains(msg, "did you forget to escape a param value"):
		return "the parameters: a value holds an unescaped \"/\"; percent-encode it as %2F"
	}
	slash := strings.LastIndex(dsn, "/")
	if slash >= 0 {
		if _, query, ok := strings.Cut(dsn[slash:], "?"); ok {
			for _, kv := range strings.Split(query, "&") {
				k, _, _ := strings.Cut(kv, "=")
				if k == "" {
					continue
				}
				if _, perr := mysqldriver.ParseDSN("/?" + kv); perr != nil {
					return fmt.Sprintf("parameter %q: %v", k, perr)
				}
			}
		}
	}
	return msg
}
