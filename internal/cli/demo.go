package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/lienthong/lienthong/config"
	"github.com/lienthong/lienthong/internal/demo"
	"github.com/lienthong/lienthong/sync/state"
)

// runDemo tells the whole story on a generated department: a first sync, a
// day of edits and a second sync, annulled registrations and a full refresh,
// then the ledger, the rejects and one citizen's pre-fill.
func runDemo(ctx context.Context, args []string, env Env) error {
	fs := flag.NewFlagSet("lienthong demo", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	dir := fs.String("dir", "", "write the demo into this `directory` (default: a new temporary directory)")
	n := fs.Int("records", 3000, "number of birth registrations to generate")
	serve := fs.Bool("serve", false, "then serve the pre-filled online forms over HTTP until Ctrl-C, and print their address")
	listen := fs.String("listen", "127.0.0.1:0", "with --serve: HTTP listen `address` (default: a free loopback port)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *dir == "" {
		d, err := os.MkdirTemp("", "lienthong-demo-")
		if err != nil {
			return err
		}
		*dir = d
	} else if entries, err := os.ReadDir(*dir); err == nil && len(entries) > 0 {
		return usageError{fmt.Errorf("--dir %s is not empty; give a new or empty directory", *dir)}
	}
	out := env.Stdout
	files, err := demo.Setup(ctx, *dir, *n)
	if err != nil {
		return fmt.Errorf("set up demo department: %w", err)
	}
	bhxh, err := demo.StartBHXH(ctx, files)
	if err != nil {
		return err
	}
	defer bhxh.Close()
	beneficiaries, err := demo.Beneficiaries(ctx, files, 300)
	if err != nil {
		return err
	}
	if err := demo.DropExport(files, "bao-tro-xa-hoi-2025-11.csv", beneficiaries, true); err != nil {
		return err
	}
	if err := demo.WriteConfig(files, bhxh.URL, true); err != nil {
		return err
	}
	// The token reaches the configuration as production secrets do: from
	// the environment the file names.
	getenv := func(k string) string {
		if k == demo.TokenEnv {
			return bhxh.Token
		}
		return env.Getenv(k)
	}
	cfg, err := loadConfig(files.Config, Env{Getenv: getenv})
	if err != nil {
		return err
	}
	logFile, err := os.Create(filepath.Join(*dir, "lienthong.log"))
	if err != nil {
		return err
	}
	defer logFile.Close()
	a, err := openConfig(ctx, cfg, Env{Stdout: out, Stderr: logFile, Getenv: getenv})
	if err != nil {
		return err
	}
	defer a.close()
	all := cfg.Streams()

	fmt.Fprintf(out, "lienthong demo in %s\n\n", *dir)
	fmt.Fprintf(out, "Sở Tư pháp tỉnh Hà Tĩnh keeps its civil-status register in %s:\n", filepath.Base(files.Department))
	fmt.Fprintf(out, "%d birth registrations, some with the mistakes real registers have.\n", *n)
	fmt.Fprintf(out, "Two streams read it: khai-sinh (birth_registration) and cong-dan (person).\n")
	fmt.Fprintf(out, "Sở Lao động - Thương binh và Xã hội drops a CSV export in TCVN3 into %s:\n", demo.DropDir)
	fmt.Fprintf(out, "%d social assistance beneficiaries, one row cut short: stream bao-tro (social_assistance_beneficiary).\n", len(beneficiaries))
	fmt.Fprintf(out, "Bảo hiểm xã hội tỉnh Hà Tĩnh serves %d health insurance cards from its API at %s\n", bhxh.Cards(), bhxh.URL)
	fmt.Fprintf(out, "(bearer token from $%s): stream the-bhyt (health_insurance_card).\n\n", demo.TokenEnv)

	step := func(title string, refs []config.StreamRef, full bool) error {
		fmt.Fprintf(out, "== %s\n", title)
		runs, err := a.syncStreams(ctx, refs, syncOptions{fullRefresh: full})
		printRuns(out, runs)
		fmt.Fprintln(out)
		return err
	}
	if err := step("1. First sync: every record is new", all, false); err != nil {
		return err
	}
	fixed, edited, added, err := demo.Change(ctx, files)
	if err != nil {
		return err
	}
	renewed := bhxh.Renew()
	raised, nRaised := demo.Raise(beneficiaries)
	if err := demo.DropExport(files, "bao-tro-xa-hoi-2025-12.csv", raised, false); err != nil {
		return err
	}
	// The November export dropped again under another name is the same
	// file: it is not read twice.
	if err := demo.DropExport(files, "bao-tro-xa-hoi-2025-11-ban-sao.csv", beneficiaries, true); err != nil {
		return err
	}
	title := fmt.Sprintf("2. Officers fix %d missing names, correct %d native places and register %d births;\n"+
		"   the insurance office renews %d cards; the labour department exports %d raised allowances\n"+
		"   (and drops November's file again under another name); sync again", fixed, edited, added, renewed, nRaised)
	if err := step(title, all, false); err != nil {
		return err
	}
	deleted, err := demo.Delete(ctx, files)
	if err != nil {
		return err
	}
	khaiSinh, err := cfg.FindStreams("khai-sinh")
	if err != nil {
		return err
	}
	if err := step(fmt.Sprintf("3. %d registrations are annulled; a full refresh of khai-sinh marks them deleted", deleted), khaiSinh, true); err != nil {
		return err
	}

	runs, err := a.state.Runs(ctx, state.Filter{})
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "== The run ledger (lienthong runs)")
	printRuns(out, runs)
	conserved := true
	for _, r := range runs {
		conserved = conserved && r.Conserved()
	}
	if !conserved {
		return errors.New("the ledger's counts do not add up: read != inserted + updated + unchanged + rejected + skipped")
	}
	fmt.Fprintln(out, "Every run: read = inserted + updated + unchanged + rejected + skipped.")
	fmt.Fprintln(out)

	if err := demoRejects(ctx, a, out); err != nil {
		return err
	}
	id, err := demo.CitizenID(ctx, files)
	if err != nil {
		return err
	}
	docs, err := a.national.Prefill(ctx, id)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "== What an online form receives for citizen %s (pre-fill)\n", id)
	if err := writeJSON(out, docs); err != nil {
		return err
	}
	fmt.Fprintf(out, "\nLook around:\n  lienthong runs --config %s\n  lienthong rejects --config %s --reason bad_date\n  log: %s\n",
		files.Config, files.Config, logFile.Name())
	if *serve {
		return demoServe(ctx, a, out, *listen, id)
	}
	return nil
}

func demoRejects(ctx context.Context, a *app, out io.Writer) error {
	byReason, err := a.state.RejectsByReason(ctx, state.Filter{})
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "== Rejected records by reason (lienthong rejects)")
	printReasons(out, byReason)
	fmt.Fprintln(out)
	fmt.Fprintln(out, "One of each, as the department sees it:")
	var sample []state.Reject
	for _, rc := range byReason {
		rs, err := a.state.Rejects(ctx, state.Filter{Reason: rc.Reason, Limit: 1})
		if err != nil {
			return err
		}
		sample = append(sample, rs...)
	}
	printRejects(out, sample)
	fmt.Fprintln(out)
	return nil
}
