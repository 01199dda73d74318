// Package deploy_test checks the deployment files against the code and
// against Prometheus's own tools: the alerting rules pass their unit tests,
// every dashboard query parses and names only metrics lienthong exposes,
// and the compose files agree with each other.
package deploy_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/lienthong/lienthong/config"
	"github.com/lienthong/lienthong/internal/database"
	"github.com/lienthong/lienthong/internal/testdb"
	"github.com/lienthong/lienthong/metrics"
	"github.com/lienthong/lienthong/sync/state"
)

// promtool returns the path of promtool, failing the test when it is
// missing: scripts/test installs the Debian package prometheus.
func promtool(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("promtool")
	if err != nil {
		t.Fatal("promtool is not installed: run scripts/test, which installs the Debian package prometheus, or apt-get install prometheus")
	}
	return p
}

func run(t *testing.T, dir string, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Errorf("%s %s: %v\n%s", filepath.Base(name), strings.Join(args, " "), err, out)
	}
}

// TestAlertRules: the rules are valid, and their unit tests pass.
func TestAlertRules(t *testing.T) {
	p := promtool(t)
	run(t, "prometheus", p, "check", "rules", "alerts.yml")
	run(t, "prometheus", p, "test", "rules", "alerts_test.yml")
	run(t, "prometheus", p, "check", "config", "prometheus.yml")
}

type ruleFile struct {
	Groups []struct {
		Name  string
		Rules []struct {
			Alert  string `yaml:"alert"`
			Record string `yaml:"record"`
			Expr   string `yaml:"expr"`
		}
	}
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// TestEveryAlertIsUnitTested: each alert of alerts.yml is evaluated by at
// least one unit test that expects it to fire, so none is untested.
func TestEveryAlertIsUnitTested(t *testing.T) {
	var rules ruleFile
	readYAML(t, "prometheus/alerts.yml", &rules)
	var tests struct {
		Tests []struct {
			AlertRuleTest []struct {
				Alertname string `yaml:"alertname"`
				ExpAlerts []any  `yaml:"exp_alerts"`
			} `yaml:"alert_rule_test"`
		}
	}
	readYAML(t, "prometheus/alerts_test.yml", &tests)
	fires := map[string]bool{}
	for _, tc := range tests.Tests {
		for _, a := range tc.AlertRuleTest {
			if len(a.ExpAlerts) > 0 {
				fires[a.Alertname] = true
			}
		}
	}
	n := 0
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			n++
			if r.Alert != "" && !fires[r.Alert] {
				t.Errorf("alert %s has no unit test in which it fires", r.Alert)
			}
		}
	}
	if n < 6 {
		t.Errorf("alerts.yml has %d rules, want at least the 6 the operators rely on", n)
	}
}

// knownMetrics returns the names of every series family a serving
// lienthong exposes, with the _bucket, _sum and _count of its histograms.
func knownMetrics(t *testing.T) map[string]bool {
	t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m, err := metrics.New(reg)
	if err != nil {
		t.Fatal(err)
	}
	stream := metrics.Stream{Department: "d", Source: "s", Stream: "x", Interval: time.Hour}
	m.Init([]metrics.Stream{stream})
	m.HTTPSource("d", "s").Attempt(200)
	m.LastSuccess.WithLabelValues("d", "s", "x").SetToCurrentTime()
	db, err := database.Open(context.Background(), testdb.SQLite(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	st := state.New(db)
	if _, err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	ref := state.Ref{Department: "d", Source: "s", Stream: "x"}
	r, err := st.StartRun(context.Background(), ref, "incremental")
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CommitBatch(context.Background(), r.ID, ref, state.Batch{Checkpoint: json.RawMessage(`{"cursor":"2026-01-01T00:00:00Z"}`)}); err != nil {
		t.Fatal(err)
	}
	reg.MustRegister(metrics.NewStateCollector(st, []metrics.Stream{stream}),
		metrics.NewStoreCollector(map[string]func(context.Context) error{"national": st.Ping}))
	if err := metrics.RegisterBuildInfo(reg, "test"); err != nil {
		t.Fatal(err)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{"up": true}
	for _, mf := range mfs {
		known[mf.GetName()] = true
		if mf.GetType().String() == "HISTOGRAM" {
			for _, s := range []string{"_bucket", "_sum", "_count"} {
				known[mf.GetName()+s] = true
			}
		}
	}
	return known
}

// metricName finds the lienthong metric names an expression uses: every
// name lienthong exposes starts with lienthong_, and no label, function
// or keyword does.
var metricName = regexp.MustCompile(`\blienthong_[a-z0-9_]+\b`)

// grafanaVars are the values Grafana puts in place of its variables when it
// sends a query.
var grafanaVars = strings.NewReplacer("$__rate_interval", "5m", "$__interval", "1m", "$__range", "1d",
	"$department", ".*", "$source", ".*", "$stream", ".*")

// labelValues is Grafana's variable query, not PromQL: its metric and
// matchers are a series selector.
var labelValues = regexp.MustCompile(`^label_values\((.*),\s*[a-z_]+\)$`)

// TestDashboardQueries: every query of the Grafana dashboard, once Grafana
// has put its variables in, parses as PromQL (promtool checks it as a
// recording rule) and names only metrics that exist.
func TestDashboardQueries(t *testing.T) {
	b, err := os.ReadFile("grafana/lienthong.json")
	if err != nil {
		t.Fatal(err)
	}
	exprs := dashboardQueries(t, b)
	if len(exprs) < 15 {
		t.Fatalf("found %d queries in the dashboard; the parsing of its JSON is broken", len(exprs))
	}
	var rules ruleFile
	readYAML(t, "prometheus/alerts.yml", &rules)
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			exprs = append(exprs, r.Expr)
		}
	}
	known := knownMetrics(t)
	type rule struct {
		Record string `yaml:"record"`
		Expr   string `yaml:"expr"`
	}
	var recs []rule
	for i, e := range exprs {
		for _, name := range metricName.FindAllString(e, -1) {
			if !known[name] {
				t.Errorf("query %q names %s, which lienthong does not expose", e, name)
			}
		}
		recs = append(recs, rule{Record: fmt.Sprintf("dashboard:query_%d", i), Expr: e})
	}
	out, err := yaml.Marshal(map[string]any{"groups": []any{map[string]any{"name": "dashboard", "rules": recs}}})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "queries.yml")
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, ".", promtool(t), "check", "rules", path)
}

// dashboardQueries returns the PromQL of every panel target and variable
// of a dashboard, with Grafana's variables replaced.
func dashboardQueries(t *testing.T, dashboard []byte) []string {
	t.Helper()
	var d struct {
		Panels     []panel
		Templating struct {
			List []struct {
				Query struct {
					Query string
				}
			}
		}
	}
	if err := json.Unmarshal(dashboard, &d); err != nil {
		t.Fatal(err)
	}
	var exprs []string
	var walk func([]panel)
	walk = func(ps []panel) {
		for _, p := range ps {
			for _, tg := range p.Targets {
				if tg.Expr == "" {
					t.Errorf("panel %q has a target without a query", p.Title)
				}
				exprs = append(exprs, grafanaVars.Replace(tg.Expr))
			}
			walk(p.Panels)
		}
	}
	walk(d.Panels)
	for _, v := range d.Templating.List {
		m := labelValues.FindStringSubmatch(v.Query.Query)
		if m == nil {
			t.Errorf("variable query %q is not label_values(selector, label)", v.Query.Query)
			continue
		}
		exprs = append(exprs, grafanaVars.Replace(m[1]))
	}
	return exprs
}

type panel struct {
	Title   string
	Targets []struct {
		Expr string
	}
	Panels []panel
}

// TestDashboardCoversTheQuestions: the panels operators asked for are
// there: throughput, failures, freshness per stream, rejects by reason,
// run durations.
func TestDashboardCoversTheQuestions(t *testing.T) {
	b, err := os.ReadFile("grafana/lienthong.json")
	if err != nil {
		t.Fatal(err)
	}
	all := strings.Join(dashboardQueries(t, b), "\n")
	for _, want := range []string{
		`rate(lienthong_records_total{stage="read"`,
		`lienthong_stream_consecutive_failures`,
		`lienthong_run_failures_total`,
		`time() - max by (department, source, stream) (lienthong_stream_cursor_timestamp_seconds`,
		`sum by (reason) (increase(lienthong_rejects_total`,
		`lienthong_run_duration_seconds_bucket`,
	} {
		if !strings.Contains(all, want) {
			t.Errorf("no dashboard query contains %s", want)
		}
	}
}

// TestComposeWiring: the compose file's services are the ones the other
// files name: Prometheus scrapes both replicas on the port lienthong
// listens on, Grafana's data source is the dashboard's, every mounted file
// exists, and the replicas' configuration parses.
func TestComposeWiring(t *testing.T) {
	var compose struct {
		Services map[string]struct {
			Image   string
			Command []string
			Volumes []string
			Secrets []string
		}
		Secrets map[string]struct{ File string }
	}
	readYAML(t, "docker-compose.yml", &compose)
	for _, s := range []string{"postgres", "lienthong-1", "lienthong-2", "prometheus", "grafana"} {
		if _, ok := compose.Services[s]; !ok {
			t.Errorf("docker-compose.yml has no service %s", s)
		}
	}
	for _, r := range []string{"lienthong-1", "lienthong-2"} {
		if c := compose.Services[r].Command; !slices.Equal(c, []string{"serve"}) {
			t.Errorf("%s runs %v, want serve", r, c)
		}
	}
	for name, s := range compose.Services {
		for _, v := range s.Volumes {
			src, _, _ := strings.Cut(v, ":")
			if strings.HasPrefix(src, ".") {
				if _, err := os.Stat(src); err != nil {
					t.Errorf("service %s mounts %s: %v", name, src, err)
				}
			}
		}
		for _, sec := range s.Secrets {
			if _, ok := compose.Secrets[sec]; !ok {
				t.Errorf("service %s uses secret %s, which is not declared", name, sec)
			}
		}
	}

	// The replicas' configuration, with the DSN secret it names.
	data, err := os.ReadFile("lienthong.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dsn := filepath.Join(t.TempDir(), "lienthong_dsn")
	os.WriteFile(dsn, []byte("postgres://lienthong:pw@postgres:5432/lienthong?sslmode=disable"), 0o600)
	data = []byte(strings.ReplaceAll(string(data), "/run/secrets/lienthong_dsn", dsn))
	cfg, err := config.Parse(filepath.Join(".", "lienthong.yaml"), data, func(string) string { return "" }, config.WithoutSourceSecrets())
	if err != nil {
		t.Fatalf("lienthong.yaml: %v", err)
	}
	_, port, _ := strings.Cut(cfg.Serve.Listen, ":")
	if !strings.HasPrefix(cfg.Serve.Listen, "0.0.0.0:") {
		t.Errorf("serve.listen %q: Prometheus in another container cannot reach it", cfg.Serve.Listen)
	}
	for _, r := range cfg.Streams() {
		if _, err := os.Stat(filepath.Join("..", "examples", "mappings", filepath.Base(r.Stream.Mapping))); err != nil {
			t.Errorf("stream %s: mapping %s is not in examples/mappings, which compose mounts: %v", r.FullName(), r.Stream.Mapping, err)
		}
	}

	var prom struct {
		ScrapeConfigs []struct {
			JobName       string `yaml:"job_name"`
			StaticConfigs []struct {
				Targets []string
			} `yaml:"static_configs"`
		} `yaml:"scrape_configs"`
	}
	readYAML(t, "prometheus/prometheus.yml", &prom)
	var targets []string
	for _, sc := range prom.ScrapeConfigs {
		if sc.JobName == "lienthong" {
			for _, s := range sc.StaticConfigs {
				targets = append(targets, s.Targets...)
			}
		}
	}
	slices.Sort(targets)
	if want := []string{"lienthong-1:" + port, "lienthong-2:" + port}; !slices.Equal(targets, want) {
		t.Errorf("Prometheus job lienthong scrapes %v, want %v (the alerts expect job=\"lienthong\")", targets, want)
	}

	var ds struct {
		Datasources []struct {
			UID string `yaml:"uid"`
			URL string `yaml:"url"`
		}
	}
	readYAML(t, "grafana/provisioning/datasources/prometheus.yml", &ds)
	b, _ := os.ReadFile("grafana/lienthong.json")
	var dash struct {
		Panels []struct {
			Type       string
			Datasource struct{ UID string }
		}
	}
	json.Unmarshal(b, &dash)
	if len(ds.Datasources) != 1 || ds.Datasources[0].URL != "http://prometheus:9090" {
		t.Fatalf("Grafana data sources %+v, want the compose Prometheus", ds.Datasources)
	}
	for _, p := range dash.Panels {
		if p.Type != "row" && p.Datasource.UID != ds.Datasources[0].UID {
			t.Errorf("a panel uses data source %q, Grafana provisions %q", p.Datasource.UID, ds.Datasources[0].UID)
		}
	}
}
