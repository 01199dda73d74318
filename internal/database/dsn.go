package database

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// urlProblem says which part of a postgres:// URL that does not parse is
// wrong (the user, the password, the host, the port, the database name, the
// parameters) and how to write it. It never quotes the password: at most it
// names the one character in it that a URL must escape.
func urlProblem(dsn string) string {
	const generic = "percent-encode special characters (/ # ? @ %) in the user and password"
	i := strings.Index(dsn, "://")
	if i < 0 {
		return generic
	}
	rest := dsn[i+3:]
	// The user information runs to the last "@": a password may hold "/",
	// "?" or "#", which would otherwise end the host part early.
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		user, pass, hasPass := strings.Cut(rest[:at], ":")
		if p := userinfoProblem(user); p != "" {
			return fmt.Sprintf("the user name %q %s", user, p)
		}
		if p := userinfoProblem(pass); hasPass && p != "" {
			return "the password " + p + " (the password itself is not shown)"
		}
		rest = rest[at+1:]
	}
	hostport, path := rest, ""
	if j := strings.IndexAny(rest, "/?#"); j >= 0 {
		hostport, path = rest[:j], rest[j:]
	}
	host, port := hostport, ""
	if h, p, err := net.SplitHostPort(hostport); err == nil {
		host, port = h, p
	} else if j := strings.LastIndex(hostport, ":"); j >= 0 && !strings.Contains(hostport, "]") {
		host, port = hostport[:j], hostport[j+1:]
	}
	for _, r := range port {
		if r < '0' || r > '9' {
			return fmt.Sprintf("the port %q after host %q is not a number", port, host)
		}
	}
	if strings.ContainsAny(host, " %\"<>\\^`{|}") {
		return fmt.Sprintf("the host %q holds a character a host name cannot have", host)
	}
	db, query, _ := strings.Cut(path, "?")
	if _, err := url.PathUnescape(db); err != nil {
		return fmt.Sprintf("the database name %q has a %% not followed by two hex digits: write %%25 for %%", strings.TrimPrefix(db, "/"))
	}
	if _, err := url.ParseQuery(query); err != nil {
		return fmt.Sprintf("the parameters after \"?\" do not parse (%v): write them key=value&key=value, percent-encoded", err)
	}
	if strings.ContainsAny(dsn, " \t\n") {
		return "it holds a space or a line break: percent-encode a space as %20, and check for a stray newline"
	}
	return generic
}

// userinfoProblem says what in a URL's user name or password must be
// percent-encoded, naming the character; "" when nothing.
func userinfoProblem(s string) string {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '%':
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return `holds a "%" not followed by two hex digits: write it %25`
			}
			i += 2
		case c == '/' || c == '?' || c == '#' || c == '[' || c == ']' || c == ' ' || c < 0x20 || c == '"' ||
			c == '<' || c == '>' || c == '\\' || c == '^' || c == '`' || c == '{' || c == '|' || c == '}' || c == ':':
			return fmt.Sprintf("holds %q, which a URL must write %%%02X", string(c), c)
		}
	}
	return ""
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
