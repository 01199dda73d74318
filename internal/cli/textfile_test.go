package cli_test

import (
	"os"
	"strings"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// TestTextfileHasEveryStream: a one-shot sync of one stream writes, in its
// node_exporter textfile, the series of every configured stream (zero for
// the stream not synced), its rejects outstanding from the ledger, and no
// go_ or process_ series, which node_exporter has of its own.
func TestTextfileHasEveryStream(t *testing.T) {
	cfg, env, _, _ := department(t, 120)
	body, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	// A second stream on the same table, not synced here.
	second := `          - name: cong-dan
            table: khai_sinh
            primary_key: [id]
            cursor: ngay_cap_nhat
            mapping: mappings/khai-sinh.yaml
`
	if err := os.WriteFile(cfg, append(body, second...), 0o644); err != nil {
		t.Fatal(err)
	}
	path := t.TempDir() + "/lienthong.prom"
	if out, err := child(t, env, "sync", "--config", cfg, "--stream", "khai-sinh", "--metrics-file", path).CombinedOutput(); err != nil {
		t.Fatalf("sync: %v\n%s", err, out)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(f)
	if err != nil {
		t.Fatal(err)
	}
	value := func(name, stream string) (float64, bool) {
		for _, m := range families[name].GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "stream" && l.GetValue() == stream {
					return m.GetCounter().GetValue() + m.GetGauge().GetValue(), true
				}
			}
		}
		return 0, false
	}
	for _, c := range []struct {
		name, stream string
		want         float64
	}{
		{"lienthong_runs_total", "khai-sinh", 1},
		{"lienthong_runs_total", "cong-dan", 0},
		{"lienthong_run_failures_total", "cong-dan", 0},
		// One row in 50 has no name: rows 50 and 100.
		{"lienthong_stream_rejects_outstanding", "khai-sinh", 2},
		{"lienthong_stream_rejects_outstanding", "cong-dan", 0},
		{"lienthong_stream_consecutive_failures", "khai-sinh", 0},
	} {
		if got, ok := value(c.name, c.stream); !ok || got != c.want {
			t.Errorf("%s{stream=%q} = %v (present: %v), want %v", c.name, c.stream, got, ok, c.want)
		}
	}
	if _, ok := value("lienthong_stream_cursor_timestamp_seconds", "khai-sinh"); !ok {
		t.Error("the textfile has no cursor time for khai-sinh")
	}
	for name := range families {
		if strings.HasPrefix(name, "go_") || strings.HasPrefix(name, "process_") {
			t.Errorf("the textfile has %s, which node_exporter exports itself", name)
		}
	}
}
