package httpjson

import (
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/lienthong/lienthong/internal/netguard"
)

// DefaultTimeout bounds one attempt of one request, body included, when
// the source's configuration sets no timeout.
const DefaultTimeout = 30 * time.Second

// DefaultMaxResponseBytes caps a response when max_response_bytes is unset.
const DefaultMaxResponseBytes = 32 << 20

// Defaults of the other options a source may leave out.
const (
	defaultRetryMax      = 5
	defaultRetryWaitMin  = time.Second
	defaultRetryWaitMax  = 30 * time.Second
	defaultMaxRetryAfter = 2 * time.Minute
	defaultPageSize      = 100
)

// Authentication types.
const (
	authNone   = "none"
	authBearer = "bearer"
	authBasic  = "basic"
	authAPIKey = "api_key"
	authOAuth2 = "oauth2"
)

// Pagination types.
const (
	pageNone   = "none"
	pageNumber = "page"
	pageOffset = "offset"
	pageCursor = "cursor"
	pageLink   = "link"
)

// Redirect policies: which redirects a request follows.
const (
	redirectNone       = "none"
	redirectSameOrigin = "same_origin"
	redirectSameHost   = "same_host"
	redirectAny        = "any"
)

// allowNetworksOption names the option in the network guard's errors.
const allowNetworksOption = "options.allow_networks"

// options is a source's decoded and validated options.
type options struct {
	baseURL   *url.URL
	headers   http.Header
	auth      authOptions
	allowHTTP bool
	// allowNetworks are the loopback and private networks the source may
	// connect to (internal/netguard); redirects is a redirect policy.
	allowNetworks []netip.Prefix
	redirects     string
	rateLimit     float64
	maxBytes      int64
	retry         retryOptions
	discover      []string
	// defaults apply to every stream; streams override them by stream name.
	defaults streamOptions
	streams  map[string]streamOptions
}

type authOptions struct {
	typ        string
	username   string
	header     string
	param      string
	tokenURL   *url.URL
	clientID   string
	scopes     []string
	clientAuth string
}

type retryOptions struct {
	max           int
	waitMin       time.Duration
	waitMax       time.Duration
	maxRetryAfter time.Duration
}

// streamOptions are the settings a stream may override; nil means "not
// set here".
type streamOptions struct {
	query       map[string]string
	recordsPath *string
	cursorParam *string
	flatten     *bool
	pagination  *pagination
}

type pagination struct {
	typ           string
	pageParam     string
	start         int64
	sizeParam     string
	size          int
	offsetParam   string
	limitParam    string
	tokenPath     string
	tokenParam    string
	nextPath      string
	shortPageEnds bool
}

// settings are one stream's effective options.
type settings struct {
	query       url.Values
	recordsPath []string
	cursorParam string
	flatten     bool
	pag         pagination
}

// settingsFor merges a stream's options over the source's: query
// parameters key by key, every other setting as a whole.
func (o *options) settingsFor(stream string) settings {
	so, ok := o.streams[stream]
	if !ok {
		so = streamOptions{}
	}
	s := settings{query: url.Values{}}
	for _, q := range []map[string]string{o.defaults.query, so.query} {
		for k, v := range q {
			s.query.Set(k, v)
		}
	}
	pick := func(a, b *string) string {
		if b != nil {
			return *b
		}
		if a != nil {
			return *a
		}
		return ""
	}
	s.recordsPath = splitPath(pick(o.defaults.recordsPath, so.recordsPath))
	s.cursorParam = pick(o.defaults.cursorParam, so.cursorParam)
	for _, f := range []*bool{o.defaults.flatten, so.flatten} {
		if f != nil {
			s.flatten = *f
		}
	}
	for _, p := range []*pagination{o.defaults.pagination, so.pagination} {
		if p != nil {
			s.pag = *p
		}
	}
	return s
}

// splitPath splits a dotted path; "" is the document itself.
func splitPath(p string) []string {
	if p == "" {
		return nil
	}
	return strings.Split(p, ".")
}

// decodeOptions reads a source's options strictly and validates them. It is
// pure: it opens nothing and reads no secret.
func decodeOptions(raw map[string]any, guard *netguard.Guard) (*options, error) {
	var errs []error
	n := newNode("", raw, &errs)
	o := &options{headers: http.Header{}, maxBytes: DefaultMaxResponseBytes, streams: map[string]streamOptions{},
		retry: retryOptions{max: defaultRetryMax, waitMin: defaultRetryWaitMin, waitMax: defaultRetryWaitMax,
			maxRetryAfter: defaultMaxRetryAfter}}

	if s, ok := n.str("base_url"); ok {
		o.baseURL = checkURL(n, "base_url", s)
	} else if !n.has("base_url") {
		n.fail("base_url", "missing: set it to the API's root, e.g. https://api.sotuphap.example.gov.vn/v1")
	}
	o.allowHTTP, _ = n.boolean("allow_http")
	if list, ok := n.strList("allow_networks"); ok {
		nets, err := netguard.ParseNetworks(list)
		if err != nil {
			n.fail("allow_networks", "%v", err)
		}
		o.allowNetworks = nets
	}
	o.redirects = redirectSameOrigin
	if r, ok := n.str("redirects"); ok {
		switch r {
		case redirectNone, redirectSameOrigin, redirectSameHost, redirectAny:
			o.redirects = r
		default:
			n.fail("redirects", "unknown value %q: use same_origin (the default), same_host, none or any", r)
		}
	}
	if hs, ok := n.scalarMap("headers"); ok {
		for k, v := range hs {
			if credentialHeader.MatchString(k) {
				n.fail("headers."+k, "looks like a credential, and secrets must not be written in the options: set auth and put the secret in dsn_env or dsn_file")
				continue
			}
			o.headers.Set(k, v)
		}
	}
	if a, ok := n.child("auth"); ok {
		o.auth = decodeAuth(a)
	} else {
		o.auth.typ = authNone
	}
	if r, ok := n.number("rate_limit"); ok {
		if r < 0 {
			n.fail("rate_limit", "must not be negative (0 means no limit)")
		}
		o.rateLimit = r
	}
	if b, ok := n.byteSize("max_response_bytes"); ok {
		if b <= 0 {
			n.fail("max_response_bytes", "must be greater than 0")
		}
		o.maxBytes = b
	}
	if r, ok := n.child("retry"); ok {
		o.retry = decodeRetry(r, o.retry)
	}
	if d, ok := n.strList("discover"); ok {
		for i, p := range d {
			if err := checkRelPath(p); err != nil {
				n.fail(fmt.Sprintf("discover[%d]", i), "%v", err)
			}
		}
		o.discover = d
	}
	o.defaults = decodeStreamOptions(n)
	if ss, ok := n.child("streams"); ok {
		names := slices.Sorted(maps.Keys(ss.m))
		for _, name := range names {
			if sn, ok := ss.child(name); ok {
				so := decodeStreamOptions(sn)
				sn.done()
				o.streams[name] = so
			}
		}
	}
	n.done()

	if o.auth.typ != authNone && o.auth.typ != "" && !o.allowHTTP {
		if o.baseURL != nil && !secureURL(o.baseURL) {
			n.fail("base_url", "sends the secret over plain http: use https, or set allow_http: true for an API inside the department's network")
		}
		if o.auth.tokenURL != nil && !secureURL(o.auth.tokenURL) {
			n.fail("auth.token_url", "sends the client secret over plain http: use https, or set allow_http: true")
		}
	}
	// An address written in a URL is judged now, not at the first read.
	if guard == nil {
		guard = netguard.New(o.allowNetworks, allowNetworksOption)
	}
	for _, u := range []struct {
		key string
		u   *url.URL
	}{{"base_url", o.baseURL}, {"auth.token_url", o.auth.tokenURL}} {
		if u.u == nil {
			continue
		}
		if a, err := netip.ParseAddr(strings.Trim(u.u.Hostname(), "[]")); err == nil {
			if err := guard.Check(u.u.Hostname(), a); err != nil {
				n.fail(u.key, "%v", err)
			}
		}
	}
	checkPagination := func(path string, so streamOptions, needed bool) {
		if so.pagination == nil {
			if needed {
				n.fail(path+"pagination", `missing: set pagination.type (none, page, offset, cursor or link); "none" reads one response`)
			}
			return
		}
		p := so.pagination
		rp := so.recordsPath
		if rp == nil {
			rp = o.defaults.recordsPath
		}
		if (p.typ == pageCursor || (p.typ == pageLink && p.nextPath != "")) && (rp == nil || *rp == "") {
			n.fail(path+"records_path", "pagination type %s reads the next page from the body, so the records must be a field of it: set records_path", p.typ)
		}
	}
	checkPagination("", o.defaults, false)
	for _, name := range slices.Sorted(maps.Keys(o.streams)) {
		so := o.streams[name]
		if so.pagination == nil {
			so.pagination = o.defaults.pagination
		}
		checkPagination("streams."+name+".", so, o.defaults.pagination == nil)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return o, nil
}

// checkURL parses an absolute http(s) URL that must not carry credentials,
// a query or a fragment: those belong elsewhere.
func checkURL(n *node, key, s string) *url.URL {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		n.fail(key, "not a URL: %v", err)
		return nil
	case u.Scheme != "http" && u.Scheme != "https" || u.Host == "":
		n.fail(key, "want an absolute http or https URL, got %q", s)
		return nil
	case u.User != nil:
		n.fail(key, "must not hold a user or password: set auth and put the secret in dsn_env or dsn_file")
		return nil
	case u.RawQuery != "" || u.ForceQuery:
		n.fail(key, "must not hold a query string: set query parameters in the query option")
		return nil
	case u.Fragment != "":
		n.fail(key, "must not hold a fragment (#...)")
		return nil
	}
	return u
}

// secureURL is https, or http to this machine, where nothing crosses a
// network.
func secureURL(u *url.URL) bool {
	if u.Scheme == "https" {
		return true
	}
	host := u.Hostname()
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func decodeAuth(n *node) authOptions {
	a := authOptions{typ: authNone}
	if t, ok := n.str("type"); ok {
		a.typ = t
	}
	set := map[string]bool{}
	for _, k := range []string{"username", "header", "param", "token_url", "client_id", "scopes", "client_auth"} {
		set[k] = n.has(k)
	}
	a.username, _ = n.str("username")
	a.header, _ = n.str("header")
	a.param, _ = n.str("param")
	if s, ok := n.str("token_url"); ok {
		a.tokenURL = checkURL(n, "token_url", s)
	}
	a.clientID, _ = n.str("client_id")
	a.scopes, _ = n.strList("scopes")
	a.clientAuth, _ = n.str("client_auth")
	n.done()

	applies := map[string][]string{
		authNone:   nil,
		authBearer: nil,
		authBasic:  {"username"},
		authAPIKey: {"header", "param"},
		authOAuth2: {"token_url", "client_id", "scopes", "client_auth"},
	}
	allowed, known := applies[a.typ]
	if !known {
		n.fail("type", "unknown auth type %q: use none, bearer, basic, api_key or oauth2", a.typ)
		return a
	}
	for _, k := range slices.Sorted(maps.Keys(set)) {
		if set[k] && !slices.Contains(allowed, k) {
			n.fail(k, "does not apply to auth type %q", a.typ)
		}
	}
	switch a.typ {
	case authBasic:
		if a.username == "" {
			n.fail("username", "missing: basic authentication needs the user name here and the password in the source's secret")
		}
	case authAPIKey:
		switch {
		case a.header != "" && a.param != "":
			n.fail("param", "set only one of header and param")
		case a.header == "" && a.param == "":
			a.header = "X-API-Key"
		}
		if h := http.CanonicalHeaderKey(a.header); h == "Cookie" || h == "Host" {
			n.fail("header", "%q cannot carry an API key", a.header)
		}
	case authOAuth2:
		if a.tokenURL == nil && !n.has("token_url") {
			n.fail("token_url", "missing: the OAuth2 token endpoint, e.g. https://sso.example.gov.vn/oauth2/token")
		}
		if a.clientID == "" {
			n.fail("client_id", "missing: the OAuth2 client id (the client secret goes in the source's secret)")
		}
		switch a.clientAuth {
		case "":
			a.clientAuth = "basic"
		case "basic", "body":
		default:
			n.fail("client_auth", "unknown value %q: use basic (the secret in an Authorization header) or body (in the form)", a.clientAuth)
		}
	}
	return a
}

func decodeRetry(n *node, r retryOptions) retryOptions {
	if m, ok := n.integer("max"); ok {
		if m < 0 || m > 100 {
			n.fail("max", "want 0 to 100 retries, got %d", m)
		}
		r.max = int(m)
	}
	for _, d := range []struct {
		key string
		dst *time.Duration
	}{{"wait_min", &r.waitMin}, {"wait_max", &r.waitMax}, {"max_retry_after", &r.maxRetryAfter}} {
		if v, ok := n.duration(d.key); ok {
			if v < 0 {
				n.fail(d.key, "must not be negative")
			}
			*d.dst = v
		}
	}
	if r.waitMax < r.waitMin {
		n.fail("wait_max", "is less than wait_min (%s < %s)", r.waitMax, r.waitMin)
	}
	n.done()
	return r
}

// credentialHeader and credentialParam match header and query parameter
// names that carry credentials, which belong in the source's secret, not
// in the configuration file. Query names are matched whole: "district_code"
// is an ordinary parameter.
var (
	credentialHeader = regexp.MustCompile(`(?i)(authorization|cookie|token|key|secret|passw|credential|session)`)
	credentialParam  = regexp.MustCompile(`(?i)^(access_?token|token|api_?key|key|secret|client_secret|password|passwd|pwd|sig|signature)$`)
)

// decodeStreamOptions reads the keys a stream may set, from a stream's
// mapping or from the top level, where they are every stream's defaults.
func decodeStreamOptions(n *node) streamOptions {
	var so streamOptions
	so.query, _ = n.scalarMap("query")
	for k := range so.query {
		if credentialParam.MatchString(k) {
			n.fail("query."+k, "looks like a credential, and secrets must not be written in the options: "+
				"use auth type api_key with param: %s and put the key in dsn_env or dsn_file", k)
		}
	}
	if s, ok := n.str("records_path"); ok {
		if err := checkDotted(s); err != nil {
			n.fail("records_path", "%v", err)
		}
		so.recordsPath = &s
	}
	if s, ok := n.str("cursor_param"); ok {
		if s == "" {
			n.fail("cursor_param", "must not be empty; leave it out to filter by the cursor in lienthong instead")
		}
		so.cursorParam = &s
	}
	if b, ok := n.boolean("flatten"); ok {
		so.flatten = &b
	}
	if p, ok := n.child("pagination"); ok {
		so.pagination = decodePagination(p)
	}
	return so
}

func decodePagination(n *node) *pagination {
	p := &pagination{start: 1}
	typ, ok := n.str("type")
	if !ok && !n.has("type") {
		n.fail("type", "missing: use none, page, offset, cursor or link")
	}
	p.typ = typ
	keys := []string{"page_param", "start", "size_param", "size", "offset_param", "limit_param",
		"token_path", "token_param", "next_path", "short_page_ends"}
	set := map[string]bool{}
	for _, k := range keys {
		set[k] = n.has(k)
	}
	p.pageParam, _ = n.str("page_param")
	if v, ok := n.integer("start"); ok {
		p.start = v
	}
	p.sizeParam, _ = n.str("size_param")
	if v, ok := n.integer("size"); ok {
		if v <= 0 || v > 1_000_000 {
			n.fail("size", "want 1 to 1000000 records, got %d", v)
		}
		p.size = int(v)
	}
	p.offsetParam, _ = n.str("offset_param")
	p.limitParam, _ = n.str("limit_param")
	p.tokenPath, _ = n.str("token_path")
	p.tokenParam, _ = n.str("token_param")
	p.nextPath, _ = n.str("next_path")
	p.shortPageEnds, _ = n.boolean("short_page_ends")
	n.done()

	applies := map[string][]string{
		pageNone:   nil,
		pageNumber: {"page_param", "start", "size_param", "size", "short_page_ends"},
		pageOffset: {"offset_param", "limit_param", "size", "short_page_ends"},
		pageCursor: {"token_path", "token_param", "size_param", "size"},
		pageLink:   {"next_path", "size_param", "size"},
	}
	allowed, known := applies[p.typ]
	if !known {
		if ok {
			n.fail("type", "unknown pagination type %q: use none, page, offset, cursor or link", p.typ)
		}
		return p
	}
	for _, k := range keys {
		if set[k] && !slices.Contains(allowed, k) {
			n.fail(k, "does not apply to pagination type %q", p.typ)
		}
	}
	switch p.typ {
	case pageNumber:
		if p.pageParam == "" {
			p.pageParam = "page"
		}
		if p.start < 0 {
			n.fail("start", "must not be negative")
		}
		if p.shortPageEnds && (p.sizeParam == "" || p.size == 0) {
			n.fail("short_page_ends", "needs size_param and size: only a page shorter than a size the API was asked for ends the read")
		}
	case pageOffset:
		if p.offsetParam == "" {
			p.offsetParam = "offset"
		}
		if p.limitParam == "" {
			p.limitParam = "limit"
		}
		if p.shortPageEnds && p.size == 0 {
			n.fail("short_page_ends", "needs size: a page shorter than the API's real limit would end the read early")
		}
	case pageCursor:
		if p.tokenPath == "" {
			n.fail("token_path", "missing: the dotted path of the next-page token in the body, e.g. meta.next_cursor")
		} else if err := checkDotted(p.tokenPath); err != nil {
			n.fail("token_path", "%v", err)
		}
		if p.tokenParam == "" {
			n.fail("token_param", "missing: the query parameter that sends the token back, e.g. cursor")
		}
	case pageLink:
		if p.nextPath != "" {
			if err := checkDotted(p.nextPath); err != nil {
				n.fail("next_path", "%v", err)
			}
		}
	}
	return p
}

func checkDotted(p string) error {
	if p == "" {
		return nil
	}
	for _, part := range strings.Split(p, ".") {
		if part == "" {
			return fmt.Errorf("path %q has an empty part", p)
		}
	}
	return nil
}

// checkRelPath accepts an API path relative to base_url: no scheme, host,
// query, fragment or "..".
func checkRelPath(p string) error {
	u, err := url.Parse(p)
	switch {
	case p == "":
		return errors.New("the path is empty")
	case err != nil:
		return fmt.Errorf("path %q: %v", p, err)
	case u.Scheme != "" || u.Host != "" || strings.HasPrefix(p, "//"):
		return fmt.Errorf("path %q must be relative to base_url, not a URL of its own", p)
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.ContainsAny(p, "?#"):
		return fmt.Errorf("path %q must not hold a query or fragment: set query parameters in the stream's query option", p)
	case slices.Contains(strings.Split(u.Path, "/"), ".."):
		return fmt.Errorf("path %q must not hold \"..\"", p)
	}
	return nil
}

// joinPath appends a stream's path to the base URL: "births" under
// "https://h/api/v1" is "https://h/api/v1/births".
func joinPath(base *url.URL, p string) *url.URL {
	rel, _ := url.Parse(p)
	u := *base
	u.RawPath = ""
	u.Path = strings.TrimSuffix(base.Path, "/") + "/" + strings.TrimPrefix(rel.Path, "/")
	return &u
}
