package cli_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lienthong/lienthong/connectors"
	"github.com/lienthong/lienthong/examples"
	"github.com/lienthong/lienthong/internal/cli"
)

// listingSource is a connector kind, registered for these tests, whose
// streams' columns are its options: it tells its columns and gives advice
// as the SQL, file and program connectors do, without a department system.
type listingSource struct{ opts map[string]any }

func init() {
	connectors.Register("listing-test", func(_ context.Context, cfg connectors.Config) (connectors.Source, error) {
		return listingSource{cfg.Options}, nil
	})
}

func (s listingSource) Check(context.Context, connectors.Stream) error { return nil }
func (s listingSource) Close() error                                   { return nil }
func (s listingSource) Read(context.Context, connectors.ReadRequest) (connectors.Reader, error) {
	return nil, fmt.Errorf("listing-test sources are not read")
}

func (s listingSource) Columns(_ context.Context, st connectors.Stream) ([]string, bool, error) {
	var cols []string
	for _, c := range s.opts["columns"].([]any) {
		cols = append(cols, c.(string))
	}
	return cols, true, nil
}

func (s listingSource) Advise(_ context.Context, st connectors.Stream) ([]string, error) {
	return []string{fmt.Sprintf("table %q has no index on (ngay_cap_nhat, id): every page scans the table; create one", st.Table)}, nil
}

// TestCheckMappings: check loads and type-checks each stream's mapping,
// compares its columns with the stream's, and prints the connector's
// advice as warnings that do not fail the check.
func TestCheckMappings(t *testing.T) {
	dir := t.TempDir()
	body, err := examples.Mappings.ReadFile("mappings/khai-sinh.yaml")
	if err != nil {
		t.Fatal(err)
	}
	wrong := strings.NewReplacer("ho_ten_me, so_dinh_danh_me", "ho_ten_mej, so_dinh_danh_me",
		"name(ho_ten_me)", "name(ho_ten_mej)").Replace(string(body))
	broken := strings.Replace(string(body), "name(ho_ten)", "nam(ho_ten)", 1)
	for name, text := range map[string]string{"good.yaml": string(body), "wrong.yaml": wrong, "broken.yaml": broken} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg := filepath.Join(dir, "lienthong.yaml")
	stream := func(name, mapping string) string {
		return fmt.Sprintf("          - {name: %s, table: khai_sinh, primary_key: [id], mapping: %s}\n", name, mapping)
	}
	if err := os.WriteFile(cfg, []byte(`departments:
  - name: tu-phap
    sources:
      - name: ho-tich
        kind: listing-test
        options:
          columns: [id, so_dang_ky, co_quan_dang_ky, ngay_dang_ky, ho_ten, ngay_sinh, gioi_tinh, so_dinh_danh, noi_sinh,
                    que_quan, dan_toc, quoc_tich, ho_ten_me, so_dinh_danh_me, ho_ten_cha, so_dinh_danh_cha, ngay_cap_nhat]
        streams:
`+stream("khai-sinh", "good.yaml")+stream("sai-cot", "wrong.yaml")+stream("hong", "broken.yaml")), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	code := cli.Main(context.Background(), []string{"check", "ho-tich", "--config", cfg},
		cli.Env{Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" }})
	report := out.String()
	if code != 1 || !strings.Contains(errOut.String(), "2 of 4 checks") {
		t.Fatalf("check: exit %d, want 1 with 2 of 4 checks failed\n%s\n%s", code, report, errOut.String())
	}
	for _, want := range []string{
		"ok    stream khai-sinh\n",
		`WARN  stream khai-sinh: table "khai_sinh" has no index on (ngay_cap_nhat, id)`,
		`FAIL  stream sai-cot: engine: the mapping does not fit the stream: mapping ` + filepath.Join(dir, "wrong.yaml") + ` reads column "ho_ten_mej" that stream "sai-cot" does not have; the stream's columns are id, so_dang_ky,`,
		"FAIL  stream hong: ", "broken.yaml", "nam",
	} {
		if !strings.Contains(report, want) {
			t.Errorf("check report lacks %q:\n%s", want, report)
		}
	}
}
