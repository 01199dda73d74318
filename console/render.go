package console

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"strings"
	"time"

	"github.com/lienthong/lienthong/internal/ops"
	"github.com/lienthong/lienthong/registry"
	"github.com/lienthong/lienthong/sync/state"
)

// pageNames are the page templates; each is parsed with layout.html.
var pageNames = []string{"login", "error", "sources", "newsource", "stream", "mapping", "report", "runs", "run", "rejects", "changes", "discover", "departments", "token"}

// parsePages parses every page with the layout. A template that does not
// parse is a bug of the binary, found by the first test.
func parsePages() map[string]*template.Template {
	funcs := template.FuncMap{
		// Placeholders, replaced per request in render.
		"T":        func(string, ...any) string { return "" },
		"W":        func(string, string) string { return "" },
		"R":        func(string) string { return "" },
		"contains": strings.Contains,
		"dict":     dict,
	}
	pages := map[string]*template.Template{}
	for _, name := range pageNames {
		pages[name] = template.Must(template.New("layout.html").Funcs(funcs).
			ParseFS(templateFS, "templates/layout.html", "templates/partials.html", "templates/"+name+".html"))
	}
	return pages
}

// page is what every template gets.
type page struct {
	Lang string
	// Name is the page's template; Title its title's message key.
	Name, Title string
	// Who is the logged-in caller, nil on the login page.
	Who *sess
	// Here is the page's address without lang, for the language switch.
	Here string
	// Flash is a message key shown on top (an action done), FlashArg its
	// argument.
	Flash    string
	FlashArg string
	Data     any
	// Now is when the page was made, for freshness.
	Now time.Time
}

var flashArg = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// zone is the time zone pages show times in: Vietnam's (UTC+7, no
// daylight saving time), named on every page's footer.
var zone = time.FixedZone("UTC+7", 7*3600)

// funcs are the helpers templates use, bound to the page's language.
func (p *page) funcs() template.FuncMap {
	return template.FuncMap{
		"T": func(key string, args ...any) string { return msg(p.Lang, key, args...) },
		"W": func(set, value string) string { return word(p.Lang, set, value) },
		"R": func(code string) string { return reasonMeaning(p.Lang, code) },
	}
}

// dict makes a map of its key, value pairs, to hand a partial template
// more than one value.
func dict(kv ...any) (map[string]any, error) {
	if len(kv)%2 != 0 {
		return nil, errors.New("dict: odd number of arguments")
	}
	m := map[string]any{}
	for i := 0; i < len(kv); i += 2 {
		k, ok := kv[i].(string)
		if !ok {
			return nil, errors.New("dict: a key is not a string")
		}
		m[k] = kv[i+1]
	}
	return m, nil
}

// Time shows a time (or a *time.Time) in the page's language.
func (p *page) Time(v any) string {
	switch t := v.(type) {
	case time.Time:
		return formatTime(p.Lang, t)
	case *time.Time:
		if t != nil {
			return formatTime(p.Lang, *t)
		}
	}
	return ""
}

// Ago says how long before the page a time was.
func (p *page) Ago(v any) string {
	switch t := v.(type) {
	case time.Time:
		return ago(p.Lang, p.Now, t)
	case *time.Time:
		if t != nil {
			return ago(p.Lang, p.Now, *t)
		}
	}
	return ""
}

// Health sums a stream's state in one word (a message key's last part
// and a CSS class): none (never run), running, bad (its last run failed
// or was abandoned, or failures in a row), warn (rejects outstanding),
// ok. A run cancelled on request is not a failure.
func (p *page) Health(sv ops.StreamView) string {
	switch {
	case sv.LastRun == nil:
		return "none"
	case sv.LastRun.Status == state.StatusRunning:
		return "running"
	case sv.ConsecutiveFailures > 0 || sv.LastRun.Status == state.StatusFailed || sv.LastRun.Status == state.StatusAbandoned:
		return "bad"
	case sv.RejectsOutstanding > 0:
		return "warn"
	}
	return "ok"
}

// Short abbreviates a hash.
func (p *page) Short(s string) string {
	if len(s) > 12 {
		return s[:12]
	}
	return s
}

// render writes one page. A template that fails is logged and answered
// with a plain 500: half a page must not look like a whole one.
func (c *console) render(w http.ResponseWriter, r *http.Request, status int, name string, s *sess, data any) {
	p := &page{Lang: s.Lang, Name: name, Title: name + ".title", Data: data, Now: time.Now()}
	if s.token != "" {
		p.Who = s
	}
	p.Here = here(r)
	if r.Method != http.MethodGet {
		p.Here = path.Dir(r.URL.Path)
	}
	// The flash's argument is a name or a number the console put there;
	// anything else in it is left out, so a link from elsewhere cannot
	// make the page say a sentence of its own.
	if f := r.URL.Query().Get("done"); f != "" && msgExists("done."+f) {
		p.Flash = "done." + f
		if arg := r.URL.Query().Get("arg"); flashArg.MatchString(arg) {
			p.FlashArg = arg
		}
	}
	t, err := c.pages[name].Clone()
	if err != nil {
		c.Log.Error("console: template", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := t.Funcs(p.funcs()).Execute(&buf, p); err != nil {
		c.Log.Error("console: render", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// errorData is the error page's.
type errorData struct {
	// Message is a message key; Detail, when set, is a sentence of ops
	// (in English) naming what is wrong.
	Message string
	Detail  string
}

// fail answers an error of ops with the page that says it: 404 for what
// does not exist (or belongs to another department), 403 for a scope the
// token lacks, 409 for a conflict, 502 with the system's words when a
// department's system failed, else 500 with nothing of the cause.
func (c *console) fail(w http.ResponseWriter, r *http.Request, s *sess, err error) {
	var inv *ops.Invalid
	var chk *ops.CheckFailed
	var sys *ops.SystemError
	switch {
	case errors.As(err, &sys):
		// ops scrubbed the message of every secret: the officer reads
		// what the system said.
		c.Log.Warn("console: department system failed", "path", r.URL.Path, "err", sys.Error())
		c.render(w, r, http.StatusBadGateway, "error", s, errorData{Message: "err.system", Detail: sys.Error()})
	case errors.Is(err, ops.ErrNotFound), errors.Is(err, registry.ErrNotFound):
		c.render(w, r, http.StatusNotFound, "error", s, errorData{Message: "err.notfound"})
	case errors.Is(err, ops.ErrForbidden):
		c.render(w, r, http.StatusForbidden, "error", s, errorData{Message: "err.forbidden"})
	case errors.Is(err, registry.ErrFileManaged):
		c.render(w, r, http.StatusConflict, "error", s, errorData{Message: "err.filemanaged"})
	case errors.Is(err, ops.ErrConflict), errors.Is(err, registry.ErrExists), errors.Is(err, registry.ErrStale), errors.Is(err, registry.ErrInUse):
		c.render(w, r, http.StatusConflict, "error", s, errorData{Message: "err.conflict", Detail: err.Error()})
	case errors.As(err, &inv):
		var lines []string
		for _, f := range inv.Fields {
			lines = append(lines, f.Field+": "+f.Reason)
		}
		c.render(w, r, http.StatusUnprocessableEntity, "error", s, errorData{Message: "err.invalid", Detail: strings.Join(lines, "; ")})
	case errors.As(err, &chk):
		c.render(w, r, http.StatusUnprocessableEntity, "error", s, errorData{Message: "err.check", Detail: strings.Join(chk.Problems, "; ")})
	default:
		c.Log.Error("console: request failed", "path", r.URL.Path, "err", err)
		c.render(w, r, http.StatusInternalServerError, "error", s, errorData{Message: "err.internal"})
	}
}

// formatTime shows a time in Vietnam's zone, the way each language writes
// dates.
func formatTime(lang string, t time.Time) string {
	if t.IsZero() {
		return ""
	}
	if lang == "en" {
		return t.In(zone).Format("2006-01-02 15:04:05")
	}
	return t.In(zone).Format("15:04:05 02/01/2006")
}

// ago says how long ago t was, in whole units, for freshness.
func ago(lang string, now, t time.Time) string {
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return msg(lang, "ago.now")
	case d < time.Hour:
		return msg(lang, "ago.minutes", int(d/time.Minute))
	case d < 48*time.Hour:
		return msg(lang, "ago.hours", int(d/time.Hour))
	}
	return msg(lang, "ago.days", int(d/(24*time.Hour)))
}

// redirect sends the browser to a console path after an action, with the
// message key saying what was done.
func redirect(w http.ResponseWriter, r *http.Request, to, done string, arg any) {
	sep := "?"
	if strings.Contains(to, "?") {
		sep = "&"
	}
	u := to + sep + "done=" + done
	if arg != nil {
		u += "&arg=" + url.QueryEscape(fmt.Sprint(arg))
	}
	http.Redirect(w, r, u, http.StatusSeeOther)
}
