package httpjson

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/lienthong/lienthong/connectors"
	"github.com/lienthong/lienthong/internal/cursortext"
	"github.com/lienthong/lienthong/mapping/vn"
)

// cursorName matches field names that usually hold a record's last change,
// in English and in Vietnamese (ngay_cap_nhat, thoi_gian_sua).
var cursorName = regexp.MustCompile(`(?i)(updated|modified|changed|last_?update|cap_?nhat|sua)`)

// Discover requests the first page of every path in options.discover and
// describes its records: each field with its JSON types ("string
// (date-time)" when every value is a timestamp), whether it is ever null
// or absent, the encoding of its string values (vn.DetectText), a
// suggested primary key (an id-like field unique on the page) and a
// suggested cursor (an update-time-like field). StreamInfo.Name is the
// path, which is what a stream's table takes. The source-level options
// (records_path, query, pagination size) apply.
func (s *Source) Discover(ctx context.Context) ([]connectors.StreamInfo, error) {
	if len(s.opts.discover) == 0 {
		return nil, fmt.Errorf("discover source %q: set options.discover to the API paths to look at, e.g. [ho-tich/khai-sinh]", s.name)
	}
	var out []connectors.StreamInfo
	for _, path := range s.opts.discover {
		info, err := s.discoverPath(ctx, path)
		if err != nil {
			return nil, fmt.Errorf("discover source %q, path %s: %w", s.name, path, s.secrets.scrubErr(err))
		}
		out = append(out, info)
	}
	return out, nil
}

func (s *Source) discoverPath(ctx context.Context, path string) (connectors.StreamInfo, error) {
	p := &plan{name: path, url: joinPath(s.opts.baseURL, path), set: s.opts.settingsFor("")}
	p.size = p.set.pag.size
	if p.size == 0 {
		p.size = defaultPageSize
	}
	u, err := p.requestURL(p.first(), nil)
	if err != nil {
		return connectors.StreamInfo{}, err
	}
	resp, err := s.getJSON(ctx, u)
	if err != nil {
		return connectors.StreamInfo{}, err
	}
	recs, err := p.records(s, resp)
	if err != nil {
		return connectors.StreamInfo{}, err
	}
	objs := make([]map[string]any, 0, len(recs))
	for i, v := range recs {
		obj, ok := v.(map[string]any)
		if !ok {
			return connectors.StreamInfo{}, s.fail(resp, "record %d of the page is %s, not an object", i, jsonType(v))
		}
		objs = append(objs, obj)
	}
	if len(objs) == 0 {
		return connectors.StreamInfo{}, errors.New("the first page has no records to learn the fields from")
	}
	info := connectors.StreamInfo{Name: path, EstimatedRecords: total(resp.body)}
	names := map[string]bool{}
	for _, o := range objs {
		for k := range o {
			names[k] = true
		}
	}
	for _, name := range slices.Sorted(maps.Keys(names)) {
		info.Columns = append(info.Columns, describeField(name, objs))
	}
	info.SuggestedKey = suggestKey(info.Columns, objs)
	for _, c := range info.Columns {
		if cursorName.MatchString(c.Name) && (strings.HasPrefix(c.Type, "string (date") || c.Type == "integer") {
			info.SuggestedCursor = c.Name
			break
		}
	}
	return info, nil
}

func describeField(name string, objs []map[string]any) connectors.Column {
	col := connectors.Column{Name: name}
	types := map[string]bool{}
	strs, stamps, dates := 0, 0, 0
	var texts []string
	for _, o := range objs {
		v, ok := o[name]
		if !ok || v == nil {
			col.Nullable = true
			continue
		}
		t := strings.TrimPrefix(strings.TrimPrefix(jsonType(v), "an "), "a ")
		types[t] = true
		if str, ok := v.(string); ok {
			strs++
			if str != "" {
				texts = append(texts, str)
			}
			if layout, ok := cursortext.TimeLayout(str); ok {
				if len(layout) > len("2006-01-02") {
					stamps++
				} else {
					dates++
				}
			}
		}
	}
	if types["integer"] && types["number"] {
		delete(types, "integer")
	}
	if types["string"] && strs > 0 {
		switch {
		case stamps == strs:
			delete(types, "string")
			types["string (date-time)"] = true
		case dates == strs:
			delete(types, "string")
			types["string (date)"] = true
		}
	}
	col.Type = strings.Join(slices.Sorted(maps.Keys(types)), "|")
	if col.Type == "" {
		col.Type = "null"
	}
	if len(texts) > 0 {
		// JSON text is Unicode, but an API in front of a legacy database
		// serves its TCVN3 or VNI bytes misread as Windows-1252.
		enc, conf := vn.DetectText(texts)
		col.Encoding, col.EncodingConfidence = string(enc), conf
	}
	return col
}

// keyRanks orders the names a primary key usually has.
var keyRanks = []*regexp.Regexp{
	regexp.MustCompile(`(?i)^id$`),
	regexp.MustCompile(`(?i)(^uuid$|^guid$|_id$|[a-z]Id$|^id_)`),
	regexp.MustCompile(`(?i)^(ma|so)_`),
}

// suggestKey picks the best-named field that every record has, as a
// string or an integer, with a different value on each record of the page.
func suggestKey(cols []connectors.Column, objs []map[string]any) []string {
	for _, rank := range keyRanks {
	next:
		for _, c := range cols {
			if c.Nullable || (c.Type != "string" && c.Type != "integer") || !rank.MatchString(c.Name) {
				continue
			}
			seen := make(map[string]bool, len(objs))
			for _, o := range objs {
				t, err := keyText(o[c.Name])
				if err != nil || seen[t] {
					continue next
				}
				seen[t] = true
			}
			return []string{c.Name}
		}
	}
	return nil
}

// total finds a record count the API may report beside the page.
func total(body any) int64 {
	for _, path := range []string{"total", "total_count", "totalCount", "count", "meta.total", "meta.total_count",
		"meta.totalCount", "pagination.total", "page.totalElements", "totalElements"} {
		v, _ := newFieldPath(path).getPath(body)
		if n, ok := v.(json.Number); ok {
			if i, err := n.Int64(); err == nil && i >= 0 {
				return i
			}
		}
	}
	return 0
}
