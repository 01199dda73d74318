package exec

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/lienthong/lienthong/connectors"
)

// ErrNoDiscovery is returned, wrapped, by Discover when the source's
// options do not say that the program supports --discover.
var ErrNoDiscovery = errors.New("exec: discovery is not enabled")

// catalogStream is the part of a Singer catalog entry that lienthong reads.
type catalogStream struct {
	TapStreamID    string          `json:"tap_stream_id"`
	Stream         string          `json:"stream"`
	Schema         json.RawMessage `json:"schema"`
	KeyProperties  []string        `json:"key_properties"`
	ReplicationKey string          `json:"replication_key"`
	Metadata       []struct {
		Breadcrumb []string       `json:"breadcrumb"`
		Metadata   map[string]any `json:"metadata"`
	} `json:"metadata"`
}

func (c catalogStream) name() string {
	if c.TapStreamID != "" {
		return c.TapStreamID
	}
	return c.Stream
}

// streamMeta is the stream-level metadata entry (empty breadcrumb).
func (c catalogStream) streamMeta() map[string]any {
	for _, m := range c.Metadata {
		if len(m.Breadcrumb) == 0 {
			return m.Metadata
		}
	}
	return nil
}

func (c catalogStream) key() []string {
	if len(c.KeyProperties) > 0 {
		return c.KeyProperties
	}
	return stringList(c.streamMeta()["table-key-properties"])
}

func (c catalogStream) cursor() string {
	if c.ReplicationKey != "" {
		return c.ReplicationKey
	}
	meta := c.streamMeta()
	if k, ok := meta["replication-key"].(string); ok && k != "" {
		return k
	}
	if keys := stringList(meta["valid-replication-keys"]); len(keys) > 0 {
		return keys[0]
	}
	return ""
}

// stringList reads a JSON list of strings decoded as []any.
func stringList(v any) []string {
	list, _ := v.([]any)
	var out []string
	for _, e := range list {
		if s, ok := e.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// Discover runs the program with --discover (and --config) and lists the
// streams of the catalog it prints: columns from each schema's properties
// in the program's order, the key from key_properties or the
// table-key-properties metadata, the cursor from replication_key or the
// replication-key metadata.
func (s *Source) Discover(ctx context.Context) ([]connectors.StreamInfo, error) {
	cat, err := s.catalog(ctx)
	if err != nil {
		return nil, fmt.Errorf("discover source %q: %w", s.name, s.scrub(err))
	}
	infos := make([]connectors.StreamInfo, 0, len(cat))
	for _, c := range cat {
		info := connectors.StreamInfo{Name: c.name(), SuggestedKey: c.key(), SuggestedCursor: c.cursor()}
		err := eachProperty(c.Schema, func(name string, js jsonSchema) error {
			info.Columns = append(info.Columns, column(name, js))
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("discover source %q: %w: stream %q of the catalog: %v", s.name, ErrMalformedOutput, info.Name, err)
		}
		infos = append(infos, info)
	}
	slices.SortFunc(infos, func(a, b connectors.StreamInfo) int { return strings.Compare(a.Name, b.Name) })
	return infos, nil
}

// column describes a property: its JSON Schema types other than null, with
// the format if it has one ("string/date-time"), nullable if null is one.
func column(name string, js jsonSchema) connectors.Column {
	col := connectors.Column{Name: name}
	var types []string
	var add func(js jsonSchema)
	add = func(js jsonSchema) {
		for _, t := range js.types() {
			if t == "null" {
				col.Nullable = true
			} else if !slices.Contains(types, t) {
				types = append(types, t)
			}
		}
		for _, b := range js.AnyOf {
			add(b)
		}
	}
	add(js)
	col.Type = strings.Join(types, "|")
	if f := js.timeFormat(); f != "" {
		col.Type += "/" + f
	}
	return col
}

// catalog runs the program in discovery mode and decodes its catalog.
func (s *Source) catalog(ctx context.Context) ([]catalogStream, error) {
	if !s.opts.Discover {
		return nil, fmt.Errorf("%w: set options discover: true if the program accepts --discover and prints a Singer catalog", ErrNoDiscovery)
	}
	p, pctx, err := s.start(ctx, run{discover: true})
	if err != nil {
		return nil, err
	}
	limit := s.opts.MaxLineBytes
	out, err := io.ReadAll(io.LimitReader(p.stdout, limit+1))
	killed := pctx.Err() != nil
	if err == nil && int64(len(out)) > limit {
		err = fmt.Errorf("%w: program %s printed a catalog longer than max_line_bytes (%d bytes)", ErrMalformedOutput, s.opts.Command, limit)
	}
	if err != nil {
		p.kill()
	}
	werr := p.wait(pctx)
	switch {
	case killed:
		return nil, werr
	case err != nil:
		return nil, err
	case werr != nil:
		return nil, werr
	}
	var cat struct {
		Streams []catalogStream `json:"streams"`
	}
	if err := json.Unmarshal(out, &cat); err != nil || cat.Streams == nil {
		why := `it has no "streams" list`
		if err != nil {
			why = err.Error()
		}
		quote := strings.ToValidUTF8(cutRunes(string(out), lineQuote), "\uFFFD")
		return nil, fmt.Errorf("%w: program %s --discover did not print a Singer catalog (%s); it starts %q",
			ErrMalformedOutput, s.opts.Command, why, quote)
	}
	return cat.Streams, nil
}
