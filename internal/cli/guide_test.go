package cli_test

import (
	"bytes"
	"context"
	"database/sql"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/lienthong/lienthong/config"
	"github.com/lienthong/lienthong/examples"
	"github.com/lienthong/lienthong/internal/cli"
	"github.com/lienthong/lienthong/internal/testdb"
)

// guide is the README's five-minute guide: its code blocks and the
// lienthong commands it asks the reader to run, in order.
type guide struct {
	text    string
	blocks  []string // every fenced block, with its language line
	exports map[string]bool
	// commands are the ./lienthong command lines, comments cut.
	commands [][]string
}

func readGuide(t *testing.T) guide {
	t.Helper()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	const title = "## Sync a PostgreSQL table in five minutes"
	start := strings.Index(string(readme), title)
	if start < 0 {
		t.Fatalf("README has no %q section", title)
	}
	text := string(readme)[start+len(title):]
	if end := strings.Index(text, "\n## "); end >= 0 {
		text = text[:end]
	}
	g := guide{text: text, exports: map[string]bool{}}
	fence := regexp.MustCompile("(?s)```([a-z]*)\n(.*?)```")
	for _, m := range fence.FindAllStringSubmatch(text, -1) {
		g.blocks = append(g.blocks, m[1]+"\n"+dedent(m[2]))
	}
	for _, m := range regexp.MustCompile(`export ([A-Z_]+)=`).FindAllStringSubmatch(text, -1) {
		g.exports[m[1]] = true
	}
	// Commands in shell blocks and in the prose's `./lienthong ...` spans,
	// in the order the guide gives them.
	cmd := regexp.MustCompile("(?m)(?:^\\s*|`)\\./lienthong ([^`#\n]*)")
	for _, m := range cmd.FindAllStringSubmatch(text, -1) {
		g.commands = append(g.commands, strings.Fields(m[1]))
	}
	return g
}

// dedent removes the indentation a Markdown list gives a code block.
func dedent(s string) string {
	lines := strings.Split(s, "\n")
	indent := -1
	for _, l := range lines {
		if strings.TrimSpace(l) == "" {
			continue
		}
		if n := len(l) - len(strings.TrimLeft(l, " ")); indent < 0 || n < indent {
			indent = n
		}
	}
	for i, l := range lines {
		if len(l) >= indent && indent > 0 {
			lines[i] = l[indent:]
		}
	}
	return strings.Join(lines, "\n")
}

func (g guide) block(t *testing.T, lang, holding string) string {
	t.Helper()
	for _, b := range g.blocks {
		if strings.HasPrefix(b, lang+"\n") && strings.Contains(b, holding) {
			return strings.TrimPrefix(b, lang+"\n")
		}
	}
	t.Fatalf("the guide has no %s block with %q", lang, holding)
	return ""
}

// normalise cuts a YAML line's comment and collapses its spaces, to find
// an excerpt's lines in the file it was taken from.
func normalise(line string) string {
	if i := strings.Index(line, " #"); i >= 0 {
		line = line[:i]
	}
	return strings.Join(strings.Fields(line), " ")
}

// TestFiveMinuteGuide follows the README's guide mechanically with
// examples/lienthong.yaml as the reader's configuration: only what the
// guide exports is in the environment, the excerpts it shows are the
// example's, and every command it gives succeeds against a department
// database with the table it describes.
func TestFiveMinuteGuide(t *testing.T) {
	g := readGuide(t)
	if len(g.commands) < 6 || !g.exports["HOTICH_DSN"] {
		t.Fatalf("the guide lost its steps: exports %v, commands %v", g.exports, g.commands)
	}

	// Step 3: the mapping shown is an excerpt of the example mapping.
	mappingFile, err := examples.Mappings.ReadFile("mappings/khai-sinh.yaml")
	if err != nil {
		t.Fatal(err)
	}
	lines := map[string]bool{}
	for _, l := range strings.Split(string(mappingFile), "\n") {
		lines[normalise(l)] = true
	}
	for _, l := range strings.Split(g.block(t, "yaml", "kind: birth_registration"), "\n") {
		if n := normalise(l); n != "" && !strings.HasPrefix(n, "#") && !lines[n] {
			t.Errorf("the guide's mapping line %q is not in examples/mappings/khai-sinh.yaml", l)
		}
	}

	// Step 4: the stream shown is the example's, and the example needs no
	// secret but those the guide exports: national is left out, so the
	// embedded store is used.
	dsn := testdb.Postgres(t)
	env := map[string]string{}
	for name := range g.exports {
		env[name] = dsn
	}
	getenv := func(k string) string { return env[k] }
	exampleYAML, err := os.ReadFile("../../examples/lienthong.yaml")
	if err != nil {
		t.Fatal(err)
	}
	example, err := config.Parse("examples/lienthong.yaml", exampleYAML, getenv)
	if err != nil {
		t.Fatalf("examples/lienthong.yaml with the guide's environment: %v", err)
	}
	if example.National.DSNEnv != "" || example.National.DSNFile != "" {
		t.Errorf("the guide says to leave national out; the example sets it")
	}
	snippet, err := config.Parse("snippet.yaml", []byte(g.block(t, "yaml", "departments:")), getenv)
	if err != nil {
		t.Fatalf("the guide's configuration: %v", err)
	}
	for _, ref := range snippet.Streams() {
		found, err := example.FindStreams(ref.FullName())
		if err != nil {
			t.Fatalf("the guide's stream is not in the example: %v", err)
		}
		want, got := found[0], ref
		if got.Source.Kind != want.Source.Kind || got.Source.DSNEnv != want.Source.DSNEnv || got.Stream.Table != want.Stream.Table ||
			strings.Join(got.Stream.PrimaryKey, ",") != strings.Join(want.Stream.PrimaryKey, ",") || got.Stream.Cursor != want.Stream.Cursor ||
			got.Stream.LookBack != want.Stream.LookBack || filepath.Base(got.Stream.Mapping) != filepath.Base(want.Stream.Mapping) {
			t.Errorf("the guide's stream %s differs from the example's:\n%+v\n%+v", ref.FullName(), *got.Stream, *want.Stream)
		}
	}

	// The department database the guide describes: a birth register
	// with the mapping's columns and a cursor column updated_at.
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE khai_sinh (id INTEGER PRIMARY KEY, so_dang_ky TEXT, co_quan_dang_ky TEXT, ngay_dang_ky TEXT,
		ho_ten TEXT, ngay_sinh TEXT, gioi_tinh TEXT, so_dinh_danh TEXT, noi_sinh TEXT, que_quan TEXT, dan_toc TEXT, quoc_tich TEXT,
		ho_ten_me TEXT, so_dinh_danh_me TEXT, ho_ten_cha TEXT, so_dinh_danh_cha TEXT, updated_at TIMESTAMPTZ NOT NULL DEFAULT now());
		CREATE INDEX ON khai_sinh (updated_at, id);
		INSERT INTO khai_sinh (id, so_dang_ky, co_quan_dang_ky, ngay_dang_ky, ho_ten, ngay_sinh, gioi_tinh, so_dinh_danh)
		SELECT g, g || '/2024', 'UBND xã Thạch Kênh', '05/03/2024', 'Nguyễn Văn An ' || g,
			CASE WHEN g = 7 THEN '31/02/2024' ELSE '01/03/2024' END, 'Nam', '04220' || '24' || lpad(g::text, 5, '0')
		FROM generate_series(1, 40) g`); err != nil {
		t.Fatal(err)
	}

	// The reader's directory: the example configuration and mappings.
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "lienthong.yaml"), exampleYAML, 0o644)
	os.MkdirAll(filepath.Join(dir, "mappings"), 0o755)
	fs.WalkDir(examples.Mappings, "mappings", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			body, _ := examples.Mappings.ReadFile(path)
			os.WriteFile(filepath.Join(dir, path), body, 0o644)
		}
		return err
	})
	t.Chdir(dir)
	outputs := map[string]string{}
	for _, args := range g.commands {
		var out, errOut bytes.Buffer
		code := cli.Main(context.Background(), args, cli.Env{Stdout: &out, Stderr: &errOut, Getenv: getenv})
		if code != 0 {
			t.Errorf("./lienthong %s: exit %d\n%s\n%s", strings.Join(args, " "), code, out.String(), errOut.String())
		}
		outputs[strings.Join(args, " ")] += out.String()
	}
	if runs := outputs["runs"]; strings.Count(runs, "succeeded") != 2 || !strings.Contains(runs, "tu-phap/ho-tich/khai-sinh") || !strings.Contains(runs, "tu-phap/ho-tich/cong-dan") {
		t.Errorf("./lienthong runs after the first sync:\n%s", runs)
	}
	if rejects := outputs["rejects --reason bad_date"]; !strings.Contains(rejects, `"31/02/2024"`) {
		t.Errorf("./lienthong rejects --reason bad_date does not show the bad date:\n%s", rejects)
	}
}
