package httpjson

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/lienthong/lienthong/connectors"
	"github.com/lienthong/lienthong/internal/cursortext"
)

// plan is how one stream is read: its URL, its settings and its fields.
type plan struct {
	name     string
	url      *url.URL
	set      settings
	size     int
	keys     []fieldPath
	cursor   *fieldPath
	lookBack string
}

// newPlan checks a stream against this connector and the source's options.
// pageSize is the stream's page_size, used when pagination.size is unset.
func (s *Source) newPlan(st connectors.Stream, pageSize int) (*plan, error) {
	switch {
	case st.Query != "":
		return nil, fmt.Errorf("%w: httpjson streams have no query; set table to the API path, e.g. table: ho-tich/khai-sinh", ErrInvalidStream)
	case st.Table == "":
		return nil, fmt.Errorf("%w: set table to the API path of the stream, relative to base_url", ErrInvalidStream)
	case len(st.PrimaryKey) == 0:
		return nil, fmt.Errorf("%w: list the primary key field(s), e.g. primary_key: [id]", ErrInvalidStream)
	}
	if err := checkRelPath(st.Table); err != nil {
		return nil, fmt.Errorf("%w: table: %v", ErrInvalidStream, err)
	}
	p := &plan{name: st.Name, url: joinPath(s.opts.baseURL, st.Table), set: s.opts.settingsFor(st.Name), lookBack: st.LookBack}
	if p.set.pag.typ == "" {
		return nil, fmt.Errorf("%w: options.pagination is not set for this stream: set it in options or in options.streams.%s",
			ErrInvalidStream, st.Name)
	}
	for _, k := range st.PrimaryKey {
		if k == "" {
			return nil, fmt.Errorf("%w: a primary key field name is empty", ErrInvalidStream)
		}
		p.keys = append(p.keys, newFieldPath(k))
	}
	if st.Cursor != "" {
		c := newFieldPath(st.Cursor)
		p.cursor = &c
	}
	if st.LookBack != "" {
		if st.Cursor == "" {
			return nil, fmt.Errorf("%w: look_back needs a cursor", ErrInvalidStream)
		}
		if err := cursortext.CheckLookBack(st.LookBack); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrInvalidStream, err)
		}
	}
	p.size = p.set.pag.size
	if p.size == 0 {
		p.size = pageSize
	}
	if p.size <= 0 {
		p.size = defaultPageSize
	}
	return p, nil
}

// pageState says which page to request.
type pageState struct {
	page   int64
	offset int64
	// token is the cursor pagination's token; "" asks for the first page.
	token string
	// link is the next link to follow; "" asks for the first page.
	link string
}

func (p *plan) first() pageState {
	return pageState{page: p.set.pag.start}
}

// requestURL is the URL of one page. since, when set, goes in
// cursor_param; the credentials are added when the request is sent.
func (p *plan) requestURL(ps pageState, since *string) (*url.URL, error) {
	pg := p.set.pag
	if pg.typ == pageLink && ps.link != "" {
		u, err := url.Parse(ps.link)
		if err != nil {
			return nil, fmt.Errorf("%w: next link does not parse: %v", ErrCheckpoint, err)
		}
		return u, nil
	}
	q := url.Values{}
	for k, vs := range p.set.query {
		q[k] = append([]string(nil), vs...)
	}
	if since != nil && p.set.cursorParam != "" {
		q.Set(p.set.cursorParam, *since)
	}
	size := strconv.Itoa(p.size)
	switch pg.typ {
	case pageNumber:
		q.Set(pg.pageParam, strconv.FormatInt(ps.page, 10))
	case pageOffset:
		q.Set(pg.offsetParam, strconv.FormatInt(ps.offset, 10))
		q.Set(pg.limitParam, size)
	case pageCursor:
		if ps.token != "" {
			q.Set(pg.tokenParam, ps.token)
		}
	}
	if pg.sizeParam != "" {
		q.Set(pg.sizeParam, size)
	}
	u := *p.url
	u.RawQuery = q.Encode()
	return &u, nil
}

// records finds the page's records at records_path. A null there is an
// empty page: APIs written in Go marshal an empty list as null.
func (p *plan) records(s *Source, r *response) ([]any, error) {
	v := r.body
	for i, part := range p.set.recordsPath {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, s.fail(r, "records_path %q: %q is %s, not an object", strings.Join(p.set.recordsPath, "."),
				strings.Join(p.set.recordsPath[:i], "."), jsonType(v))
		}
		if v, ok = m[part]; !ok {
			return nil, s.fail(r, "records_path %q: the body has no field %q there", strings.Join(p.set.recordsPath, "."),
				strings.Join(p.set.recordsPath[:i+1], "."))
		}
	}
	switch x := v.(type) {
	case []any:
		return x, nil
	case nil:
		return nil, nil
	}
	where := "the body"
	if len(p.set.recordsPath) > 0 {
		where = fmt.Sprintf("records_path %q", strings.Join(p.set.recordsPath, "."))
	}
	return nil, s.fail(r, "%s is %s, not an array of records", where, jsonType(v))
}

// next works out the page after ps from its response, which held n
// records. done means there is none.
func (p *plan) next(s *Source, r *response, ps pageState, n int) (next pageState, done bool, err error) {
	pg := p.set.pag
	switch pg.typ {
	case pageNone:
		return ps, true, nil
	case pageNumber:
		if n == 0 || pg.shortPageEnds && n < p.size {
			return ps, true, nil
		}
		ps.page++
		return ps, false, nil
	case pageOffset:
		if n == 0 || pg.shortPageEnds && n < p.size {
			return ps, true, nil
		}
		// By what came, not by the limit asked for: an API that caps the
		// limit silently must not make the read skip records.
		ps.offset += int64(n)
		return ps, false, nil
	case pageCursor:
		v, _ := newFieldPath(pg.tokenPath).getPath(r.body)
		var tok string
		switch x := v.(type) {
		case nil:
		case string:
			tok = x
		case json.Number:
			tok = string(x)
		default:
			return ps, false, s.fail(r, "token_path %q is %s, not a string", pg.tokenPath, jsonType(v))
		}
		if tok == "" {
			return ps, true, nil
		}
		if tok == ps.token {
			return ps, false, s.fail(r, "the API sent back the token it was given (%q) as the next one; the read would never end", tok)
		}
		ps.token = tok
		return ps, false, nil
	case pageLink:
		var link string
		if pg.nextPath != "" {
			v, _ := newFieldPath(pg.nextPath).getPath(r.body)
			switch x := v.(type) {
			case nil:
			case string:
				link = x
			default:
				return ps, false, s.fail(r, "next_path %q is %s, not a string", pg.nextPath, jsonType(v))
			}
		} else {
			link = nextLink(r.header.Values("Link"))
		}
		if link == "" {
			return ps, true, nil
		}
		u, err := r.url.Parse(link)
		if err != nil {
			return ps, false, s.fail(r, "next link %q does not parse: %v", link, err)
		}
		if u.Scheme != p.url.Scheme || u.Host != p.url.Host {
			return ps, false, s.fail(r, "the next link goes to %s://%s, not to base_url's %s://%s; the credentials are not sent elsewhere",
				u.Scheme, u.Host, p.url.Scheme, p.url.Host)
		}
		u.Fragment, u.RawFragment = "", ""
		// A checkpoint stores the link: the API key goes back on when the
		// request is sent, not into the state store.
		if prm := s.opts.auth.param; prm != "" && s.opts.auth.typ == authAPIKey {
			q := u.Query()
			if q.Has(prm) {
				q.Del(prm)
				u.RawQuery = q.Encode()
			}
		}
		if u.String() == s.stripKey(r.url) {
			return ps, false, s.fail(r, "the next link is the page just read; the read would never end")
		}
		ps.link = u.String()
		return ps, false, nil
	}
	return ps, true, nil
}

// stripKey prints a URL without the API key parameter.
func (s *Source) stripKey(u *url.URL) string {
	prm := s.opts.auth.param
	if prm == "" || s.opts.auth.typ != authAPIKey {
		return u.String()
	}
	c := *u
	q := c.Query()
	q.Del(prm)
	c.RawQuery = q.Encode()
	return c.String()
}

// getPath follows a dotted path from any decoded JSON value.
func (f fieldPath) getPath(v any) (any, bool) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, false
	}
	return f.get(m)
}

// nextLink finds the target of rel="next" in Link header values (RFC 8288):
// `<https://api/x?page=2>; rel="next", <...>; rel="prev"`.
func nextLink(values []string) string {
	for _, v := range values {
		for v != "" {
			v = strings.TrimLeft(v, " \t,")
			if !strings.HasPrefix(v, "<") {
				break
			}
			end := strings.IndexByte(v, '>')
			if end < 0 {
				break
			}
			target := v[1:end]
			v = v[end+1:]
			// The parameters run to a comma outside quotes.
			var params string
			inQuote := false
			i := 0
			for ; i < len(v); i++ {
				if v[i] == '"' {
					inQuote = !inQuote
				}
				if v[i] == ',' && !inQuote {
					break
				}
			}
			params, v = v[:i], v[i:]
			for _, prm := range strings.Split(params, ";") {
				name, val, ok := strings.Cut(strings.TrimSpace(prm), "=")
				if !ok || !strings.EqualFold(strings.TrimSpace(name), "rel") {
					continue
				}
				for _, rel := range strings.Fields(strings.Trim(strings.TrimSpace(val), `"`)) {
					if strings.EqualFold(rel, "next") {
						return target
					}
				}
			}
		}
	}
	return ""
}
