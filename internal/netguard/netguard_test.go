package netguard_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/lienthong/lienthong/internal/netguard"
)

func guard(t *testing.T, allow ...string) *netguard.Guard {
	t.Helper()
	nets, err := netguard.ParseNetworks(allow)
	if err != nil {
		t.Fatal(err)
	}
	return netguard.New(nets, "allow_networks")
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name  string
		allow []string
		addr  string
		// want is "" for allowed, else words the refusal must hold.
		want []string
	}{
		{"public IPv4", nil, "203.113.131.1", nil},
		{"public IPv6", nil, "2001:4860:4860::8888", nil},
		{"loopback", nil, "127.0.0.1", []string{"loopback", "allow_networks", "127.0.0.0/8"}},
		{"loopback listed", []string{"127.0.0.0/8"}, "127.0.0.1", nil},
		{"loopback IPv6", nil, "::1", []string{"loopback"}},
		{"loopback IPv6 listed", []string{"::1"}, "::1", nil},
		{"private", nil, "10.20.3.4", []string{"private", "e.g. [10.20.0.0/16]"}},
		{"private listed", []string{"10.20.0.0/16"}, "10.20.3.4", nil},
		{"private outside the listed network", []string{"10.20.0.0/16"}, "10.21.0.1", []string{"private"}},
		{"private 172.16", nil, "172.31.255.1", []string{"private"}},
		{"private 192.168", nil, "192.168.1.10", []string{"private"}},
		{"shared address space", nil, "100.64.1.1", []string{"carrier-grade NAT"}},
		{"unique local", nil, "fd12:3456::1", []string{"unique local"}},
		{"unique local listed", []string{"fd12:3456::/32"}, "fd12:3456::1", nil},
		{"unspecified IPv4", []string{"0.0.0.0/0"}, "0.0.0.0", []string{"never allowed", "even though allow_networks lists 0.0.0.0/0"}},
		{"unspecified IPv6", nil, "::", []string{"never allowed"}},
		{"metadata", nil, "169.254.169.254", []string{"cloud metadata", "never allowed"}},
		{"metadata with link-local listed", []string{"169.254.0.0/16"}, "169.254.169.254",
			[]string{"cloud metadata", "never allowed", "even though allow_networks lists 169.254.0.0/16"}},
		{"link-local", []string{"169.254.0.0/16"}, "169.254.10.1", []string{"link-local", "never allowed"}},
		{"link-local IPv6", []string{"::/0"}, "fe80::1", []string{"link-local", "never allowed"}},
		{"Alibaba metadata", []string{"100.64.0.0/10"}, "100.100.100.200", []string{"Alibaba", "never allowed"}},
		{"AWS IPv6 metadata", []string{"fc00::/7"}, "fd00:ec2::254", []string{"AWS IPv6", "never allowed"}},
		{"other address in fd00:ec2::/64", []string{"fc00::/7"}, "fd00:ec2::253", nil},
		{"IPv4-mapped metadata", nil, "::ffff:169.254.169.254", []string{"which carries 169.254.169.254", "cloud metadata"}},
		{"IPv4-mapped loopback", nil, "::ffff:127.0.0.1", []string{"loopback"}},
		{"IPv4-mapped loopback listed in IPv4", []string{"127.0.0.0/8"}, "::ffff:127.0.0.1", nil},
		{"NAT64 metadata", nil, "64:ff9b::a9fe:a9fe", []string{"carries 169.254.169.254"}},
		{"6to4 private", nil, "2002:0a00:0001::1", []string{"carries 10.0.0.1", "private"}},
		{"IPv4-compatible loopback", nil, "::127.0.0.1", []string{"carries 127.0.0.1"}},
		{"multicast", []string{"0.0.0.0/0"}, "224.0.0.1", []string{"multicast", "never allowed"}},
		{"broadcast", nil, "255.255.255.255", []string{"broadcast"}},
		{"zone dropped", nil, "fe80::1%eth0", []string{"link-local"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := guard(t, tc.allow...).Check("api.example.vn", netip.MustParseAddr(tc.addr))
			if tc.want == nil {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var re *netguard.RefusedError
			if !errors.Is(err, netguard.ErrRefused) || !errors.As(err, &re) {
				t.Fatalf("err = %v, want a *RefusedError", err)
			}
			for _, w := range append(tc.want, "connection to api.example.vn refused") {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}

func TestParseNetworks(t *testing.T) {
	got, err := netguard.ParseNetworks([]string{"10.20.0.0/16", "10.30.0.5", "::ffff:127.0.0.0/104", "fd00::/8"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"10.20.0.0/16", "10.30.0.5/32", "127.0.0.0/8", "fd00::/8"}
	for i, p := range got {
		if p.String() != want[i] {
			t.Errorf("item %d = %s, want %s", i, p, want[i])
		}
	}
	for _, bad := range []string{"10.20.0.1/16", "10.20.0.0/33", "intranet", "10.20.0.0/16x", ""} {
		if _, err := netguard.ParseNetworks([]string{bad}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestUnusable(t *testing.T) {
	for s, want := range map[string]bool{"169.254.0.0/16": true, "169.254.169.254/32": true, "fe80::/64": true,
		"10.0.0.0/8": false, "0.0.0.0/0": false, "127.0.0.0/8": false} {
		why, got := netguard.Unusable(netip.MustParsePrefix(s))
		if got != want {
			t.Errorf("Unusable(%s) = %v (%s), want %v", s, got, why, want)
		}
	}
}

// TestDial: the guard judges the address a name resolves to when the
// connection is opened, so "localhost" is loopback like 127.0.0.1.
func TestDial(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	get := func(g *netguard.Guard, host string) error {
		c := &http.Client{Transport: g.Transport(http.DefaultTransport.(*http.Transport))}
		defer c.CloseIdleConnections()
		resp, err := c.Get("http://" + net.JoinHostPort(host, port) + "/")
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	if err := get(guard(t), "localhost"); !errors.Is(err, netguard.ErrRefused) ||
		!strings.Contains(err.Error(), "connection to localhost refused: its address ") {
		t.Errorf("localhost without allow_networks: err = %v, want refused naming the host", err)
	}
	if err := get(guard(t, "127.0.0.0/8"), "localhost"); err != nil {
		t.Errorf("localhost with 127.0.0.0/8 listed: %v", err)
	}
	if err := get(guard(t, "127.0.0.0/8"), "127.0.0.1"); err != nil {
		t.Errorf("127.0.0.1 with 127.0.0.0/8 listed: %v", err)
	}
	// Refused before a packet is sent: this address is not reachable here,
	// and the error is the guard's, not a timeout.
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	dial := guard(t, "169.254.0.0/16").DialContext(&net.Dialer{})
	_, err := dial(ctx, "tcp", "169.254.169.254:80")
	var re *netguard.RefusedError
	if !errors.As(err, &re) || !re.Always || re.Listed.String() != "169.254.0.0/16" {
		t.Errorf("metadata address: err = %v, want refused even though listed", err)
	}
}
