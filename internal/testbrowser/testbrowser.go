// Package testbrowser starts headless Chromium (the Debian package
// chromium, which scripts/test installs) for tests that drive a page with
// chromedp.
//
// The package must not be imported by production code.
package testbrowser

import (
	"context"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Options size the window and bound the test's use of the browser.
type Options struct {
	Width, Height int
	// Timeout bounds everything the test does in the browser.
	Timeout time.Duration
	// Lang is the browser's language (Accept-Language), e.g. "vi-VN";
	// empty leaves Chromium's default.
	Lang string
}

// New starts the browser with a fresh profile, no sandbox (tests run as
// root in containers) and nothing that would reach the network, and
// returns a chromedp context that ends with the test.
func New(t *testing.T, o Options) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatal("chromium is not installed (scripts/test installs the Debian package chromium)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(o.Width, o.Height),
	)
	if o.Lang != "" {
		opts = append(opts, chromedp.Flag("lang", o.Lang))
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	ctx, cancelTimeout := context.WithTimeout(ctx, o.Timeout)
	t.Cleanup(func() { cancelTimeout(); cancel(); cancelAlloc() })
	return ctx
}
