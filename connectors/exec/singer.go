package exec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// ErrMalformedOutput is returned, wrapped, when a line of the program's
// stdout is not a Singer message lienthong can use. The error names the
// line and quotes its start.
var ErrMalformedOutput = errors.New("exec: malformed program output")

// Singer message types (hub.meltano.com/singer/spec).
const (
	typeSchema          = "SCHEMA"
	typeRecord          = "RECORD"
	typeState           = "STATE"
	typeActivateVersion = "ACTIVATE_VERSION"
	typeBatch           = "BATCH"
)

// message is one line of a Singer program's stdout. Numbers in a record
// stay json.Number, so that no digit is lost before fieldValue.
type message struct {
	Type          string          `json:"type"`
	Stream        string          `json:"stream"`
	Record        map[string]any  `json:"record"`
	Schema        json.RawMessage `json:"schema"`
	KeyProperties []string        `json:"key_properties"`
	Value         json.RawMessage `json:"value"`
}

// decoder decodes lines into messages with one json.Decoder, whose buffer
// is reused from line to line: a new decoder per line cost as much as the
// decoding. It is fed one line per message.
type decoder struct {
	feed lineFeed
	dec  *json.Decoder
	fed  int64
}

func newDecoder() *decoder {
	d := &decoder{}
	d.dec = json.NewDecoder(&d.feed)
	d.dec.UseNumber()
	return d
}

// lineFeed hands the decoder the current line, then io.EOF: a line that
// ends before its JSON value does is reported as unexpected EOF.
type lineFeed struct{ line []byte }

func (f *lineFeed) Read(p []byte) (int, error) {
	if len(f.line) == 0 {
		return 0, io.EOF
	}
	n := copy(p, f.line)
	f.line = f.line[n:]
	return n, nil
}

// parse decodes and checks a line, trimmed and not empty. After an error
// the decoder must not be used again.
func (d *decoder) parse(line []byte) (message, error) {
	var m message
	if line[0] != '{' {
		return m, errors.New("it is not a JSON object")
	}
	d.feed.line = line
	d.fed += int64(len(line))
	if err := d.dec.Decode(&m); err != nil {
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &te) && te.Field == "record":
			return m, fmt.Errorf(`a RECORD message has no "record" object (its "record" is a JSON %s)`, te.Value)
		case errors.As(err, &te):
			return m, fmt.Errorf("its %q is a JSON %s, which Singer does not allow there", te.Field, te.Value)
		}
		return m, fmt.Errorf("it is not valid JSON: %v", err)
	}
	if d.dec.InputOffset() != d.fed {
		return m, errors.New("it holds more than one JSON value")
	}
	switch m.Type {
	case typeSchema:
		if m.Stream == "" {
			return m, errors.New(`a SCHEMA message has no "stream"`)
		}
		if !isObject(m.Schema) {
			return m, errors.New(`a SCHEMA message has no "schema" object`)
		}
	case typeRecord:
		if m.Stream == "" {
			return m, errors.New(`a RECORD message has no "stream"`)
		}
		if m.Record == nil {
			return m, errors.New(`a RECORD message has no "record" object`)
		}
	case typeState:
		if len(m.Value) == 0 {
			return m, errors.New(`a STATE message has no "value"`)
		}
	case typeActivateVersion:
	case typeBatch:
		return m, errors.New("BATCH messages are not supported: turn the tap's batch mode off so it writes RECORD messages")
	case "":
		return m, errors.New(`it has no "type"`)
	default:
		return m, fmt.Errorf("its type %q is not a Singer message type (SCHEMA, RECORD, STATE)", cutRunes(m.Type, 40))
	}
	return m, nil
}

func isObject(raw json.RawMessage) bool {
	raw = bytes.TrimLeft(raw, " \t\r\n")
	return len(raw) > 0 && raw[0] == '{'
}

// jsonSchema is the part of a JSON Schema that lienthong reads.
type jsonSchema struct {
	Type   json.RawMessage `json:"type"`
	Format string          `json:"format"`
	AnyOf  []jsonSchema    `json:"anyOf"`
}

// types lists the schema's types: "type" may be one name or a list.
func (s jsonSchema) types() []string {
	var one string
	if json.Unmarshal(s.Type, &one) == nil && one != "" {
		return []string{one}
	}
	var many []string
	json.Unmarshal(s.Type, &many)
	return many
}

// timeFormat is the schema's "date-time" or "date" format, found directly
// or in an anyOf branch, or "".
func (s jsonSchema) timeFormat() string {
	if s.Format == "date-time" || s.Format == "date" {
		return s.Format
	}
	for _, b := range s.AnyOf {
		if f := b.timeFormat(); f != "" {
			return f
		}
	}
	return ""
}

// eachProperty calls fn for every property of an object schema, in the
// order the program wrote them.
func eachProperty(schema json.RawMessage, fn func(name string, s jsonSchema) error) error {
	var props json.RawMessage
	err := eachMember(schema, func(key string, val json.RawMessage) error {
		if key == "properties" {
			props = val
		}
		return nil
	})
	if err != nil || props == nil || !isObject(props) {
		return err
	}
	return eachMember(props, func(name string, val json.RawMessage) error {
		var s jsonSchema
		if err := json.Unmarshal(val, &s); err != nil {
			return fmt.Errorf("property %q: %v", name, err)
		}
		return fn(name, s)
	})
}

// eachMember walks a JSON object's members in order.
func eachMember(obj json.RawMessage, fn func(key string, val json.RawMessage) error) error {
	dec := json.NewDecoder(bytes.NewReader(obj))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return errors.New("not a JSON object")
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		var val json.RawMessage
		if err := dec.Decode(&val); err != nil {
			return err
		}
		if err := fn(t.(string), val); err != nil {
			return err
		}
	}
	return nil
}

// timeFormats maps a SCHEMA's date and date-time properties to their
// format.
func timeFormats(schema json.RawMessage) (map[string]string, error) {
	formats := map[string]string{}
	err := eachProperty(schema, func(name string, s jsonSchema) error {
		if f := s.timeFormat(); f != "" {
			formats[name] = f
		}
		return nil
	})
	return formats, err
}

// errNotScalar marks a key property whose value is an object or a list.
var errNotScalar = errors.New("not a single value")

// fieldValue turns one decoded JSON value of a record into a
// connectors.Record field value, and gives its text for a key:
//
//   - a string is a string, or a time.Time when the schema's format is
//     date-time (RFC 3339) or date (YYYY-MM-DD) and it parses as one;
//   - an integer that fits is an int64; another number is a float64 when
//     it has at most 15 significant digits, otherwise its exact text;
//   - true and false are bools, null is nil;
//   - an object or a list is its compact JSON text, object keys sorted.
func fieldValue(v any, format string) (any, string, error) {
	switch x := v.(type) {
	case string:
		switch format {
		case "date-time":
			if t, err := time.Parse(time.RFC3339Nano, x); err == nil {
				return t, x, nil
			}
		case "date":
			if t, err := time.Parse(time.DateOnly, x); err == nil {
				return t, x, nil
			}
		}
		return x, x, nil
	case json.Number:
		text := string(x)
		if i, err := strconv.ParseInt(text, 10, 64); err == nil {
			return i, text, nil
		}
		if significantDigits(text) <= 15 {
			if f, err := strconv.ParseFloat(text, 64); err == nil {
				return f, text, nil
			}
		}
		return text, text, nil
	case bool:
		return x, strconv.FormatBool(x), nil
	case nil:
		return nil, "", nil
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, "", err
	}
	return strings.TrimSuffix(b.String(), "\n"), "", errNotScalar
}

// significantDigits counts the digits of a JSON number's mantissa from its
// first non-zero digit.
func significantDigits(num string) int {
	n, started := 0, false
	for i := 0; i < len(num); i++ {
		c := num[i]
		if c == 'e' || c == 'E' {
			break
		}
		if c < '0' || c > '9' {
			continue
		}
		if c != '0' {
			started = true
		}
		if started {
			n++
		}
	}
	return n
}
