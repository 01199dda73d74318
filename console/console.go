// Package console is the web console of the ICT department and the
// departments: server-rendered pages (html/template, an embedded style
// sheet, no script) in Vietnamese, with English a click away, where an
// officer logs in with a token and sees their sources' health and
// freshness, registers a source, uploads, tests and activates mapping
// versions, triggers and cancels runs, and reads, exports and retries
// rejects.
//
// Every page calls internal/ops with the logged-in Caller; the console
// decodes forms, translates ops's errors into pages and messages, and holds
// no rule of its own: who may see or do what is ops's to decide, so the
// API and the console cannot disagree.
//
// The session is the token itself, in a cookie the page's scripts cannot
// read (HttpOnly, SameSite=Strict, Path=/console, Secure over TLS); every
// request authenticates it again, so an expired or revoked token ends the
// session at once. Every form that changes something carries a CSRF token
// derived from the session. The package must not render or log a secret:
// the token, a source's connection secret. The one exception is a token
// the administrator has just issued, shown once on the answer to the form
// that issued it (never cached, never logged), as the API shows it.
package console

import (
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"

	"github.com/lienthong/lienthong/clients"
	"github.com/lienthong/lienthong/internal/ops"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Prefix is the path the console is served under; the handler New returns
// expects the whole path (the server mounts it at Prefix without
// stripping it).
const Prefix = "/console"

// Options are the console's dependencies.
type Options struct {
	// Ops does everything the pages ask for.
	Ops *ops.Service
	// Clients authenticates department tokens at login and on every
	// request.
	Clients *clients.Store
	// AdminTokenHash is the SHA-256 of the administrator's token; nil
	// when no administrator token is configured (then only departments
	// log in).
	AdminTokenHash *[32]byte
	// Log receives failures the pages cannot explain (a store down); it
	// never receives a token or a secret.
	Log *slog.Logger
}

// console serves the pages.
type console struct {
	Options
	pages map[string]*template.Template
	mux   *http.ServeMux
}

// New returns the console's handler.
func New(o Options) http.Handler {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	c := &console{Options: o, pages: parsePages()}
	c.routes()
	return headers(c.mux)
}

// routes lists every page of the console. Pages of a department carry its
// name in the path, so the administrator walks any department's pages and
// a department's token meets ops's ErrNotFound on another's.
func (c *console) routes() {
	mux := http.NewServeMux()
	static, _ := fs.Sub(staticFS, "static")
	mux.Handle("GET /console/static/", http.StripPrefix("/console/static/", http.FileServerFS(static)))
	mux.HandleFunc("GET /console/{$}", c.home)
	mux.HandleFunc("GET /console", c.home)
	mux.HandleFunc("GET /console/login", c.loginPage)
	mux.HandleFunc("POST /console/login", c.login)
	mux.Handle("POST /console/logout", c.session(c.logout))

	mux.Handle("GET /console/sources", c.session(c.sources))
	mux.Handle("GET /console/sources/new", c.session(c.newSource))
	mux.Handle("POST /console/sources", c.session(c.createSource))

	mux.Handle("GET /console/d/{dept}/sources/{source}/discover", c.session(c.discover))

	const stream = "/console/d/{dept}/sources/{source}/streams/{stream}"
	mux.Handle("GET "+stream, c.session(c.streamPage))
	mux.Handle("POST "+stream+"/mappings", c.session(c.uploadMapping))
	mux.Handle("GET "+stream+"/mappings/{version}", c.session(c.mappingPage))
	mux.Handle("POST "+stream+"/mappings/{version}/test", c.session(c.testMapping))
	mux.Handle("POST "+stream+"/mappings/{version}/activate", c.session(c.activateMapping))
	mux.Handle("POST "+stream+"/runs", c.session(c.trigger))

	mux.Handle("GET /console/d/{dept}/runs", c.session(c.runs))
	mux.Handle("GET /console/d/{dept}/runs/{id}", c.session(c.runPage))
	mux.Handle("POST /console/d/{dept}/runs/{id}/cancel", c.session(c.cancel))

	mux.Handle("GET /console/d/{dept}/rejects", c.session(c.rejects))
	mux.Handle("GET /console/d/{dept}/rejects.csv", c.session(c.rejectsCSV))
	mux.Handle("POST /console/d/{dept}/rejects/retry", c.session(c.retry))

	mux.Handle("GET /console/changes", c.session(c.changes))
	mux.Handle("GET /console/departments", c.session(c.departments))
	mux.Handle("POST /console/departments", c.session(c.createDepartment))
	mux.Handle("POST /console/departments/{dept}/tokens", c.session(c.issueToken))
	mux.Handle("POST /console/departments/{dept}/tokens/{name}/revoke", c.session(c.revokeToken))

	mux.Handle("/console/", c.session(func(w http.ResponseWriter, r *http.Request, s *sess) {
		c.fail(w, r, s, ops.ErrNotFound)
	}))
	c.mux = mux
}

// headers sets what every answer of the console needs: no script at all,
// no framing, no caching of pages that show a department's data.
func headers(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cache-Control", "no-store")
		// Forms are small; a mapping file is the largest thing posted.
		r.Body = http.MaxBytesReader(w, r.Body, maxForm)
		next.ServeHTTP(w, r)
	})
}

// maxForm bounds a posted form.
const maxForm = 1 << 20

// home sends a logged-in officer to the sources, anyone else to the login.
func (c *console) home(w http.ResponseWriter, r *http.Request) {
	if _, err := c.authenticate(r); err != nil {
		http.Redirect(w, r, Prefix+"/login", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, Prefix+"/sources", http.StatusSeeOther)
}

// errNoDepartment: a department token whose client has no department (a
// portal client's token) has no console.
var errNoDepartment = errors.New("console: the token belongs to no department")
