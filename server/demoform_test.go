package server_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/lienthong/lienthong/internal/testbrowser"
)

// browser starts headless Chromium for the test (internal/testbrowser).
func browser(t *testing.T) context.Context {
	t.Helper()
	return testbrowser.New(t, testbrowser.Options{Width: 1000, Height: 1400, Timeout: 2 * time.Minute})
}

// TestDemoFormInBrowser: a citizen opens the demo form, types their ID
// number and gets the form back filled from the store, each filled field
// marked with its department and as-of date, the others left to them. A
// screenshot of the page is kept in the test's artifact directory.
func TestDemoFormInBrowser(t *testing.T) {
	eachPrefillDialect(t, true, func(t *testing.T, e *prefillEnv) {
		ctx := browser(t)
		err := chromedp.Do(ctx,
			chromedp.Navigate(e.srv.URL+"/forms/cap-lai-the-bhyt"),
			chromedp.WaitVisible(chromedp.CSS("#id_number")),
			chromedp.SendKeys(chromedp.CSS("#id_number"), citizen),
			chromedp.Click(chromedp.CSS("#lookup")),
			chromedp.WaitVisible(chromedp.CSS("#summary")),
		)
		if err != nil {
			t.Fatal(err)
		}
		value := func(sel string) string {
			v, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS(sel)))
			if err != nil {
				t.Fatalf("value of %s: %v", sel, err)
			}
			return v
		}
		text := func(sel string) string {
			v, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
			if err != nil {
				t.Fatalf("text of %s: %v", sel, err)
			}
			return strings.TrimSpace(v)
		}
		name, card, address, phone := value("#f-full_name"), value("#f-card_number"), value("#f-address"), value("#f-phone")
		cardSource, nameSource := text("#src-card_number"), text("#src-full_name")
		askPhone, summary := text("#ask-phone"), text("#summary")
		shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		ctxDB := context.Background()
		person, _, _ := e.nat.Get(ctxDB, "person", citizen)
		newest, _, _ := e.nat.Get(ctxDB, "health_insurance_card", "GD4424201234567")
		if name != "Nguyễn Thị Hoa" || card != "GD4424201234567" || address != "Xã Thạch Hà" || phone != "" {
			t.Errorf("the page shows name %q, card %q, address %q, phone %q", name, card, address, phone)
		}
		wantCard := "Nguồn: bhxh (health_insurance_card), cập nhật ngày " + newest.LastSyncedAt.Format("2006-01-02")
		wantName := "Nguồn: tu-phap (person), cập nhật ngày " + person.LastSyncedAt.Format("2006-01-02")
		if cardSource != wantCard || nameSource != wantName {
			t.Errorf("sources shown: %q and %q; want %q and %q", cardSource, nameSource, wantCard, wantName)
		}
		if askPhone != "Công dân tự điền" || !strings.Contains(summary, "8 trường được điền sẵn") {
			t.Errorf("phone marked %q; summary %q", askPhone, summary)
		}
		// The browser's read went through the audit log like a portal's.
		entries, err := e.audit.Subject(ctxDB, citizen, 0)
		if err != nil || len(entries) != 1 || entries[0].Client != "demo-form" || !strings.HasPrefix(entries[0].Reference, "DEMO-") {
			t.Errorf("audit entries %+v %v", entries, err)
		}
		dir := t.ArtifactDir()
		file := filepath.Join(dir, "demo-form.png")
		if err := os.WriteFile(file, shot, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s", file)
	})
}

// TestDemoFormsOff: without DemoForms the pages do not exist.
func TestDemoFormsOff(t *testing.T) {
	eachPrefillDialect(t, false, func(t *testing.T, e *prefillEnv) {
		wantProblem(t, e.srv.URL, "/forms/cap-lai-the-bhyt?id_number="+citizen, 404)
	})
}
