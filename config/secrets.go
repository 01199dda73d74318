package config

import (
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"
)

// resolveSecrets fills Source.ResolvedDSN and Store.DSN. Messages name the
// key, the variable or the file, never the value: a DSN holds a password.
func (d *document) resolveSecrets(c *Config, getenv func(string) string, sources bool, only string) {
	c.National.DSN = d.storeDSN("national", c.National, getenv)
	c.State.DSN = d.storeDSN("state", c.State, getenv)
	if !sources {
		return
	}
	for i := range c.Departments {
		for j := range c.Departments[i].Sources {
			src := &c.Departments[i].Sources[j]
			if only != "" && only != c.Departments[i].Name+"/"+src.Name {
				continue
			}
			src.ResolvedDSN = d.sourceDSN(index(index("departments", i)+".sources", j), src, getenv)
		}
	}
}

func (d *document) sourceDSN(path string, src *Source, getenv func(string) string) string {
	set := 0
	for _, v := range []string{src.DSN, src.DSNEnv, src.DSNFile} {
		if v != "" {
			set++
		}
	}
	switch {
	case set == 0:
		if sqlKinds[src.Kind] {
			d.addAt(path, `missing DSN: set dsn_env (an environment variable), dsn_file (a file) or dsn (inline, only without a password)`)
		}
		return ""
	case set > 1:
		d.addAt(path, "set only one of dsn, dsn_env and dsn_file")
		return ""
	case src.DSNEnv != "":
		return d.fromEnv(join(path, "dsn_env"), src.DSNEnv, getenv)
	case src.DSNFile != "":
		return d.fromFile(join(path, "dsn_file"), src.DSNFile)
	}
	if secretKinds[src.Kind] {
		d.addAt(join(path, "dsn"), fmt.Sprintf("a %s source's DSN is its secret (a token, a password): move it to dsn_env or dsn_file", src.Kind))
		return ""
	}
	if hasPassword(src.DSN, src.Kind) {
		d.addAt(join(path, "dsn"), "the DSN carries a password: move it to dsn_env or dsn_file so the password stays out of this file")
		return ""
	}
	return src.DSN
}

func (d *document) storeDSN(path string, s Store, getenv func(string) string) string {
	switch {
	case s.DSNEnv != "" && s.DSNFile != "":
		d.addAt(path, "set only one of dsn_env and dsn_file")
	case s.DSNEnv != "":
		return d.fromEnv(path+".dsn_env", s.DSNEnv, getenv)
	case s.DSNFile != "":
		return d.fromFile(path+".dsn_file", s.DSNFile)
	}
	return ""
}

func (d *document) fromEnv(path, name string, getenv func(string) string) string {
	v := strings.TrimSpace(getenv(name))
	if v == "" {
		d.addAt(path, fmt.Sprintf("environment variable %s is not set or is empty: export it with the connection string", name))
	}
	return v
}

// fromFile reads a DSN file, trimmed: editors and "echo" leave a newline.
func (d *document) fromFile(path, file string) string {
	b, err := os.ReadFile(file)
	if err != nil {
		// The *PathError names the file and the reason, not the content.
		d.errs = append(d.errs, &Error{File: d.file, Line: d.line(path), Key: path, Msg: "cannot read the DSN", Err: err})
		return ""
	}
	v := strings.TrimSpace(string(b))
	if v == "" {
		d.addAt(path, fmt.Sprintf("file %s is empty: write the connection string in it", file))
	}
	return v
}

var (
	// passwordKV finds a password in libpq key=value DSNs ("password=x"),
	// ADO/ODBC strings ("Pwd=x;") and URL query parameters ("?password=x").
	passwordKV = regexp.MustCompile(`(?i)(?:^|[\s;?&])(?:password|pwd)\s*=`)
	// mysqlUserPass finds the "user:password@tcp(host)/db" of
	// go-sql-driver/mysql, which is not a URL.
	mysqlUserPass = regexp.MustCompile(`^[^:@/\s]+:[^@\s]+@(?:[a-z]*\(|/)`)
)

// hasPassword reports whether an inline DSN carries a password.
func hasPassword(dsn, kind string) bool {
	if u, err := url.Parse(dsn); err == nil && u.Scheme != "" && u.User != nil {
		if p, ok := u.User.Password(); ok && p != "" {
			return true
		}
	}
	if passwordKV.MatchString(dsn) {
		return true
	}
	// A SQLite DSN is a path, which may well hold ":" and "@".
	return kind != "sqlite" && mysqlUserPass.MatchString(dsn)
}
