package console

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml"

	"github.com/lienthong/lienthong/clients"
	"github.com/lienthong/lienthong/connectors"
	"github.com/lienthong/lienthong/internal/mappingtest"
	"github.com/lienthong/lienthong/internal/ops"
	"github.com/lienthong/lienthong/registry"
	"github.com/lienthong/lienthong/sync/state"
)

// defaultKinds is what ops allows when its Kinds is empty.
var defaultKinds = []string{"postgres", "mysql", "httpjson"}

// deptPath is the console path of a department's pages.
func deptPath(dept string) string { return Prefix + "/d/" + url.PathEscape(dept) }

// streamPath is the console path of a stream's page.
func streamPath(ref state.Ref) string {
	return deptPath(ref.Department) + "/sources/" + url.PathEscape(ref.Source) + "/streams/" + url.PathEscape(ref.Stream)
}

// ownDept refuses a department token on another department's pages, the
// way ops answers for its objects: it does not exist.
func ownDept(s *sess, dept string) error {
	if !s.Caller.Admin && dept != s.Dept() {
		return ops.ErrNotFound
	}
	return nil
}

func refOf(r *http.Request) state.Ref {
	return state.Ref{Department: r.PathValue("dept"), Source: r.PathValue("source"), Stream: r.PathValue("stream")}
}

// deptSources is one department's section of the sources page.
type deptSources struct {
	Name    string
	Title   string
	Sources []ops.SourceView
}

type sourcesData struct {
	Depts []deptSources
}

// sources lists the caller's department's sources with each stream's
// health (the administrator: every department's).
func (c *console) sources(w http.ResponseWriter, r *http.Request, s *sess) {
	ctx := r.Context()
	var d sourcesData
	if s.Caller.Admin {
		depts, err := c.Ops.ListDepartments(ctx, s.Caller)
		if err != nil {
			c.fail(w, r, s, err)
			return
		}
		for _, dep := range depts {
			srcs, err := c.Ops.ListSources(ctx, s.Caller, dep.Name)
			if err != nil {
				c.fail(w, r, s, err)
				return
			}
			d.Depts = append(d.Depts, deptSources{Name: dep.Name, Title: dep.Title, Sources: srcs})
		}
	} else {
		srcs, err := c.Ops.ListSources(ctx, s.Caller, s.Dept())
		if err != nil {
			c.fail(w, r, s, err)
			return
		}
		dep, err := c.Ops.Department(ctx, s.Caller, s.Dept())
		if err != nil {
			c.fail(w, r, s, err)
			return
		}
		d.Depts = []deptSources{{Name: dep.Name, Title: dep.Title, Sources: srcs}}
	}
	c.render(w, r, http.StatusOK, "sources", s, d)
}

// sourceForm is the registration form, as filled in. The secret is not
// kept: a form shown again asks for it again.
type sourceForm struct {
	Admin                        bool
	Depts                        []registry.Department
	Kinds                        []string
	Dept, Name, Kind, Options    string
	Stream, Table, Query, Key    string
	Cursor, Mode                 string
	Errors                       map[string]string
	General, Problems, Warnings  []string
	SecretWasSet, OptionsInvalid bool
	Modes                        []string
}

func (c *console) kinds() []string {
	if len(c.Ops.Kinds) > 0 {
		return c.Ops.Kinds
	}
	return defaultKinds
}

// newSource shows the registration form.
func (c *console) newSource(w http.ResponseWriter, r *http.Request, s *sess) {
	f := sourceForm{Dept: s.Dept(), Mode: "incremental"}
	c.showSourceForm(w, r, s, http.StatusOK, f)
}

func (c *console) showSourceForm(w http.ResponseWriter, r *http.Request, s *sess, status int, f sourceForm) {
	f.Admin, f.Kinds, f.Modes = s.Caller.Admin, c.kinds(), []string{"incremental", "full_refresh"}
	if f.Admin {
		depts, err := c.Ops.ListDepartments(r.Context(), s.Caller)
		if err != nil {
			c.fail(w, r, s, err)
			return
		}
		f.Depts = depts
	}
	c.render(w, r, status, "newsource", s, f)
}

// formFields maps a registration body's field paths to the form's inputs.
var formFields = []struct {
	prefix, input string
}{
	{"name", "name"}, {"kind", "kind"}, {"secret", "secret"}, {"dsn", "secret"}, {"options", "options"},
	{"streams[0].name", "stream"}, {"streams[0].table", "table"}, {"streams[0].query", "query"},
	{"streams[0].primary_key", "key"}, {"streams[0].cursor", "cursor"}, {"streams[0].mode", "mode"},
}

// inputOf names the form input a field path belongs to, "" for none.
func inputOf(field string) string {
	for _, f := range formFields {
		if field == f.prefix || strings.HasPrefix(field, f.prefix+".") || strings.HasPrefix(field, f.prefix+"[") {
			return f.input
		}
	}
	return ""
}

// createSource registers a source with one stream from the form.
func (c *console) createSource(w http.ResponseWriter, r *http.Request, s *sess) {
	pf := r.PostForm
	f := sourceForm{
		Dept: strings.TrimSpace(pf.Get("dept")), Name: strings.TrimSpace(pf.Get("name")), Kind: pf.Get("kind"),
		Options: pf.Get("options"), Stream: strings.TrimSpace(pf.Get("stream")), Table: strings.TrimSpace(pf.Get("table")),
		Query: strings.TrimSpace(pf.Get("query")), Key: strings.TrimSpace(pf.Get("key")), Cursor: strings.TrimSpace(pf.Get("cursor")),
		Mode: pf.Get("mode"), Errors: map[string]string{},
	}
	if !s.Caller.Admin {
		f.Dept = s.Dept()
	}
	secret := pf.Get("secret")
	f.SecretWasSet = secret != ""
	body := map[string]any{"name": f.Name, "kind": f.Kind}
	if secret != "" {
		body["secret"] = secret
	}
	if strings.TrimSpace(f.Options) != "" {
		var opts map[string]any
		if err := yaml.Unmarshal([]byte(f.Options), &opts); err != nil {
			f.Errors["options"] = msg(s.Lang, "newsource.e.options", firstLine(err.Error()))
			c.showSourceForm(w, r, s, http.StatusUnprocessableEntity, f)
			return
		}
		body["options"] = opts
	}
	st := map[string]any{"name": f.Stream}
	for k, v := range map[string]string{"table": f.Table, "query": f.Query, "cursor": f.Cursor, "mode": f.Mode} {
		if v != "" {
			st[k] = v
		}
	}
	if f.Key != "" {
		var key []string
		for k := range strings.SplitSeq(f.Key, ",") {
			if k = strings.TrimSpace(k); k != "" {
				key = append(key, k)
			}
		}
		st["primary_key"] = key
	}
	body["streams"] = []any{st}
	raw, err := json.Marshal(body)
	if err != nil {
		c.fail(w, r, s, err)
		return
	}
	if f.Dept == "" {
		f.Errors["dept"] = msg(s.Lang, "newsource.e.dept")
		c.showSourceForm(w, r, s, http.StatusUnprocessableEntity, f)
		return
	}
	v, err := c.Ops.CreateSource(r.Context(), s.Caller, f.Dept, raw)
	var inv *ops.Invalid
	var chk *ops.CheckFailed
	var sys *ops.SystemError
	switch {
	case err == nil:
	case errors.As(err, &sys):
		// The check could not run: the form stays filled, the box says
		// what the system did.
		f.General = append(f.General, msg(s.Lang, "err.system"), sys.Error())
		c.showSourceForm(w, r, s, http.StatusBadGateway, f)
		return
	case errors.As(err, &inv):
		for _, fe := range inv.Fields {
			if in := inputOf(fe.Field); in != "" && f.Errors[in] == "" {
				f.Errors[in] = fe.Reason
			} else {
				f.General = append(f.General, fe.Field+": "+fe.Reason)
			}
		}
		c.showSourceForm(w, r, s, http.StatusUnprocessableEntity, f)
		return
	case errors.As(err, &chk):
		f.Problems = chk.Problems
		c.showSourceForm(w, r, s, http.StatusUnprocessableEntity, f)
		return
	case errors.Is(err, ops.ErrConflict), errors.Is(err, registry.ErrExists), errors.Is(err, registry.ErrFileManaged):
		f.Errors["name"] = msg(s.Lang, "newsource.e.exists")
		c.showSourceForm(w, r, s, http.StatusConflict, f)
		return
	default:
		c.fail(w, r, s, err)
		return
	}
	if len(v.Streams) > 0 {
		redirect(w, r, streamPath(state.Ref{Department: f.Dept, Source: v.Spec.Name, Stream: v.Streams[0].Spec.Name}), "created", v.Spec.Name)
		return
	}
	redirect(w, r, Prefix+"/sources", "created", v.Spec.Name)
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

// streamData is a stream's page.
type streamData struct {
	Ref      state.Ref
	Path     string
	Stream   ops.StreamView
	Mappings []registry.MappingVersion
	Runs     []state.Run
	// Upload is the mapping text of a refused upload, shown again with
	// UploadErrors.
	Upload       string
	UploadErrors []string
}

func (c *console) streamData(r *http.Request, s *sess, ref state.Ref) (streamData, error) {
	ctx := r.Context()
	d := streamData{Ref: ref, Path: streamPath(ref)}
	if err := ownDept(s, ref.Department); err != nil {
		return d, err
	}
	var err error
	if d.Stream, err = c.Ops.Stream(ctx, s.Caller, ref); err != nil {
		return d, err
	}
	if d.Mappings, err = c.Ops.Mappings(ctx, s.Caller, ref); err != nil {
		return d, err
	}
	slices.SortFunc(d.Mappings, func(a, b registry.MappingVersion) int { return b.Version - a.Version })
	d.Runs, err = c.Ops.Runs(ctx, s.Caller, state.Filter{Department: ref.Department, Source: ref.Source, Stream: ref.Stream, Limit: 20})
	return d, err
}

// streamPage shows a stream: its health, mapping versions, runs.
func (c *console) streamPage(w http.ResponseWriter, r *http.Request, s *sess) {
	d, err := c.streamData(r, s, refOf(r))
	if err != nil {
		c.fail(w, r, s, err)
		return
	}
	c.render(w, r, http.StatusOK, "stream", s, d)
}

// uploadMapping stores a new mapping version.
func (c *console) uploadMapping(w http.ResponseWriter, r *http.Request, s *sess) {
	ref := refOf(r)
	if err := ownDept(s, ref.Department); err != nil {
		c.fail(w, r, s, err)
		return
	}
	text := r.PostForm.Get("text")
	v, err := c.Ops.UploadMapping(r.Context(), s.Caller, ref, []byte(text))
	var inv *ops.Invalid
	if errors.As(err, &inv) || (err != nil && strings.TrimSpace(text) == "") {
		d, err2 := c.streamData(r, s, ref)
		if err2 != nil {
			c.fail(w, r, s, err2)
			return
		}
		d.Upload = text
		if inv != nil {
			for _, fe := range inv.Fields {
				d.UploadErrors = append(d.UploadErrors, strings.TrimPrefix(fe.Field+": "+fe.Reason, ": "))
			}
		} else {
			d.UploadErrors = []string{msg(s.Lang, "stream.e.empty")}
		}
		c.render(w, r, http.StatusUnprocessableEntity, "stream", s, d)
		return
	}
	if err != nil {
		c.fail(w, r, s, err)
		return
	}
	redirect(w, r, streamPath(ref)+"/mappings/"+strconv.Itoa(v.Version), "uploaded", v.Version)
}

// mappingData is a mapping version's page and its test report's.
type mappingData struct {
	Ref     state.Ref
	Path    string
	Mapping registry.MappingVersion
	// Active is the stream's active version, 0 for none.
	Active int
	Limit  int
	Report *reportView
}

func (c *console) mappingData(r *http.Request, s *sess) (mappingData, error) {
	ref := refOf(r)
	d := mappingData{Ref: ref, Path: streamPath(ref), Limit: 20}
	if err := ownDept(s, ref.Department); err != nil {
		return d, err
	}
	version, err := strconv.Atoi(r.PathValue("version"))
	if err != nil || version < 1 {
		return d, ops.ErrNotFound
	}
	if d.Mapping, err = c.Ops.Mapping(r.Context(), s.Caller, ref, version); err != nil {
		return d, err
	}
	st, err := c.Ops.Stream(r.Context(), s.Caller, ref)
	if err != nil {
		return d, err
	}
	d.Active = st.ActiveMapping
	return d, nil
}

// mappingPage shows a version's text with its test and activate buttons.
func (c *console) mappingPage(w http.ResponseWriter, r *http.Request, s *sess) {
	d, err := c.mappingData(r, s)
	if err != nil {
		c.fail(w, r, s, err)
		return
	}
	c.render(w, r, http.StatusOK, "mapping", s, d)
}

// testMapping maps live records through a version and shows the report.
func (c *console) testMapping(w http.ResponseWriter, r *http.Request, s *sess) {
	d, err := c.mappingData(r, s)
	if err != nil {
		c.fail(w, r, s, err)
		return
	}
	if n, err := strconv.Atoi(r.PostForm.Get("limit")); err == nil && n > 0 && n <= 1000 {
		d.Limit = n
	}
	rep, err := c.Ops.TestMapping(r.Context(), s.Caller, d.Ref, d.Mapping.Version, d.Limit)
	if err != nil {
		c.fail(w, r, s, err)
		return
	}
	d.Report = viewReport(rep)
	c.render(w, r, http.StatusOK, "report", s, d)
}

// activateMapping makes a version the one runs use (an older one: the
// roll-back).
func (c *console) activateMapping(w http.ResponseWriter, r *http.Request, s *sess) {
	ref := refOf(r)
	if err := ownDept(s, ref.Department); err != nil {
		c.fail(w, r, s, err)
		return
	}
	version, err := strconv.Atoi(r.PathValue("version"))
	if err != nil || version < 1 {
		c.fail(w, r, s, ops.ErrNotFound)
		return
	}
	v, err := c.Ops.ActivateMapping(r.Context(), s.Caller, ref, version)
	if err != nil {
		c.fail(w, r, s, err)
		return
	}
	redirect(w, r, streamPath(ref), "activated", v.Version)
}

// trigger asks for a run of the stream now.
func (c *console) trigger(w http.ResponseWriter, r *http.Request, s *sess) {
	ref := refOf(r)
	if err := ownDept(s, ref.Department); err != nil {
		c.fail(w, r, s, err)
		return
	}
	job, err := c.Ops.Trigger(r.Context(), s.Caller, ref)
	if err != nil {
		c.fail(w, r, s, err)
		return
	}
	redirect(w, r, streamPath(ref), "triggered", job)
}

// runsData is the runs page's.
type runsData struct {
	Dept           string
	Source, Stream string
	Runs           []state.Run
}

// runs lists a department's runs, newest first.
func (c *console) runs(w http.ResponseWriter, r *http.Request, s *sess) {
	dept := r.PathValue("dept")
	if err := ownDept(s, dept); err != nil {
		c.fail(w, r, s, err)
		return
	}
	q := r.URL.Query()
	d := runsData{Dept: dept, Source: q.Get("source"), Stream: q.Get("stream")}
	var err error
	d.Runs, err = c.Ops.Runs(r.Context(), s.Caller, state.Filter{Department: dept, Source: d.Source, Stream: d.Stream, Limit: 100})
	if err != nil {
		c.fail(w, r, s, err)
		return
	}
	c.render(w, r, http.StatusOK, "runs", s, d)
}

// runData is one run's page.
type runData struct {
	Dept    string
	Run     state.Run
	Running bool
}

// runPage shows one run; it reloads itself while the run goes on.
func (c *console) runPage(w http.ResponseWriter, r *http.Request, s *sess) {
	dept := r.PathValue("dept")
	run, err := c.run(r, s, dept)
	if err != nil {
		c.fail(w, r, s, err)
		return
	}
	c.render(w, r, http.StatusOK, "run", s, runData{Dept: dept, Run: run, Running: run.Status == state.StatusRunning})
}

func (c *console) run(r *http.Request, s *sess, dept string) (state.Run, error) {
	if err := ownDept(s, dept); err != nil {
		return state.Run{}, err
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		return state.Run{}, ops.ErrNotFound
	}
	run, err := c.Ops.Run(r.Context(), s.Caller, id)
	if err != nil {
		return state.Run{}, err
	}
	if run.Department != dept {
		return state.Run{}, ops.ErrNotFound
	}
	return run, nil
}

// cancel asks a running run to stop at its next batch boundary.
func (c *console) cancel(w http.ResponseWriter, r *http.Request, s *sess) {
	dept := r.PathValue("dept")
	run, err := c.run(r, s, dept)
	if err != nil {
		c.fail(w, r, s, err)
		return
	}
	if err := c.Ops.Cancel(r.Context(), s.Caller, run.ID); err != nil {
		c.fail(w, r, s, err)
		return
	}
	redirect(w, r, deptPath(dept)+"/runs/"+strconv.FormatInt(run.ID, 10), "cancelled", nil)
}

// rejectsData is the rejects page's.
type rejectsData struct {
	Dept string
	// Stream is the filter "source/stream", Reason the reason's, Field
	// the field's (the record's field a reject names).
	Stream, Reason, Field string
	Streams               []string
	Reasons               []state.ReasonCount
	// Total counts the rejects of the stream filter, all reasons.
	Total   int64
	Rejects []rejectView
	// More says the list shows only rejectsShown; Next, when the filter
	// names a stream, is the next page's address (pages go by source key
	// within one stream).
	More bool
	Next string
	// CSV is the export's address, with the page's filter.
	CSV string
}

// rejectsShown is how many rejects the page lists.
const rejectsShown = 200

// rejectView is a reject as the page shows it.
type rejectView struct {
	state.Reject
	Fields     []kv
	Violations []violation
	// Retry marks the first reject listed of its stream and reason, which
	// carries the button that retries them all.
	Retry bool
}

type violation struct{ Field, Code, Message string }

// kv is one field of a record.
type kv struct {
	Key, Value string
	// Bad marks a field a violation names.
	Bad bool
}

// fieldsOf lists a record's fields by name.
func fieldsOf(m map[string]any, bad map[string]bool) []kv {
	out := make([]kv, 0, len(m))
	for k, v := range m {
		out = append(out, kv{Key: k, Value: show(v), Bad: bad[k]})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// show writes a record's value as an officer reads it.
func show(v any) string {
	switch x := v.(type) {
	case nil:
		return "∅"
	case string:
		return x
	case json.Number:
		return x.String()
	case map[string]any, []any:
		b, _ := json.Marshal(x)
		return string(b)
	}
	return fmt.Sprint(v)
}

func decodeObject(raw []byte) map[string]any {
	var m map[string]any
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if err := d.Decode(&m); err != nil {
		return nil
	}
	return m
}

func (c *console) rejectFilter(r *http.Request, s *sess) (state.Filter, string, error) {
	dept := r.PathValue("dept")
	if err := ownDept(s, dept); err != nil {
		return state.Filter{}, "", err
	}
	q := r.URL.Query()
	f := state.Filter{Department: dept, Reason: q.Get("reason"), Field: strings.TrimSpace(q.Get("field"))}
	stream := q.Get("stream")
	if stream != "" {
		f.Source, f.Stream, _ = strings.Cut(stream, "/")
		f.After = q.Get("after")
	}
	return f, stream, nil
}

var reasonPattern = regexp.MustCompile(`^[a-z0-9_.:-]{0,80}$`)

// rejects lists a department's rejects: counts by reason, then each
// record with its raw fields, the field at fault and the message.
func (c *console) rejects(w http.ResponseWriter, r *http.Request, s *sess) {
	f, stream, err := c.rejectFilter(r, s)
	if err != nil {
		c.fail(w, r, s, err)
		return
	}
	ctx := r.Context()
	d := rejectsData{Dept: f.Department, Stream: stream, Reason: f.Reason, Field: f.Field}
	srcs, err := c.Ops.ListSources(ctx, s.Caller, f.Department)
	if err != nil {
		c.fail(w, r, s, err)
		return
	}
	for _, src := range srcs {
		for _, st := range src.Streams {
			d.Streams = append(d.Streams, src.Spec.Name+"/"+st.Spec.Name)
		}
	}
	if d.Reasons, err = c.Ops.RejectReasons(ctx, s.Caller, f); err != nil {
		c.fail(w, r, s, err)
		return
	}
	for _, rc := range d.Reasons {
		d.Total += rc.Count
	}
	f.Limit = rejectsShown + 1
	list, err := c.Ops.Rejects(ctx, s.Caller, f)
	if err != nil {
		c.fail(w, r, s, err)
		return
	}
	if len(list) > rejectsShown {
		list, d.More = list[:rejectsShown], true
	}
	retry := map[string]bool{}
	for _, rj := range list {
		// One retry button per stream and reason: it retries them all.
		group := rj.Source + "/" + rj.Stream + "\x00" + rj.Reason
		v := rejectView{Reject: rj, Retry: !retry[group]}
		retry[group] = true
		var vs []violation
		json.Unmarshal(rj.Violations, &vs)
		bad := map[string]bool{}
		for _, x := range vs {
			bad[x.Field] = true
		}
		v.Violations = vs
		v.Fields = fieldsOf(decodeObject(rj.Raw), bad)
		d.Rejects = append(d.Rejects, v)
	}
	cq := url.Values{}
	if stream != "" {
		cq.Set("stream", stream)
	}
	if f.Reason != "" {
		cq.Set("reason", f.Reason)
	}
	if f.Field != "" {
		cq.Set("field", f.Field)
	}
	d.CSV = deptPath(f.Department) + "/rejects.csv"
	if len(cq) > 0 {
		d.CSV += "?" + cq.Encode()
	}
	if d.More && stream != "" && len(list) > 0 {
		cq.Set("after", list[len(list)-1].SourceKey)
		d.Next = deptPath(f.Department) + "/rejects?" + cq.Encode()
	}
	c.render(w, r, http.StatusOK, "rejects", s, d)
}

// lazyCSV sets the CSV headers on the first write, so a failure before
// any row still answers with an error page.
type lazyCSV struct {
	w       http.ResponseWriter
	name    string
	started bool
}

func (l *lazyCSV) Write(p []byte) (int, error) {
	if !l.started {
		l.started = true
		h := l.w.Header()
		h.Set("Content-Type", "text/csv; charset=utf-8")
		h.Set("Content-Disposition", `attachment; filename="`+l.name+`"`)
	}
	return l.w.Write(p)
}

// rejectsCSV exports the filtered rejects as CSV (UTF-8 with a BOM, as
// ops writes it).
func (c *console) rejectsCSV(w http.ResponseWriter, r *http.Request, s *sess) {
	f, _, err := c.rejectFilter(r, s)
	if err != nil {
		c.fail(w, r, s, err)
		return
	}
	l := &lazyCSV{w: w, name: "rejects-" + safeName(f.Department) + ".csv"}
	if err := c.Ops.ExportRejects(r.Context(), s.Caller, f, l); err != nil {
		if !l.started {
			c.fail(w, r, s, err)
			return
		}
		c.Log.Error("console: export rejects", "department", f.Department, "err", err)
	}
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]`)

func safeName(s string) string { return unsafeName.ReplaceAllString(s, "_") }

// retry re-maps a stream's rejects (of a reason, if given) through its
// active mapping and shows the run it made.
func (c *console) retry(w http.ResponseWriter, r *http.Request, s *sess) {
	dept := r.PathValue("dept")
	if err := ownDept(s, dept); err != nil {
		c.fail(w, r, s, err)
		return
	}
	ref := state.Ref{Department: dept, Source: r.PostForm.Get("source"), Stream: r.PostForm.Get("stream")}
	reason := r.PostForm.Get("reason")
	if ref.Source == "" || ref.Stream == "" || !reasonPattern.MatchString(reason) {
		c.fail(w, r, s, ops.ErrNotFound)
		return
	}
	run, err := c.Ops.RetryRejects(r.Context(), s.Caller, ref, reason)
	if err != nil {
		c.fail(w, r, s, err)
		return
	}
	redirect(w, r, deptPath(dept)+"/runs/"+strconv.FormatInt(run.ID, 10), "retried", nil)
}

// reportView is a mapping test's report as the page shows it.
type reportView struct {
	mappingtest.Report
	Records []recordView
}

type recordView struct {
	mappingtest.Record
	Source, Result []kv
	Outcome        string
}

func viewReport(rep mappingtest.Report) *reportView {
	v := &reportView{Report: rep}
	for _, rec := range rep.Records {
		bad := map[string]bool{}
		for _, x := range rec.Violations {
			bad[x.Field] = true
		}
		rv := recordView{Record: rec, Source: fieldsOf(rec.Source, nil), Result: fieldsOf(rec.Record, bad), Outcome: "mapped"}
		switch {
		case rec.Skipped != "":
			rv.Outcome = "skipped"
		case len(rec.Violations) > 0:
			rv.Outcome = "rejected"
		}
		v.Records = append(v.Records, rv)
	}
	// What needs the officer's eye first.
	rank := map[string]int{"rejected": 0, "skipped": 1, "mapped": 2}
	slices.SortStableFunc(v.Records, func(a, b recordView) int { return rank[a.Outcome] - rank[b.Outcome] })
	return v
}

// changesData is the change log's page.
type changesData struct {
	// Dept is the department filter; Depts the departments to choose.
	Dept    string
	Depts   []registry.Department
	Changes []registry.Change
	// Older is the next page's address, when the page is full.
	Older string
}

// changesShown is how many entries a page of the change log lists.
const changesShown = 100

// changes shows the change log, newest first, a page at a time: the
// administrator's (ops refuses a department's token).
func (c *console) changes(w http.ResponseWriter, r *http.Request, s *sess) {
	q := r.URL.Query()
	f := registry.ChangeFilter{Department: q.Get("department"), Limit: changesShown}
	if v := q.Get("before"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			c.fail(w, r, s, ops.ErrNotFound)
			return
		}
		f.Before = n
	}
	d := changesData{Dept: f.Department}
	var err error
	if d.Changes, err = c.Ops.Changes(r.Context(), s.Caller, f); err != nil {
		c.fail(w, r, s, err)
		return
	}
	if d.Depts, err = c.Ops.ListDepartments(r.Context(), s.Caller); err != nil {
		c.fail(w, r, s, err)
		return
	}
	if len(d.Changes) == changesShown {
		nq := url.Values{"before": {strconv.FormatInt(d.Changes[len(d.Changes)-1].ID, 10)}}
		if f.Department != "" {
			nq.Set("department", f.Department)
		}
		d.Older = Prefix + "/changes?" + nq.Encode()
	}
	c.render(w, r, http.StatusOK, "changes", s, d)
}

// discoverData is the discover page's.
type discoverData struct {
	Dept, Source string
	Streams      []connectors.StreamInfo
}

// discover lists what a source offers, with suggested keys and cursors,
// as lienthong discover does: what an officer reads before registering a
// stream.
func (c *console) discover(w http.ResponseWriter, r *http.Request, s *sess) {
	dept, source := r.PathValue("dept"), r.PathValue("source")
	if err := ownDept(s, dept); err != nil {
		c.fail(w, r, s, err)
		return
	}
	infos, err := c.Ops.Discover(r.Context(), s.Caller, dept, source)
	if err != nil {
		c.fail(w, r, s, err)
		return
	}
	c.render(w, r, http.StatusOK, "discover", s, discoverData{Dept: dept, Source: source, Streams: infos})
}

// deptView is a department with its tokens, on the departments page.
type deptView struct {
	registry.Department
	Tokens []tokenView
}

// tokenView is a token as the departments page lists it, never its value.
type tokenView struct {
	clients.Client
	// Expired says the token's time is up (it no longer logs in).
	Expired bool
}

// departmentsData is the departments page's.
type departmentsData struct {
	Depts  []deptView
	Scopes []string
}

// departments lists the departments and their tokens, with the forms that
// add a department and issue or revoke a token (the administrator's: ops
// refuses a department's token).
func (c *console) departments(w http.ResponseWriter, r *http.Request, s *sess) {
	ctx := r.Context()
	depts, err := c.Ops.ListDepartments(ctx, s.Caller)
	if err != nil {
		c.fail(w, r, s, err)
		return
	}
	d := departmentsData{Scopes: ops.DepartmentScopes}
	now := time.Now()
	for _, dep := range depts {
		toks, err := c.Ops.ListTokens(ctx, s.Caller, dep.Name)
		if err != nil {
			c.fail(w, r, s, err)
			return
		}
		v := deptView{Department: dep}
		for _, t := range toks {
			v.Tokens = append(v.Tokens, tokenView{Client: t, Expired: t.ExpiresAt != nil && !t.ExpiresAt.After(now)})
		}
		d.Depts = append(d.Depts, v)
	}
	c.render(w, r, http.StatusOK, "departments", s, d)
}

// createDepartment adds a department.
func (c *console) createDepartment(w http.ResponseWriter, r *http.Request, s *sess) {
	name := strings.TrimSpace(r.PostForm.Get("name"))
	d, err := c.Ops.CreateDepartment(r.Context(), s.Caller, registry.Department{Name: name, Title: strings.TrimSpace(r.PostForm.Get("title"))})
	if err != nil {
		c.fail(w, r, s, err)
		return
	}
	redirect(w, r, Prefix+"/departments", "deptcreated", d.Name)
}

// tokenData is the page that shows a token just issued, once.
type tokenData struct{ Token ops.NewToken }

// issueToken issues a department a token and shows it, once, on the
// answer itself: it is in no address, no redirect and no log.
func (c *console) issueToken(w http.ResponseWriter, r *http.Request, s *sess) {
	var expires *time.Time
	if v := strings.TrimSpace(r.PostForm.Get("expires")); v != "" {
		day, err := time.ParseInLocation("2006-01-02", v, zone)
		if err != nil {
			c.render(w, r, http.StatusUnprocessableEntity, "error", s, errorData{Message: "err.invalid", Detail: msg(s.Lang, "tokens.e.expires")})
			return
		}
		// The token works through the whole day it names.
		end := day.AddDate(0, 0, 1)
		expires = &end
	}
	nt, err := c.Ops.IssueToken(r.Context(), s.Caller, r.PathValue("dept"), strings.TrimSpace(r.PostForm.Get("name")), r.PostForm["scopes"], expires)
	if err != nil {
		c.fail(w, r, s, err)
		return
	}
	c.render(w, r, http.StatusCreated, "token", s, tokenData{Token: nt})
}

// revokeToken stops a department's token now.
func (c *console) revokeToken(w http.ResponseWriter, r *http.Request, s *sess) {
	name := r.PathValue("name")
	if err := c.Ops.RevokeToken(r.Context(), s.Caller, r.PathValue("dept"), name); err != nil {
		c.fail(w, r, s, err)
		return
	}
	redirect(w, r, Prefix+"/departments", "revoked", name)
}
