package server

import (
	"fmt"
	"html/template"
	"net/http"

	"github.com/lienthong/lienthong/forms"
)

// demoClient is how the audit log names reads made through the demo forms.
const demoClient = "demo-form"

// demoPage is the demo online form: a citizen's ID number brings the form
// back pre-filled, each filled field with its source department and as-of
// date, the others left to the citizen.
var demoPage = template.Must(template.New("form").Parse(`<!DOCTYPE html>
<html lang="vi">
<head>
<meta charset="utf-8">
<title>{{if .Form}}{{.Form.Title}}{{else}}Biểu mẫu trực tuyến{{end}} · lienthong demo</title>
<style>
body { font-family: sans-serif; max-width: 46rem; margin: 2rem auto; color: #222; }
label { display: block; margin-top: 1rem; font-weight: bold; }
input[type=text] { width: 100%; padding: .4rem; box-sizing: border-box; }
input.prefilled { background: #eef7ee; border: 1px solid #7a7; }
.source { color: #363; font-size: .85rem; }
.ask { color: #a50; font-size: .85rem; }
.note { background: #f4f4f4; padding: .6rem; }
</style>
</head>
<body>
{{if .Form}}
<h1>{{.Form.Title}}</h1>
<p>{{.Form.TitleEN}}{{if .Form.Procedure}} · thủ tục {{.Form.Procedure}}{{end}}</p>
<form method="get" action="/forms/{{.Form.Name}}">
<label for="id_number">Số định danh cá nhân</label>
<input type="text" id="id_number" name="id_number" value="{{.IDNumber}}" inputmode="numeric" pattern="[0-9]{12}">
<button type="submit" id="lookup">Điền sẵn từ dữ liệu đã có</button>
</form>
{{if .Error}}<p class="note" id="error">{{.Error}}</p>{{end}}
{{if .Filled}}
<p class="note" id="summary">{{len .Answer.Filled}} trường được điền sẵn từ cơ sở dữ liệu; {{len .Answer.Missing}} trường công dân tự điền. Lượt đọc này được ghi nhật ký (số {{.Answer.Audit.Seq}}).</p>
<form id="dossier">
{{range .Fields}}
<label for="f-{{.Name}}">{{.Label}}</label>
{{if .Filled}}<input type="text" class="prefilled" id="f-{{.Name}}" name="{{.Name}}" value="{{.Value}}">
<span class="source" id="src-{{.Name}}" data-department="{{.Department}}" data-as-of="{{.AsOf}}">Nguồn: {{.Department}} ({{.Kind}}), cập nhật ngày {{.AsOf}}</span>
{{else}}<input type="text" id="f-{{.Name}}" name="{{.Name}}" value="">
<span class="ask" id="ask-{{.Name}}">Công dân tự điền</span>
{{end}}
{{end}}
<p><button type="button">Nộp hồ sơ (demo)</button></p>
</form>
{{end}}
{{else}}
<h1>Biểu mẫu trực tuyến</h1>
<ul>{{range .Forms}}<li><a href="/forms/{{.Name}}">{{.Title}}</a> ({{.TitleEN}})</li>{{end}}</ul>
{{end}}
</body>
</html>
`))

// demoField is a form field as the demo page shows it.
type demoField struct {
	Name, Label                   string
	Filled                        bool
	Value, Department, Kind, AsOf string
}

type demoData struct {
	Forms    []*forms.Form
	Form     *forms.Form
	IDNumber string
	Error    string
	Filled   bool
	Answer   prefillAnswer
	Fields   []demoField
}

// demoForms lists the demo forms.
func (s *server) demoForms(w http.ResponseWriter, r *http.Request) {
	if !s.Access.DemoForms || s.Access.Forms == nil {
		s.notFound(w, r)
		return
	}
	renderDemo(w, demoData{Forms: s.Access.Forms.List()})
}

// demoForm shows one demo form, pre-filled when an ID number is given. The
// read goes through the same path as the API's, audit entry included, as
// the client "demo-form".
func (s *server) demoForm(w http.ResponseWriter, r *http.Request) {
	if !s.Access.DemoForms || s.Access.Forms == nil || s.Access.Audit == nil {
		s.notFound(w, r)
		return
	}
	form, ok := s.Access.Forms.Get(r.PathValue("form"))
	if !ok {
		problem(w, r, http.StatusNotFound, fmt.Sprintf("no form is named %q", r.PathValue("form")))
		return
	}
	d := demoData{Form: form, IDNumber: r.URL.Query().Get("id_number")}
	if d.IDNumber != "" {
		if !idNumberPattern.MatchString(d.IDNumber) {
			d.Error = "Số định danh cá nhân gồm 12 chữ số."
			renderDemo(w, d)
			return
		}
		ans, err := s.fill(r.Context(), demoClient, form, d.IDNumber, "demo: "+form.Title, "DEMO-"+requestIDOf(r.Context()))
		if err != nil {
			s.prefillFailed(w, r, err)
			return
		}
		d.Filled, d.Answer = true, ans
		filled := map[string]forms.Filled{}
		for _, f := range ans.Filled {
			filled[f.Field] = f
		}
		for _, fd := range form.Fields {
			f, ok := filled[fd.Name]
			df := demoField{Name: fd.Name, Label: fd.Label, Filled: ok}
			if ok {
				df.Value, df.Department, df.Kind, df.AsOf = fmt.Sprint(f.Value), f.Department, f.Kind, f.AsOf.Format("2006-01-02")
			}
			d.Fields = append(d.Fields, df)
		}
	}
	renderDemo(w, d)
}

func renderDemo(w http.ResponseWriter, d demoData) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; style-src 'unsafe-inline'")
	demoPage.Execute(w, d)
}
