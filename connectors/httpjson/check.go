package httpjson

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/lienthong/lienthong/connectors"
)

// Check requests the stream's first page and verifies what a read relies
// on: the response is JSON with an array at records_path, its records are
// objects with every primary key field, the next-page token or link has
// the right type, the cursor field appears on the page, and look_back fits
// the cursor's kind. An empty first page verifies only the response.
func (s *Source) Check(ctx context.Context, st connectors.Stream) error {
	if err := s.check(ctx, st); err != nil {
		return fmt.Errorf("check stream %q: %w", st.Name, s.secrets.scrubErr(err))
	}
	return nil
}

func (s *Source) check(ctx context.Context, st connectors.Stream) error {
	p, err := s.newPlan(st, 0)
	if err != nil {
		return err
	}
	u, err := p.requestURL(p.first(), nil)
	if err != nil {
		return err
	}
	resp, err := s.getJSON(ctx, u)
	if err != nil {
		return err
	}
	recs, err := p.records(s, resp)
	if err != nil {
		return err
	}
	if _, _, err := p.next(s, resp, p.first(), len(recs)); err != nil {
		return err
	}
	cursorSeen := false
	for i, v := range recs {
		obj, ok := v.(map[string]any)
		if !ok {
			return s.fail(resp, "record %d of the page is %s, not an object", i, jsonType(v))
		}
		if _, err := p.keyOf(obj); err != nil {
			return s.fail(resp, "record %d: %v; fix primary_key (the record's fields are %s)", i, err, fieldList(obj))
		}
		if p.cursor == nil {
			continue
		}
		cv, ok := p.cursor.get(obj)
		if !ok {
			continue
		}
		cursorSeen = true
		text, null, err := cursorText(cv)
		if err != nil {
			return s.fail(resp, "record %d: cursor field %q %v", i, p.cursor.name, err)
		}
		if !null && p.lookBack != "" {
			if _, err := lowerCursor(parseCursor(text), p.lookBack); err != nil {
				return fmt.Errorf("%w: %v", ErrInvalidStream, err)
			}
		}
	}
	if p.cursor != nil && len(recs) > 0 && !cursorSeen {
		obj, _ := recs[0].(map[string]any)
		return fmt.Errorf("%w: cursor field %q is in none of the %d records of the first page; fix cursor (the first record's fields are %s)",
			ErrInvalidStream, p.cursor.name, len(recs), fieldList(obj))
	}
	return nil
}

func fieldList(obj map[string]any) string {
	return strings.Join(slices.Sorted(maps.Keys(obj)), ", ")
}
