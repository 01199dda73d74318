package config

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
)

// document is a parsed configuration file and the line of each key path in
// it, so that checks made after decoding can still point at a line.
type document struct {
	file string
	// lines maps a key path ("departments[0].sources[0].kind") to the line
	// of its key, or of the mapping for a list item.
	lines map[string]int
	// paths maps the AST tokens the walk visited to their key paths, to
	// locate the errors goccy reports with a token only.
	paths map[*token.Token]string
	// anchors holds the anchored nodes walked so far, to walk an alias
	// like the node it stands for.
	anchors map[string]ast.Node
	// expanding holds the aliases being walked, so that an anchor that
	// contains an alias of itself is walked once.
	expanding map[string]bool
	errs      []error
	// registration is set when the document is one object sent to the
	// registration API rather than a configuration file: streams and
	// mappings are then registered apart.
	registration bool
	// takeSecret, on a registration body, takes its top-level "secret"
	// key out into secret before the walk.
	takeSecret bool
	secret     *string
}

func newDocument(file string) *document {
	return &document{file: file, lines: map[string]int{}, paths: map[*token.Token]string{}, anchors: map[string]ast.Node{}, expanding: map[string]bool{}}
}

// decode parses data and decodes it strictly into a Config.
//
// goccy's strict decoder stops at its first error and cannot place every
// mistake (a bad duration has no line, a float silently truncates into an
// int), so the AST is first walked against the Config type: every unknown
// key, wrong type and bad duration is reported at once with its key path.
// Only a document that passes the walk is handed to goccy.
func decode(file string, data []byte) (*Config, *document, error) {
	d := newDocument(file)
	cfg := new(Config)
	if err := d.decodeInto(data, cfg); err != nil {
		return nil, d, err
	}
	unshare(cfg)
	return cfg, d, nil
}

// decodeInto parses data and decodes it strictly into out, a pointer to
// Config or to one of its parts (a Source, a Stream), with key paths
// relative to out. An empty document leaves out as it is.
func (d *document) decodeInto(data []byte, out any) error {
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		return d.yamlError(err)
	}
	var body ast.Node
	for _, doc := range f.Docs {
		if doc.Body == nil {
			continue
		}
		if body != nil {
			line := lineOf(doc.Body)
			if doc.Start != nil {
				line = doc.Start.Position.Line // the "---"
			}
			d.add(line, "", "a configuration is one YAML document: remove the \"---\" separator and what follows")
			return d.err()
		}
		body = doc.Body
	}
	if body != nil && d.takeSecret {
		body = d.extractSecret(body)
	}
	if body == nil {
		return nil // an empty file; validation reports what it lacks
	}
	if expandedSize(body, map[string]int{}) > maxNodes {
		d.add(lineOf(body), "", fmt.Sprintf("aliases expand to more than %d nodes: write the configuration out instead of nesting aliases", maxNodes))
		return d.err()
	}
	d.walk(body, reflect.TypeOf(out).Elem(), "")
	if err := d.err(); err != nil {
		return err
	}
	// The walk has checked the shape; Strict is kept so that anything the
	// walk does not know about still fails rather than being ignored.
	if err := yaml.NodeToValue(body, out, yaml.Strict(), yaml.CustomUnmarshaler(unmarshalDuration)); err != nil {
		return d.yamlError(err)
	}
	return nil
}

// unshare copies what YAML aliases made shared: goccy decodes "*anchor"
// to the same slices and pointers as the anchored value, and defaults and
// path resolution must change each stream once.
func unshare(c *Config) {
	c.Departments = slices.Clone(c.Departments)
	for i := range c.Departments {
		dept := &c.Departments[i]
		dept.Sources = slices.Clone(dept.Sources)
		for j := range dept.Sources {
			src := &dept.Sources[j]
			src.Options = maps.Clone(src.Options)
			src.Streams = slices.Clone(src.Streams)
			for k := range src.Streams {
				s := &src.Streams[k]
				s.PrimaryKey = slices.Clone(s.PrimaryKey)
				if s.Batch != nil {
					b := *s.Batch
					s.Batch = &b
				}
			}
		}
	}
}

// maxNodes is far above any real configuration, and far below what makes
// a decoder that expands every alias run out of time or memory.
const maxNodes = 1 << 20

// expandedSize counts the nodes of n as if every alias were replaced by
// what it names, so that nested aliases ("billion laughs") are refused
// before goccy expands them. anchors memoizes the size of each anchor seen.
func expandedSize(n ast.Node, anchors map[string]int) int {
	sum := func(nodes ...ast.Node) int {
		total := 1
		for _, c := range nodes {
			total = min(total+expandedSize(c, anchors), maxNodes+1)
		}
		return total
	}
	switch v := n.(type) {
	case nil:
		return 0
	case *ast.AnchorNode:
		size := expandedSize(v.Value, anchors)
		anchors[v.Name.GetToken().Value] = size
		return size
	case *ast.AliasNode:
		return anchors[v.Value.GetToken().Value]
	case *ast.TagNode:
		return expandedSize(v.Value, anchors)
	case *ast.MappingNode:
		nodes := make([]ast.Node, len(v.Values))
		for i, mv := range v.Values {
			nodes[i] = mv
		}
		return sum(nodes...)
	case *ast.MappingValueNode:
		return sum(v.Key, v.Value)
	case *ast.SequenceNode:
		return sum(v.Values...)
	}
	return 1
}

var durationType = reflect.TypeFor[time.Duration]()

// parseDuration reads a duration as time.ParseDuration does, and also a
// whole number of days ("90d"): retention periods are counted in days, and
// "2160h" is no way to write a quarter.
func parseDuration(s string) (time.Duration, error) {
	days, ok := strings.CutSuffix(s, "d")
	if !ok {
		return time.ParseDuration(s)
	}
	n, err := strconv.ParseInt(days, 10, 64)
	const day = 24 * time.Hour
	if err != nil || n < 0 || n > int64(math.MaxInt64/day) {
		return 0, fmt.Errorf("invalid duration %q: days are a whole number, such as \"90d\"", s)
	}
	return time.Duration(n) * day, nil
}

// unmarshalDuration decodes a time.Duration with parseDuration.
func unmarshalDuration(d *time.Duration, b []byte) error {
	var s string
	if err := yaml.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := parseDuration(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// walk checks node n against Go type t, records the line of every key path
// it visits and adds an error for each mismatch.
func (d *document) walk(n ast.Node, t reflect.Type, path string) {
	for {
		if tag, ok := n.(*ast.TagNode); ok {
			n = tag.Value
			continue
		}
		if a, ok := n.(*ast.AnchorNode); ok {
			// Registered after the walk, so "&a [*a]" cannot loop.
			defer func() { d.anchors[a.Name.GetToken().Value] = a.Value }()
			n = a.Value
			continue
		}
		break
	}
	switch v := n.(type) {
	case nil, *ast.NullNode:
		return // leaves the zero value; required keys are checked later
	case *ast.AliasNode:
		// Walked for the lines of the keys it brings, which defaults and
		// validation look up; its errors were reported at the anchor.
		name := v.Value.GetToken().Value
		if target, ok := d.anchors[name]; ok && !d.expanding[name] {
			d.expanding[name] = true
			errs := len(d.errs)
			d.walk(target, t, path)
			d.errs = d.errs[:errs]
			d.expanding[name] = false
		}
		return
	}
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if _, seen := d.paths[n.GetToken()]; !seen {
		d.paths[n.GetToken()] = path
	}
	if _, seen := d.lines[path]; !seen {
		d.lines[path] = lineOf(n)
	}
	switch {
	case t == durationType:
		s, ok := n.(*ast.StringNode)
		if !ok {
			d.add(lineOf(n), path, fmt.Sprintf("want a duration such as \"2s\" or \"10m\", got %s", describe(n)))
			return
		}
		if _, err := parseDuration(s.Value); err != nil {
			d.add(lineOf(n), path, fmt.Sprintf("invalid duration %q: write a number and a unit, such as \"2s\", \"500ms\", \"10m\" or \"90d\"", s.Value))
		}
	case t.Kind() == reflect.Struct:
		d.walkMapping(n, t, path)
	case t.Kind() == reflect.Slice:
		seq, ok := n.(*ast.SequenceNode)
		if !ok {
			d.add(lineOf(n), path, fmt.Sprintf("want a list, got %s", describe(n)))
			return
		}
		for i, v := range seq.Values {
			d.walk(v, t.Elem(), index(path, i))
		}
	case t.Kind() == reflect.Map:
		// Connector options are free-form: the connector checks them.
		if _, ok := n.(ast.MapNode); !ok {
			d.add(lineOf(n), path, fmt.Sprintf("want a mapping of keys, got %s", describe(n)))
		}
	case t.Kind() == reflect.String:
		// Any scalar will do: look_back: 500 is as natural as "500".
		switch n.(type) {
		case ast.MapNode, *ast.SequenceNode:
			d.add(lineOf(n), path, fmt.Sprintf("want text, got %s", describe(n)))
		}
	case t.Kind() == reflect.Int:
		if _, ok := n.(*ast.IntegerNode); !ok {
			d.add(lineOf(n), path, fmt.Sprintf("want a whole number, got %s", describe(n)))
		}
	}
}

// walkMapping checks a mapping against a struct type: every key must name
// a field.
func (d *document) walkMapping(n ast.Node, t reflect.Type, path string) {
	m, ok := n.(ast.MapNode)
	if !ok {
		d.add(lineOf(n), path, fmt.Sprintf("want a mapping of keys, got %s", describe(n)))
		return
	}
	fields, names := yamlFields(t)
	it := m.MapRange()
	for it.Next() {
		k := it.Key()
		if k.IsMergeKey() {
			// "<<: *anchor" or "<<: [*a, *b]": the merged keys belong
			// to this mapping.
			if seq, ok := unwrap(it.Value()).(*ast.SequenceNode); ok {
				for _, v := range seq.Values {
					d.walk(v, t, path)
				}
			} else {
				d.walk(it.Value(), t, path)
			}
			continue
		}
		key := keyName(k)
		keyPath := join(path, key)
		line := lineOf(k)
		if _, seen := d.paths[k.GetToken()]; !seen {
			d.paths[k.GetToken()] = keyPath
		}
		f, ok := fields[key]
		if !ok {
			// A file names the mapping that holds the key, with its line; an
			// API body names the key itself, as a field.
			at := path
			if d.registration {
				at = keyPath
			}
			d.add(line, at, unknownKey(t, key, names))
			continue
		}
		if _, seen := d.lines[keyPath]; !seen {
			d.lines[keyPath] = line
		}
		d.walk(it.Value(), f.Type, keyPath)
	}
}

// yamlFields returns a struct's fields by YAML key, and the keys in
// declaration order for messages.
func yamlFields(t reflect.Type) (map[string]reflect.StructField, []string) {
	fields := map[string]reflect.StructField{}
	var names []string
	for f := range t.Fields() {
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		fields[name] = f
		names = append(names, name)
	}
	return fields, names
}

var storeType = reflect.TypeFor[Store]()

// unknownKey says what to write instead of an unknown key: the likely typo,
// or the keys the mapping accepts.
func unknownKey(t reflect.Type, key string, known []string) string {
	msg := fmt.Sprintf("unknown key %q", key)
	if t == storeType && key == "dsn" {
		return msg + " (a store's DSN comes from dsn_env or dsn_file, so its password stays out of this file)"
	}
	best, bestDist := "", 3 // a farther key is not a typo
	for _, k := range known {
		if dist := editDistance(key, k); dist < bestDist {
			best, bestDist = k, dist
		}
	}
	if best != "" {
		return msg + fmt.Sprintf(" (did you mean %q?)", best)
	}
	return msg + " (known keys: " + strings.Join(known, ", ") + ")"
}

// editDistance is the Levenshtein distance of two short keys.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// yamlError turns an error from goccy into an Error. goccy's own text
// quotes the source; the line is enough here.
func (d *document) yamlError(err error) error {
	var ye yaml.Error
	if !errors.As(err, &ye) {
		if d.registration {
			// goccy's own text may quote the body, and a body may hold a
			// secret.
			return &Error{File: d.file, Msg: "cannot decode: write one JSON object or YAML mapping"}
		}
		return &Error{File: d.file, Msg: "cannot decode", Err: err}
	}
	e := &Error{File: d.file, Msg: ye.GetMessage()}
	if d.registration {
		e.Msg = quoted.ReplaceAllString(e.Msg, `"…"`)
	}
	if tk := ye.GetToken(); tk != nil {
		e.Line = tk.Position.Line
		e.Key = d.paths[tk]
	}
	var se *yaml.SyntaxError
	if errors.As(err, &se) {
		e.Msg = "invalid YAML: " + e.Msg
	}
	return e
}

// quoted finds the quoted text in goccy's messages, which an API body's
// errors leave out: it may be part of a secret.
var quoted = regexp.MustCompile(`"[^"]*"`)

// add records an error at a line and key path.
func (d *document) add(line int, path, msg string) {
	d.errs = append(d.errs, &Error{File: d.file, Line: line, Key: path, Msg: msg})
}

// addAt records an error at a key path, on its line or on the line of its
// nearest ancestor present in the file.
func (d *document) addAt(path, msg string) {
	d.add(d.line(path), path, msg)
}

// err joins the recorded errors, or returns nil.
func (d *document) err() error { return errors.Join(d.errs...) }

// has reports whether the key path is written in the file.
func (d *document) has(path string) bool {
	_, ok := d.lines[path]
	return ok
}

// line returns the line of a key path, falling back to its ancestors: a
// missing key is reported on the mapping that should hold it.
func (d *document) line(path string) int {
	for {
		if l, ok := d.lines[path]; ok {
			return l
		}
		if path == "" {
			return 0
		}
		path = parent(path)
	}
}

// join appends a key to a key path.
func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// index appends a list index to a key path.
func index(path string, i int) string {
	return path + "[" + strconv.Itoa(i) + "]"
}

// parent drops the last key or index of a key path.
func parent(path string) string {
	i := strings.LastIndexAny(path, ".[")
	if i < 0 {
		return ""
	}
	return path[:i]
}

// unwrap looks through tags and anchors to the node they decorate.
func unwrap(n ast.Node) ast.Node {
	for {
		switch v := n.(type) {
		case *ast.TagNode:
			n = v.Value
		case *ast.AnchorNode:
			n = v.Value
		default:
			return n
		}
	}
}

func keyName(k ast.MapKeyNode) string {
	if s, ok := unwrap(k).(*ast.StringNode); ok {
		return s.Value
	}
	return k.GetToken().Value
}

func lineOf(n ast.Node) int {
	if tk := n.GetToken(); tk != nil && tk.Position != nil {
		return tk.Position.Line
	}
	return 0
}

// describe names what a node holds, in the user's terms.
func describe(n ast.Node) string {
	switch v := n.(type) {
	case ast.MapNode:
		return "a mapping"
	case *ast.SequenceNode:
		return "a list"
	case *ast.IntegerNode, *ast.FloatNode, *ast.InfinityNode, *ast.NanNode:
		return "the number " + v.GetToken().Value
	case *ast.BoolNode:
		return v.GetToken().Value
	default:
		// Not the text itself: it may be a DSN written in the wrong place.
		return "text"
	}
}
