package cli

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/lienthong/lienthong/config"
	"github.com/lienthong/lienthong/connectors"
	"github.com/lienthong/lienthong/internal/mappingtest"
	"github.com/lienthong/lienthong/mapping"
	"github.com/lienthong/lienthong/mapping/vn"
	"github.com/lienthong/lienthong/mapping/vn/units"
)

// runMapping dispatches "lienthong mapping SUBCOMMAND".
func runMapping(ctx context.Context, args []string, env Env) error {
	if len(args) == 0 || args[0] != "test" {
		return usageError{errors.New("usage: lienthong mapping test --mapping FILE --input SAMPLE | --stream NAME [--limit N]")}
	}
	return runMappingTest(ctx, args[1:], env)
}

// runMappingTest maps sample records (a CSV or JSON-lines file, or the first
// records of a live stream) and shows each beside its result, with a
// summary by reason. It writes nothing anywhere: a department officer can
// try a mapping before it syncs anything.
func runMappingTest(ctx context.Context, args []string, env Env) error {
	fs, cfgPath := flags("mapping test", env)
	mappingPath := fs.String("mapping", "", "the mapping `file` to test (default: the stream's)")
	input := fs.String("input", "", "sample records: a CSV `file` with a header row, or JSON lines (.jsonl, .ndjson)")
	stream := fs.String("stream", "", "read sample records from this configured `stream` instead")
	limit := fs.Int("limit", 20, "test at most `n` records")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	if (*input == "") == (*stream == "") {
		return usageError{errors.New("give --input SAMPLE or --stream NAME")}
	}
	if *stream != "" {
		return mappingTestStream(ctx, env, *cfgPath, *stream, *mappingPath, *limit, *asJSON)
	}
	if *mappingPath == "" {
		return usageError{errors.New("give --mapping FILE")}
	}
	// The configuration is optional with --input: it only brings the
	// administrative-unit lists.
	var opts []mapping.Option
	if fileExists(*cfgPath) {
		cfg, err := loadConfig(*cfgPath, env, config.WithoutSourceSecrets())
		if err != nil {
			return err
		}
		if cfg.AdminUnits.Configured() {
			reg, err := loadUnits(cfg)
			if err != nil {
				return err
			}
			opts = append(opts, mapping.WithUnits(reg))
		}
	}
	m, err := mapping.Load(*mappingPath, opts...)
	if err != nil {
		return err
	}
	samples, err := readSamples(*input, *limit)
	if err != nil {
		return err
	}
	return printReport(env, mappingtest.Run(m, samples, time.Now()), *asJSON)
}

// printReport prints a mapping test, as text or JSON.
func printReport(env Env, rep mappingtest.Report, asJSON bool) error {
	if asJSON {
		return writeJSON(env.Stdout, map[string]any{"mapping": rep.Name, "kind": rep.Kind, "version": rep.Version,
			"records": rep.Records, "summary": rep.Summary})
	}
	printTested(env.Stdout, rep)
	return nil
}

// mappingTestStream is mapping test --stream: the stream (from the
// registry, the configuration file's or a registered one) is read live
// from its source, through its own mapping or the --mapping file.
func mappingTestStream(ctx context.Context, env Env, cfgPath, stream, mappingPath string, limit int, asJSON bool) error {
	a, err := open(ctx, cfgPath, env, config.WithoutSourceSecrets())
	if err != nil {
		return err
	}
	defer a.close()
	refs, err := a.cfg.FindStreams(stream)
	if err != nil {
		return usageError{err}
	}
	if len(refs) != 1 {
		return usageError{fmt.Errorf("--stream %q names %d streams; name one", stream, len(refs))}
	}
	ref := refs[0]
	opts, err := a.mappingOptions()
	if err != nil {
		return err
	}
	var m *mapping.Mapper
	if mappingPath != "" {
		m, err = mapping.Load(mappingPath, opts...)
	} else {
		m, err = a.compileStream(ref, opts)
	}
	if err != nil {
		return err
	}
	rep, err := a.testMapping(ctx, ref, m, limit)
	if err != nil {
		return err
	}
	return printReport(env, rep, asJSON)
}

// testMapping maps the first records of a stream, read live, through m.
func (a *app) testMapping(ctx context.Context, ref config.StreamRef, m *mapping.Mapper, limit int) (mappingtest.Report, error) {
	if err := a.resolveSource(ctx, ref.Department.Name, ref.Source); err != nil {
		return mappingtest.Report{}, err
	}
	samples, err := a.liveSamples(ctx, ref, limit)
	if err != nil {
		return mappingtest.Report{}, errors.New(scrubSource(err.Error(), ref.Source))
	}
	return mappingtest.Run(m, samples, time.Now()), nil
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// loadUnits loads the administrative-unit lists the configuration names.
func loadUnits(cfg *config.Config) (*units.Registry, error) {
	u := cfg.AdminUnits
	reg, err := units.Load(units.Files{Before: u.Before, Current: u.Current, OldToNew: u.OldToNew, NewToOld: u.NewToOld})
	if err != nil {
		return nil, fmt.Errorf("admin_units: %w", err)
	}
	return reg, nil
}

// readSamples reads up to limit records from a CSV file (header row) or a
// JSON-lines file. A record's key is its line number.
func readSamples(path string, limit int) ([]connectors.Record, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read sample: %w", err)
	}
	lower := strings.ToLower(path)
	if strings.HasSuffix(lower, ".jsonl") || strings.HasSuffix(lower, ".ndjson") || strings.HasSuffix(lower, ".json") {
		return readJSONLines(bytes.NewReader(raw), path, limit)
	}
	// A sample is often a department's own export: decode it the way the
	// file connector would (TCVN3, VNI, Windows-1258, UTF-16 detected).
	enc, _ := vn.Detect([][]byte{raw})
	text, err := vn.Decode(enc, raw)
	if err != nil {
		return nil, fmt.Errorf("read sample %s as %s: %w", path, enc, err)
	}
	r := csv.NewReader(strings.NewReader(text))
	r.Comma = sniffDelimiter(text)
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("read sample %s: header row: %w", path, err)
	}
	if len(header) > 0 {
		header[0] = strings.TrimPrefix(header[0], "\ufeff")
	}
	var recs []connectors.Record
	for line := 2; limit <= 0 || len(recs) < limit; line++ {
		row, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read sample %s: %w", path, err)
		}
		fields := make(map[string]any, len(header))
		for i, h := range header {
			if i < len(row) {
				fields[strings.TrimSpace(h)] = row[i]
			} else {
				fields[strings.TrimSpace(h)] = nil
			}
		}
		recs = append(recs, connectors.Record{Key: "line " + strconv.Itoa(line), Fields: fields})
	}
	return recs, nil
}

// sniffDelimiter picks the delimiter the header line uses most among the
// ones exports use.
func sniffDelimiter(text string) rune {
	header, _, _ := strings.Cut(text, "\n")
	best, n := ',', 0
	for _, d := range []rune{',', ';', '\t', '|'} {
		if c := strings.Count(header, string(d)); c > n {
			best, n = d, c
		}
	}
	return best
}

func readJSONLines(r io.Reader, path string, limit int) ([]connectors.Record, error) {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	var recs []connectors.Record
	for n := 1; limit <= 0 || len(recs) < limit; n++ {
		var fields map[string]any
		if err := dec.Decode(&fields); err == io.EOF {
			break
		} else if err != nil {
			return nil, fmt.Errorf("read sample %s: record %d: %w", path, n, err)
		}
		for k, v := range fields {
			if num, ok := v.(json.Number); ok {
				if i, err := num.Int64(); err == nil {
					fields[k] = i
				} else {
					fields[k] = num.String()
				}
			}
		}
		recs = append(recs, connectors.Record{Key: "record " + strconv.Itoa(n), Fields: fields})
	}
	return recs, nil
}

// liveSamples reads the first records of a stream from its source, from
// the beginning, without touching its checkpoint.
func (a *app) liveSamples(ctx context.Context, ref config.StreamRef, limit int) ([]connectors.Record, error) {
	src, err := a.openSource(ctx, sourceRef{ref.Department, ref.Source})
	if err != nil {
		return nil, err
	}
	defer src.Close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	page := limit
	if page <= 0 || page > ref.Stream.PageSize {
		page = ref.Stream.PageSize
	}
	// Read from the beginning in the stream's own mode (a file stream of
	// dropped changes cannot be read as a full refresh).
	rd, err := src.Read(ctx, connectors.ReadRequest{Stream: streamOf(ref.Stream), Mode: connectors.Mode(ref.Stream.Mode), PageSize: page})
	if err != nil {
		return nil, fmt.Errorf("read stream %s: %w", ref.FullName(), err)
	}
	defer rd.Close()
	var recs []connectors.Record
	for limit <= 0 || len(recs) < limit {
		rec, err := rd.Next(ctx)
		if errors.Is(err, connectors.ErrEndOfStream) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read stream %s: %w", ref.FullName(), err)
		}
		recs = append(recs, rec)
	}
	return recs, nil
}

func printTested(w io.Writer, rep mappingtest.Report) {
	results, s := rep.Records, rep.Summary
	fmt.Fprintf(w, "mapping %s (%s, version %s)\n\n", rep.Name, rep.Kind, rep.Version)
	for i, r := range results {
		fmt.Fprintf(w, "#%d  %s\n", i+1, r.Key)
		fmt.Fprintf(w, "    source    %s\n", compactJSON(r.Source))
		switch {
		case r.Skipped != "":
			fmt.Fprintf(w, "    SKIPPED   %s\n", r.Skipped)
		case len(r.Violations) > 0:
			for j, v := range r.Violations {
				label := "REJECTED "
				if j > 0 {
					label = "         "
				}
				fmt.Fprintf(w, "    %s %s: %s\n", label, v.Code, v.Message)
			}
		default:
			fmt.Fprintf(w, "    record    %s\n", compactJSON(r.Record))
			if len(r.Repaired) > 0 {
				fmt.Fprintf(w, "    repaired  %s\n", strings.Join(r.Repaired, ", "))
			}
			if len(r.Reformatted) > 0 {
				fmt.Fprintf(w, "    reformatted %s\n", strings.Join(r.Reformatted, ", "))
			}
		}
	}
	fmt.Fprintf(w, "\n%d records: %d mapped, %d rejected, %d skipped\n", s.Records, s.Mapped, s.Rejected, s.Skipped)
	if len(s.Reasons) > 0 {
		fmt.Fprintln(w)
		printReasons(w, s.Reasons)
	}
	if len(s.Normalisation) > 0 {
		fmt.Fprintln(w)
		printNormalisation(w, s.Normalisation)
	}
}

// printNormalisation shows, per field, how many values lienthong repaired
// (legacy text misread into a Unicode column), reformatted (rewritten by a
// normaliser) or rejected, so a department sees what it changes in its
// data.
func printNormalisation(w io.Writer, n mapping.Normalisation) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "FIELD\tREPAIRED\tREFORMATTED\tREJECTED")
	for _, f := range n.Fields() {
		c := n[f]
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\n", f, c.Repaired, c.Reformatted, c.Rejected)
	}
	tw.Flush()
}

func compactJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
