package httpjson_test

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/lienthong/lienthong/connectors"
	"github.com/lienthong/lienthong/internal/netguard"
)

// TestConfigGuard: a guard the caller gives (a registered source's)
// replaces the source's own allow_networks: the department's options
// cannot widen it, and it alone decides.
func TestConfigGuard(t *testing.T) {
	const option = "registration.allow_networks"
	open := func(t *testing.T, opts map[string]any, g *netguard.Guard) (connectors.Source, error) {
		src, err := connectors.Open(t.Context(), connectors.Config{Name: "registered", Kind: "httpjson", Options: opts,
			Timeout: 5 * time.Second, Guard: g})
		if err == nil {
			t.Cleanup(func() { src.Close() })
		}
		return src, err
	}
	localhost := func(api *fakeAPI) string {
		return strings.Replace(api.srv.URL, "127.0.0.1", "localhost", 1) + "/api/v1"
	}
	t.Run("options cannot widen the guard", func(t *testing.T) {
		api := newAPI(t, stylePage)
		api.upsert(item(1, 1, "x"))
		src, err := open(t, api.options(map[string]any{"base_url": localhost(api), "allow_networks": []any{"127.0.0.0/8"}}), netguard.New(nil, option))
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = readUpTo(t, src, fullRefresh(items, nil, 3), -1)
		if !errors.Is(err, netguard.ErrRefused) || !strings.Contains(err.Error(), "list its network in "+option) {
			t.Fatalf("err = %v, want refused naming %s", err, option)
		}
		if n := len(api.requests()); n != 0 {
			t.Errorf("the API got %d requests, want none", n)
		}
	})
	t.Run("a literal address is judged by the guard when the source opens", func(t *testing.T) {
		api := newAPI(t, stylePage)
		_, err := open(t, api.options(map[string]any{"allow_networks": []any{"127.0.0.0/8"}}), netguard.New(nil, option))
		if err == nil || !strings.Contains(err.Error(), `option "base_url": connection to 127.0.0.1 refused`) || !strings.Contains(err.Error(), option) {
			t.Fatalf("err = %v, want base_url refused naming %s", err, option)
		}
	})
	t.Run("the guard allows what it lists", func(t *testing.T) {
		api := newAPI(t, stylePage)
		api.upsert(item(1, 1, "x"))
		opts := api.options(map[string]any{"base_url": localhost(api)})
		delete(opts, "allow_networks")
		src, err := open(t, opts, netguard.New([]netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, option))
		if err != nil {
			t.Fatal(err)
		}
		got, _ := readAll(t, src, fullRefresh(items, nil, 3))
		sameKeys(t, "read", keysOf(got), []string{"1"})
	})
}
