package config

import (
	"cmp"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/goccy/go-yaml/ast"
)

// Registration configures what departments may register through the API
// and the console.
type Registration struct {
	// Kinds are the connector kinds a department may register. Default:
	// postgres, mysql, httpjson (not sqlite, exec or files: those name the
	// server's own files and programs).
	Kinds []string `yaml:"kinds"`
	// AllowNetworks are the networks (CIDR, e.g. 10.20.0.0/16) registered
	// sources may connect to; empty, registered sources may reach no
	// private, loopback or link-local address (internal/netguard).
	AllowNetworks []string `yaml:"allow_networks"`
}

// DefaultRegistrationKinds are the kinds a department may register when
// the file says nothing.
var DefaultRegistrationKinds = []string{"postgres", "mysql", "httpjson"}

// Networks returns AllowNetworks parsed; Parse has checked them, so
// entries that do not parse (a hand-made Config) are left out.
func (r Registration) Networks() []netip.Prefix {
	var out []netip.Prefix
	for _, n := range r.AllowNetworks {
		if p, err := netip.ParsePrefix(strings.TrimSpace(n)); err == nil {
			out = append(out, p.Masked())
		}
	}
	return out
}

// Allows reports whether a department may register a source of kind.
func (r Registration) Allows(kind string) bool { return slices.Contains(r.Kinds, kind) }

func (d *document) setRegistrationDefaults(c *Config) {
	if !d.has("registration.kinds") {
		c.Registration.Kinds = slices.Clone(DefaultRegistrationKinds)
	}
}

func (d *document) validateRegistration(c *Config) {
	r := c.Registration
	if d.has("registration.kinds") && len(r.Kinds) == 0 {
		d.addAt("registration.kinds", "list at least one connector kind, or remove the key for the default ("+strings.Join(DefaultRegistrationKinds, ", ")+")")
	}
	seen := map[string]bool{}
	for i, k := range r.Kinds {
		path := index("registration.kinds", i)
		switch {
		case k == "":
			d.addAt(path, "must not be empty")
		case seen[k]:
			d.addAt(path, fmt.Sprintf("kind %q is listed twice", k))
		}
		seen[k] = true
	}
	for i, n := range r.AllowNetworks {
		if _, err := netip.ParsePrefix(strings.TrimSpace(n)); err != nil {
			d.addAt(index("registration.allow_networks", i), fmt.Sprintf("invalid network %q: write a CIDR such as 10.20.0.0/16 or 192.0.2.10/32", n))
		}
	}
}

// checkRegistrationKinds reports registration kinds the program does not
// know.
func (d *document) checkRegistrationKinds(c *Config, known []string) {
	for i, k := range c.Registration.Kinds {
		if k != "" && !slices.Contains(known, k) {
			d.addAt(index("registration.kinds", i), unknownKind(k, known))
		}
	}
}

// unknownKind says a kind is unknown, with the likely typo or the list.
func unknownKind(kind string, known []string) string {
	msg := fmt.Sprintf("unknown connector kind %q", kind)
	best, bestDist := "", 3 // a farther kind is not a typo
	for _, k := range known {
		if dist := editDistance(kind, k); dist < bestDist {
			best, bestDist = k, dist
		}
	}
	if best != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", best)
	}
	return msg + "; known kinds: " + strings.Join(known, ", ")
}

// DecodeSource decodes one source sent to the registration API (JSON or
// YAML; JSON is YAML), with its streams if it lists any, as strictly as
// the file loader judges a source of lienthong.yaml: unknown keys (with
// the likely typo), types, durations ("90d"), names, the per-kind stream
// rules. Defaults are set as the loader sets them. Field paths are
// relative to the body ("streams[0].cursor", "timeout").
//
// A registered source's secret travels apart (the API's "secret" field,
// sealed by the registry): dsn_env and dsn_file, which name the server's
// environment and files, are refused, and so is an inline DSN with a
// password. A stream's mapping is uploaded apart as a version, so
// "mapping" is refused too. The connector kind is not checked against
// Registration.Kinds: the caller knows the configuration.
func DecodeSource(body []byte) (Source, []FieldError) {
	src, _, errs := decodeSource(body, false)
	return src, errs
}

// DecodeSourceSecret is DecodeSource for a body that may also carry the
// source's secret as a top-level "secret" key (text): the secret is
// returned apart (nil when the key is absent or null, "" when empty) and
// never appears in a FieldError.
func DecodeSourceSecret(body []byte) (Source, *string, []FieldError) {
	return decodeSource(body, true)
}

func decodeSource(body []byte, takeSecret bool) (Source, *string, []FieldError) {
	d := newDocument("")
	d.registration = true
	d.takeSecret = takeSecret
	var src Source
	if err := d.decodeInto(body, &src); err != nil {
		return Source{}, nil, fieldErrors(d, err)
	}
	c := &Config{Departments: []Department{{Sources: []Source{src}}}}
	unshare(c)
	src = c.Departments[0].Sources[0]
	for k := range src.Streams {
		d.setStreamDefaults(&src.Streams[k], index("streams", k), defaultBatch())
	}
	d.validateSource(&src, "", names{})
	for k := range src.Streams {
		d.validateStreamSchedule(nil, &src.Streams[k], index("streams", k))
	}
	d.checkRegisteredSecret(&src)
	if len(d.errs) > 0 {
		return Source{}, nil, fieldErrors(d, nil)
	}
	return src, d.secret, nil
}

// extractSecret takes the top-level "secret" key out of a body mapping
// into d.secret and returns what is left (nil when nothing is).
func (d *document) extractSecret(body ast.Node) ast.Node {
	take := func(mv *ast.MappingValueNode) bool {
		if keyName(mv.Key) != "secret" {
			return false
		}
		switch v := unwrap(mv.Value).(type) {
		case nil, *ast.NullNode:
		case *ast.StringNode:
			sec := v.Value
			d.secret = &sec
		case ast.MapNode, *ast.SequenceNode:
			// Not the value: a misplaced secret must not be echoed.
			d.add(lineOf(mv.Key), "secret", "want text (the DSN with its password, or the API token)")
		default:
			sec := v.GetToken().Value // an unquoted number or word
			d.secret = &sec
		}
		return true
	}
	switch n := body.(type) {
	case *ast.MappingValueNode:
		if take(n) {
			return nil
		}
	case *ast.MappingNode:
		kept := n.Values[:0:0]
		for _, mv := range n.Values {
			if !take(mv) {
				kept = append(kept, mv)
			}
		}
		n.Values = kept
		if len(kept) == 0 {
			return nil
		}
	}
	return body
}

// DecodeStream decodes one stream of a source of kind sourceKind sent to
// the registration API, as DecodeSource does a source's streams.
func DecodeStream(body []byte, sourceKind string) (Stream, []FieldError) {
	d := newDocument("")
	d.registration = true
	var s Stream
	if err := d.decodeInto(body, &s); err != nil {
		return Stream{}, fieldErrors(d, err)
	}
	s.PrimaryKey = slices.Clone(s.PrimaryKey)
	if s.Batch != nil {
		b := *s.Batch
		s.Batch = &b
	}
	d.setStreamDefaults(&s, "", defaultBatch())
	d.validateStream(&s, sqlKinds[sourceKind], "", names{})
	d.validateStreamSchedule(nil, &s, "")
	if len(d.errs) > 0 {
		return Stream{}, fieldErrors(d, nil)
	}
	return s, nil
}

func defaultBatch() Batch { return Batch{Size: defaultBatchSize, Period: defaultBatchPeriod} }

// checkRegisteredSecret refuses what a registered source may not use to
// name its DSN.
func (d *document) checkRegisteredSecret(src *Source) {
	for key, v := range map[string]string{"dsn_env": src.DSNEnv, "dsn_file": src.DSNFile} {
		if v != "" {
			d.addAt(key, key+` names the server's environment or files, which a registered source may not use: send the DSN or token as "secret" (sealed, never shown again)`)
		}
	}
	switch {
	case src.DSN == "":
	case secretKinds[src.Kind]:
		d.addAt("dsn", fmt.Sprintf(`a %s source's DSN is its secret (a token, a password): send it as "secret" (sealed, never shown again) and leave dsn out`, src.Kind))
	case hasPassword(src.DSN, src.Kind):
		d.addAt("dsn", `the DSN carries a password: send the whole DSN as "secret" (sealed, never shown again) and leave dsn out`)
	}
}

// fieldErrors turns a document's errors (and err, when it holds others)
// into FieldErrors, sorted by field.
func fieldErrors(d *document, err error) []FieldError {
	errs := d.errs
	if len(errs) == 0 && err != nil {
		errs = []error{err}
	}
	var out []FieldError
	for _, e := range errs {
		var ce *Error
		if !errors.As(e, &ce) {
			out = append(out, FieldError{Reason: e.Error()})
			continue
		}
		reason := ce.Msg
		if ce.Err != nil {
			reason += ": " + ce.Err.Error()
		}
		if ce.Line > 0 && ce.Key == "" {
			reason = fmt.Sprintf("line %d: %s", ce.Line, reason)
		}
		out = append(out, FieldError{Field: ce.Key, Reason: reason})
	}
	slices.SortStableFunc(out, func(a, b FieldError) int { return cmp.Compare(a.Field, b.Field) })
	return out
}

// ResolveSecret fills src.ResolvedDSN from its dsn_env variable, its
// dsn_file file or its inline dsn (only without a password), as Parse
// does for every source of a file: the registry keeps file-declared
// sources with their dsn_env or dsn_file, and whoever opens one resolves
// it in its own environment. Messages name the variable or file, never
// the value. A source marked Sealed has its secret in the registry
// (registry.Store.SourceSecret) and is left alone.
func ResolveSecret(src *Source, getenv func(string) string) error {
	if src.Sealed {
		return nil
	}
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	d := newDocument("source " + src.Name)
	v := d.sourceDSN("", src, getenv)
	if err := d.err(); err != nil {
		return err
	}
	src.ResolvedDSN = v
	return nil
}
