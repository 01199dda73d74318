package console_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/lienthong/lienthong/clients"
	_ "github.com/lienthong/lienthong/connectors/sqlsource" // postgres, the department's system
	"github.com/lienthong/lienthong/examples"
	"github.com/lienthong/lienthong/internal/cli"
	"github.com/lienthong/lienthong/internal/database"
	"github.com/lienthong/lienthong/internal/fixture"
	"github.com/lienthong/lienthong/internal/testbrowser"
	"github.com/lienthong/lienthong/internal/testdb"
	"github.com/lienthong/lienthong/internal/testio"
	"github.com/lienthong/lienthong/registry"
	"github.com/lienthong/lienthong/sync/state"
)

// browser starts headless Chromium for the test (internal/testbrowser),
// in Vietnamese.
func browser(t *testing.T) context.Context {
	t.Helper()
	return testbrowser.New(t, testbrowser.Options{Width: 1200, Height: 1400, Timeout: 4 * time.Minute, Lang: "vi-VN"})
}

// sourceRows is how many rows the department's table holds; every
// fixture.BadEvery-th has no name and is rejected (required_missing).
const sourceRows = 200

// service is lienthong serve, run in the test's process, with the
// console mounted at /console/.
type service struct {
	url    string
	stderr *testio.Buffer
	srcDSN string
	st     *state.Store
	secret string
	token  string
	// exited is closed when serve returns code.
	exited chan struct{}
	code   int
}

// startService seeds a department's civil-status table on its own
// PostgreSQL database, registers the department and its token in the
// registry, and starts lienthong serve on a free port, with a key ring
// for the sealed secrets and the scheduler's tuning shortened.
func startService(t *testing.T) *service {
	t.Helper()
	ctx := context.Background()
	s := &service{stderr: &testio.Buffer{}, exited: make(chan struct{})}
	s.srcDSN = testdb.Postgres(t)
	src, err := sql.Open("postgres", s.srcDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if err := fixture.CreateKhaiSinh(src); err != nil {
		t.Fatal(err)
	}
	if err := fixture.SeedKhaiSinh(src, 1, sourceRows, 1); err != nil {
		t.Fatal(err)
	}
	// The DSN the officer types carries a password (trust authentication
	// ignores it): it must never come back on a page.
	s.secret = "mat-khau-" + randomWord()
	s.srcDSN = strings.Replace(s.srcDSN, "postgres@", "postgres:"+s.secret+"@", 1)

	natDSN := testdb.Postgres(t)
	db, err := database.Open(ctx, natDSN)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	reg, cl := registry.New(db, nil), clients.New(db)
	s.st = state.New(db)
	for _, m := range []interface {
		Migrate(context.Context) (int, error)
	}{reg, cl} {
		if _, err := m.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := reg.CreateDepartment(ctx, registry.Actor{Name: "admin"}, registry.Department{Name: "tu-phap", Title: "Sở Tư pháp tỉnh Hà Tĩnh"}); err != nil {
		t.Fatal(err)
	}
	_, s.token, err = cl.Add(ctx, clients.NewClient{Name: "tu-phap-can-bo", Department: "tu-phap", Scopes: clients.DepartmentScopes})
	if err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	cfg := filepath.Join(dir, "lienthong.yaml")
	conf := `national:
  dsn_env: LT_NATIONAL_DSN
batch:
  size: 50
  period: 5s
registration:
  kinds: [postgres]
  allow_networks: [127.0.0.0/8]
serve:
  max_concurrent_runs: 2
  shutdown_grace: 5s
`
	if err := os.WriteFile(cfg, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	key := make([]byte, 32)
	rand.Read(key)
	vars := map[string]string{
		"LT_NATIONAL_DSN":         natDSN,
		"LIENTHONG_ADMIN_TOKEN":   "admin-" + randomWord() + randomWord() + randomWord(),
		"LIENTHONG_SECRET_KEYS":   "k1:" + base64.StdEncoding.EncodeToString(key),
		"LIENTHONG_PLAN_INTERVAL": "1s",
		"LIENTHONG_POLL_INTERVAL": "200ms",
		"LIENTHONG_BUSY_WAIT":     "500ms",
		"LIENTHONG_ORPHAN_AFTER":  "5s",
		"PATH":                    os.Getenv("PATH"),
		"HOME":                    os.Getenv("HOME"),
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	s.url = "http://" + addr
	runCtx, stop := context.WithCancel(context.Background())
	go func() {
		s.code = cli.Main(runCtx, []string{"serve", "--config", cfg, "--listen", addr},
			cli.Env{Stdout: io.Discard, Stderr: s.stderr, Getenv: func(k string) string { return vars[k] }})
		close(s.exited)
	}()
	t.Cleanup(func() {
		stop()
		select {
		case <-s.exited:
		case <-time.After(time.Minute):
			t.Error("lienthong serve did not stop within a minute")
		}
		if t.Failed() {
			t.Logf("serve's log (tail):\n%s", tail(s.stderr.String(), 60))
		}
		// Nothing serve logged holds the source's secret.
		if strings.Contains(s.stderr.String(), s.secret) {
			t.Error("serve's log holds the source's secret")
		}
	})
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(100 * time.Millisecond) {
		resp, err := http.Get(s.url + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case <-s.exited:
			t.Fatalf("lienthong serve exited with %d:\n%s", s.code, tail(s.stderr.String(), 40))
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("lienthong serve did not answer within a minute:\n%s", tail(s.stderr.String(), 40))
		}
	}
	resp, err := http.Get(s.url + "/console/login")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("lienthong serve answers %d on /console/login: it does not mount the console (server.Options.Console)", resp.StatusCode)
	}
	return s
}

func randomWord() string {
	b := make([]byte, 6)
	rand.Read(b)
	return fmt.Sprintf("%x", b)
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// follow clicks a link or a form's button and waits for the page it
// brings: the old page's elements must not answer for the new one's.
func follow(sel string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		if _, err := chromedp.Evaluate[bool](`window.ltOld = true`)(ctx, t); err != nil {
			return chromedp.Void{}, err
		}
		if _, err := chromedp.Click(chromedp.CSS(sel))(ctx, t); err != nil {
			return chromedp.Void{}, err
		}
		for {
			// While the page changes, evaluating may fail: try again.
			if loaded, err := chromedp.Evaluate[bool](`window.ltOld !== true && document.readyState === "complete"`)(ctx, t); err == nil && loaded {
				return chromedp.Void{}, nil
			}
			select {
			case <-ctx.Done():
				return chromedp.Void{}, fmt.Errorf("no new page after clicking %s: %w", sel, ctx.Err())
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
}

// TestConsoleInBrowser: a department officer logs in with the
// department's token, registers a source on the department's real
// PostgreSQL table (a first try with a cursor column that does not exist
// is refused with the check's problem), uploads the birth-registration
// mapping, tests it on live records, activates it, runs the stream, reads
// the rejects (every fixture.BadEvery-th row has no name) and exports
// them, then switches to English. Each page is checked for what it shows
// and saved as a screenshot in the test's artifact directory; no page
// shows the connection's password.
func TestConsoleInBrowser(t *testing.T) {
	svc := startService(t)
	ctx := browser(t)
	dir := t.ArtifactDir()
	var shots []string
	shot := func(name string) {
		t.Helper()
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		file := filepath.Join(dir, name+".png")
		if err := os.WriteFile(file, png, 0o644); err != nil {
			t.Fatal(err)
		}
		shots = append(shots, file)
	}
	t.Cleanup(func() { t.Logf("screenshots:\n%s", strings.Join(shots, "\n")) })
	// Each step has its own deadline, so a page that does not show what
	// the step waits for fails the test with the page it shows instead.
	run := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		step, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if err := chromedp.Do(step, actions...); err != nil {
			body, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body")))
			t.Fatalf("%s: %v; the page shows:\n%s", what, err, body)
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return strings.TrimSpace(s)
	}
	// html returns the page's markup and checks it holds neither the
	// source's password nor the token.
	html := func() string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("html")))
		if err != nil {
			t.Fatalf("page markup: %v", err)
		}
		if strings.Contains(s, svc.secret) {
			t.Fatalf("the page shows the source's password:\n%s", s)
		}
		if strings.Contains(s, svc.token) {
			t.Fatalf("the page shows the token")
		}
		return s
	}
	want := func(what, got, sub string) {
		t.Helper()
		if !strings.Contains(got, sub) {
			t.Errorf("%s: %q does not contain %q", what, got, sub)
		}
	}

	// Log in.
	// The first action starts the browser, which lives as long as the
	// context of that call: not one with a step's deadline.
	if err := chromedp.Do(ctx, chromedp.Navigate(svc.url+"/console/")); err != nil {
		t.Fatal(err)
	}
	run("the login page", chromedp.WaitVisible(chromedp.CSS("#token")))
	shot("01-login")
	run("log in", chromedp.SendKeys(chromedp.CSS("#token"), svc.token),
		follow("#login"),
		chromedp.WaitVisible(chromedp.CSS("#who")))
	want("who", text("#who"), "Đơn vị: tu-phap")
	want("sources page", text("main"), "Đơn vị chưa đăng ký nguồn dữ liệu nào.")
	html()
	shot("02-sources-empty")

	// Register a source; the first try names a cursor the table lacks.
	fill := func(cursor string) {
		t.Helper()
		run("fill the registration form",
			chromedp.WaitVisible(chromedp.CSS("#source-form")),
			chromedp.SetValue(chromedp.CSS("#name"), "ho-tich"),
			chromedp.SetValue(chromedp.CSS("#kind"), "postgres"),
			chromedp.SetValue(chromedp.CSS("#secret"), svc.srcDSN),
			chromedp.SetValue(chromedp.CSS("#stream"), "khai-sinh"),
			chromedp.SetValue(chromedp.CSS("#table"), "khai_sinh"),
			chromedp.SetValue(chromedp.CSS("#key"), "id"),
			chromedp.SetValue(chromedp.CSS("#cursor"), cursor),
			chromedp.SetValue(chromedp.CSS("#mode"), "incremental"),
		)
	}
	run("open the registration form", follow("#nav-new"))
	fill("ngay_sua")
	shot("03-register-form")
	run("register (refused)", follow("#register"),
		chromedp.WaitVisible(chromedp.CSS("#problems, #general, #err-cursor")))
	html()
	want("refused registration", text("#problems"), "ngay_sua")
	secretValue, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS("#secret")))
	if err != nil {
		t.Fatal(err)
	}
	if secretValue != "" {
		t.Errorf("the refused form gives the secret back in its input")
	}
	shot("04-register-refused")
	fill("ngay_cap_nhat")
	run("register", follow("#register"),
		chromedp.WaitVisible(chromedp.CSS("#flash")))
	want("flash", text("#flash"), "Đã đăng ký nguồn ho-tich.")
	want("stream page", text("h1"), "Luồng khai-sinh")
	want("stream facts", text("#facts"), "khai_sinh")
	want("no mapping yet", text("#active"), "chưa có ánh xạ")
	html()

	// Upload the birth-registration mapping, test it on live records.
	mapping, err := examples.Mappings.ReadFile("mappings/khai-sinh.yaml")
	if err != nil {
		t.Fatal(err)
	}
	run("upload the mapping", chromedp.SetValue(chromedp.CSS("#text"), string(mapping)),
		follow("#upload"),
		chromedp.WaitVisible(chromedp.CSS("#mapping-text")))
	want("flash", text("#flash"), "Đã tải lên phiên bản 1.")
	want("mapping text", text("#mapping-text"), "kind: birth_registration")
	shot("05-mapping")
	// The sample reaches the first bad row.
	const sample = fixture.BadEvery + 10
	run("test the mapping", chromedp.SetValue(chromedp.CSS("#limit"), strconv.Itoa(sample)),
		follow("#test"),
		chromedp.WaitVisible(chromedp.CSS("#summary")))
	if got := text("#n-records"); got != strconv.Itoa(sample) {
		t.Errorf("the test read %s records, want %d", got, sample)
	}
	if mapped, rejected := text("#n-mapped"), text("#n-rejected"); mapped != strconv.Itoa(sample-1) || rejected != "1" {
		t.Errorf("the test mapped %s and rejected %s of %d, want %d and 1", mapped, rejected, sample, sample-1)
	}
	want("test reasons", text("#report-reasons"), "required_missing")
	want("test reasons", text("#report-reasons"), "Thiếu trường bắt buộc")
	want("the first sample is the rejected one", text("#record-0 summary"), "bị từ chối")
	want("the rejected sample's violation", text("#record-0 .violations"), "full_name")
	shot("06-mapping-test")

	// Activate it and run the stream.
	run("activate", follow("#activate"), chromedp.WaitVisible(chromedp.CSS("#flash")))
	want("flash", text("#flash"), "Đã kích hoạt phiên bản 1.")
	want("active", text("#active"), "v1")
	run("trigger", follow("#trigger"), chromedp.WaitVisible(chromedp.CSS("#flash")))
	want("flash", text("#flash"), "Đã yêu cầu đồng bộ")
	streamURL := svc.url + "/console/d/tu-phap/sources/ho-tich/streams/khai-sinh"
	var runID string
	finished := regexp.MustCompile(`id="run-(\d+)"[^§]*?class="status (succeeded|failed|abandoned|cancelled)"`)
	for deadline := time.Now().Add(2 * time.Minute); runID == ""; time.Sleep(time.Second) {
		if time.Now().After(deadline) {
			t.Fatalf("no run of the stream ended within 2 minutes:\n%s", tail(svc.stderr.String(), 40))
		}
		run("reload the stream page", chromedp.Navigate(streamURL), chromedp.WaitVisible(chromedp.CSS("#facts")))
		if m := finished.FindStringSubmatch(html()); m != nil {
			if m[2] != "succeeded" {
				t.Fatalf("run %s ended %s", m[1], m[2])
			}
			runID = m[1]
		}
	}
	shot("07-stream")
	bad := sourceRows / fixture.BadEvery
	run("open the run", follow("#run-"+runID+" a"), chromedp.WaitVisible(chromedp.CSS("#counts")))
	want("run status", text("#status"), "thành công")
	if got := text("#c-read"); got != strconv.Itoa(sourceRows) {
		t.Errorf("the run read %s rows, want %d", got, sourceRows)
	}
	if ins, rej := text("#c-inserted"), text("#c-rejected"); ins != strconv.Itoa(sourceRows-bad) || rej != strconv.Itoa(bad) {
		t.Errorf("the run inserted %s and rejected %s, want %d and %d", ins, rej, sourceRows-bad, bad)
	}
	shot("08-run")

	// A second mapping version, activated, then the roll-back to the first.
	v2 := strings.Replace(string(mapping), `version: "2025.2"`, `version: "2025.3"`, 1)
	run("upload version 2", chromedp.Navigate(streamURL), chromedp.WaitVisible(chromedp.CSS("#text")),
		chromedp.SetValue(chromedp.CSS("#text"), v2), follow("#upload"), chromedp.WaitVisible(chromedp.CSS("#mapping-text")))
	run("activate version 2", follow("#activate"), chromedp.WaitVisible(chromedp.CSS("#flash")))
	want("flash", text("#flash"), "Đã kích hoạt phiên bản 2.")
	want("active", text("#active"), "v2")
	want("roll-back button", text("#mapping-1"), "Quay lại phiên bản này")
	shot("09-stream-two-versions")
	run("roll back", follow("#mapping-1 button.activate"), chromedp.WaitVisible(chromedp.CSS("#flash")))
	want("flash", text("#flash"), "Đã kích hoạt phiên bản 1.")
	want("active", text("#active"), "v1")
	want("version 2 can be activated again", text("#mapping-2"), "Kích hoạt")

	// The sources page shows the stream's health and freshness.
	run("sources", follow("#nav-sources"), chromedp.WaitVisible(chromedp.CSS("#stream-ho-tich-khai-sinh")))
	row := text("#stream-ho-tich-khai-sinh")
	want("health", row, "Có bản ghi bị từ chối")
	want("last run", row, "thành công")
	want("mapping", row, "v1")
	if got := text("#stream-ho-tich-khai-sinh .rejects"); got != strconv.Itoa(bad) {
		t.Errorf("rejects outstanding %q, want %d", got, bad)
	}
	if fresh := text("#stream-ho-tich-khai-sinh .lastsuccess .ago"); !regexp.MustCompile(`^\((vừa xong|\d+ (phút|giờ|ngày) trước)\)$`).MatchString(fresh) {
		t.Errorf("freshness %q", fresh)
	}
	shot("10-sources")

	// The rejects: by reason, then each record with its field and message.
	run("rejects", follow("#nav-rejects"), chromedp.WaitVisible(chromedp.CSS("#filters")))
	reasons := text("#reasons")
	want("rejects by reason", reasons, "required_missing")
	want("rejects by reason", text("#reason-required_missing td.n"), strconv.Itoa(bad))
	want("rejects total", text("#total"), fmt.Sprintf("Tổng cộng %d bản ghi.", bad))
	first := text("#reject-0")
	want("a reject", first, "full_name")
	keys, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll(".reject .key")).map(e => e.textContent).sort((a, b) => a - b)`))
	if err != nil {
		t.Fatal(err)
	}
	var wantKeys []string
	for id := fixture.BadEvery; id <= sourceRows; id += fixture.BadEvery {
		wantKeys = append(wantKeys, strconv.Itoa(id))
	}
	if strings.Join(keys, " ") != strings.Join(wantKeys, " ") {
		t.Errorf("the page lists the rejects of keys %v, want %v", keys, wantKeys)
	}
	want("a reject's message", text("#message-0"), "full_name")
	run("open a record", chromedp.Click(chromedp.CSS("#reject-0 summary")))
	want("the record as read", text("#reject-0 table.fields"), "so_dang_ky")
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("button.retry").length`)); err != nil || n != 1 {
		t.Errorf("%d retry buttons (%v) for one stream and one reason, want 1", n, err)
	}
	shot("11-rejects")

	// Filter by stream and reason: the CSV link follows the filter.
	run("filter", chromedp.SetValue(chromedp.CSS("#f-stream"), "ho-tich/khai-sinh"),
		chromedp.SetValue(chromedp.CSS("#f-reason"), "required_missing"), follow("#filter"),
		chromedp.WaitVisible(chromedp.CSS("#reject-0")))
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll(".reject").length`)); err != nil || n != bad {
		t.Errorf("the filtered page lists %d rejects (%v), want %d", n, err, bad)
	}

	// The CSV export, with the browser's session.
	href, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS("#csv"), "href"))
	if err != nil || !href.Exists {
		t.Fatalf("csv link: %v", err)
	}
	cookies, err := chromedp.Run(ctx, func(ctx context.Context, t *chromedp.Target) (network.GetCookiesResult, error) {
		return cdp.Call(ctx, t, network.GetCookies, network.GetCookiesParams{URLs: []string{svc.url + "/console/"}})
	})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodGet, svc.url+href.Value, nil)
	for _, c := range cookies.Cookies {
		req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	csvBody, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(string(csvBody), "\uFEFF") || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
		t.Errorf("CSV export: %d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), tail(string(csvBody), 3))
	}
	if !strings.Contains(href.Value, "reason=required_missing") || !strings.Contains(href.Value, "stream=ho-tich%2Fkhai-sinh") {
		t.Errorf("the CSV link %q does not carry the filter", href.Value)
	}
	if lines := strings.Count(strings.TrimSpace(string(csvBody)), "\n"); lines != bad {
		t.Errorf("the CSV has %d lines after its header, want %d rejects", lines, bad)
	}

	// Retry the rejects: they are mapped again through the active
	// mapping, and still lack a name.
	run("retry", follow("#reject-0 button.retry"), chromedp.WaitVisible(chromedp.CSS("#counts")))
	want("flash", text("#flash"), "Đã thử lại các bản ghi bị từ chối.")
	want("retry run", text("#run-facts"), "Thử lại bản ghi bị từ chối")
	if got := text("#c-rejected"); got != strconv.Itoa(bad) {
		t.Errorf("the retry rejected %s, want %d", got, bad)
	}
	shot("12-retry-run")

	// A running run has a cancel button; the request reaches the run's
	// heartbeat. (The test holds the run, as a replica would.)
	held, err := svc.st.StartRun(context.Background(), state.Ref{Department: "tu-phap", Source: "ho-tich", Stream: "khai-sinh"}, "full_refresh")
	if err != nil {
		t.Fatal(err)
	}
	run("a running run", chromedp.Navigate(fmt.Sprintf("%s/console/d/tu-phap/runs/%d", svc.url, held.ID)), chromedp.WaitVisible(chromedp.CSS("#cancel")))
	want("running", text("#status"), "đang chạy")
	shot("13-running-run")
	run("cancel", follow("#cancel"), chromedp.WaitVisible(chromedp.CSS("#flash")))
	want("flash", text("#flash"), "Đã yêu cầu dừng")
	if err := svc.st.Heartbeat(context.Background(), held.ID); !errors.Is(err, state.ErrCancelRequested) {
		t.Errorf("the run's heartbeat after the cancel button: %v, want a cancel request", err)
	}
	if err := svc.st.FinishRun(context.Background(), held.ID, held.Ref, state.Finish{Status: state.StatusCancelled, Error: "cancelled"}); err != nil {
		t.Fatal(err)
	}
	// The department's runs: the triggered one, the retry, the cancelled.
	run("runs", follow("#nav-runs"), chromedp.WaitVisible(chromedp.CSS("#runs")))
	runsText := text("#runs")
	for _, s := range []string{"thành công", "Thử lại bản ghi bị từ chối", "đã dừng"} {
		want("runs page", runsText, s)
	}
	shot("14-runs")
	run("back to the rejects", chromedp.Navigate(svc.url+"/console/d/tu-phap/rejects"), chromedp.WaitVisible(chromedp.CSS("#filters")))

	// English.
	run("English", follow("#lang-en"), chromedp.WaitVisible(chromedp.CSS("#filters")))
	want("English heading", text("h1"), "Rejects of tu-phap")
	want("English label", text("main"), "By reason")
	want("English meaning", reasons+text("#reasons"), "A required field has no value")
	html()
	shot("15-rejects-en")
	run("sources in English", follow("#nav-sources"), chromedp.WaitVisible(chromedp.CSS("#stream-ho-tich-khai-sinh")))
	want("English sources", text("#stream-ho-tich-khai-sinh"), "Has rejects")
	want("English columns", text("thead"), "Last success")
	shot("16-sources-en")

	// Log out.
	run("log out", follow("#logout"), chromedp.WaitVisible(chromedp.CSS("#token")))
	want("logged out", text("#message"), "You have logged out.")
}
