package ops

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"

	"github.com/lienthong/lienthong/config"
)

// splitSecret takes the write-only "secret" out of a JSON object body and
// returns the rest, as written, for config's strict decoding. secret is
// nil when the body has none.
func splitSecret(body []byte) (rest []byte, secret *string, bad []config.FieldError) {
	dec := json.NewDecoder(bytes.NewReader(body))
	notObject := []config.FieldError{{Reason: "the body must be a JSON object of the source's keys (name, kind, dsn, timeout, options, streams) and its secret"}}
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, nil, notObject
	}
	var out bytes.Buffer
	out.WriteByte('{')
	seen := map[string]bool{}
	for dec.More() {
		t, err := dec.Token()
		key, ok := t.(string)
		if err != nil || !ok {
			return nil, nil, notObject
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, nil, []config.FieldError{{Field: key, Reason: "the body is not valid JSON here: " + jsonReason(err)}}
		}
		if seen[key] {
			bad = append(bad, config.FieldError{Field: key, Reason: "written twice: write each key once"})
			continue
		}
		seen[key] = true
		if key == "secret" {
			var sec string
			if err := json.Unmarshal(v, &sec); err != nil {
				bad = append(bad, config.FieldError{Field: "secret", Reason: "must be a string: the DSN with its password, or the API's token"})
				continue
			}
			secret = &sec
			continue
		}
		if out.Len() > 1 {
			out.WriteByte(',')
		}
		k, _ := json.Marshal(key)
		out.Write(k)
		out.WriteByte(':')
		out.Write(v)
	}
	if _, err := dec.Token(); err != nil {
		return nil, nil, notObject
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, nil, []config.FieldError{{Reason: "the body holds something after its JSON object: send one object"}}
	}
	out.WriteByte('}')
	return out.Bytes(), secret, bad
}

// jsonReason is a JSON decoding error without the text around it, which
// may be a secret.
func jsonReason(err error) string {
	if se, ok := err.(*json.SyntaxError); ok {
		return fmt.Sprintf("syntax error at byte %d", se.Offset)
	}
	return "cannot be decoded"
}

// registrationRules are what the service's configuration adds to
// config.DecodeSource's judgement of a registered source: the kinds the
// operator allows, and one place for the connection string, which a SQL
// source cannot go without (a driver given none connects to this
// machine's own database). stored says the source keeps a secret from
// before.
func (s *Service) registrationRules(src config.Source, secret *string, stored bool) []config.FieldError {
	var bad []config.FieldError
	if src.Kind != "" && !slices.Contains(s.kinds(), src.Kind) {
		bad = append(bad, config.FieldError{Field: "kind", Reason: fmt.Sprintf("kind %q cannot be registered through the API: use one of %s (the other kinds read this machine's files or run programs, so only the operator declares them)",
			src.Kind, strings.Join(s.kinds(), ", "))})
	}
	if src.DSN != "" && secret != nil && *secret != "" {
		bad = append(bad, config.FieldError{Field: "secret", Reason: "give either dsn (a connection string without a password) or secret (the whole connection string), not both"})
	}
	given := src.DSN != "" || (secret != nil && *secret != "") || (secret == nil && stored)
	if sqlKinds[src.Kind] && !given {
		bad = append(bad, config.FieldError{Field: "secret", Reason: fmt.Sprintf("a %s source needs its connection string: send it in \"secret\" (encrypted, never shown), or one without a password in \"dsn\"", src.Kind)})
	}
	return bad
}

// sqlKinds are the kinds that connect with a DSN.
var sqlKinds = map[string]bool{"postgres": true, "mysql": true, "sqlite": true}

// unknownKey finds config's message for an unknown key, which it files
// under the mapping that holds the key.
var unknownKey = regexp.MustCompile(`^(?:line \d+: )?unknown key "([^"]+)"`)

// mergeFields joins field errors, dropping repeats of the same field and
// reason; an unknown key is filed under its own path, which is where an
// API client looks for it.
func mergeFields(lists ...[]config.FieldError) []config.FieldError {
	var out []config.FieldError
	for _, l := range lists {
		for _, f := range l {
			if m := unknownKey.FindStringSubmatch(f.Reason); m != nil && !strings.HasSuffix(f.Field, m[1]) {
				if f.Field == "" {
					f.Field = m[1]
				} else {
					f.Field += "." + m[1]
				}
			}
			if !slices.Contains(out, f) {
				out = append(out, f)
			}
		}
	}
	return out
}
