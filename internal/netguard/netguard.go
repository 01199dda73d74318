// Package netguard decides which network addresses lienthong may open a
// connection to, and enforces it when the connection is dialled.
//
// lienthong calls URLs that operators and department APIs give it: a
// base URL, an OAuth2 token endpoint, a next-page link, a redirect. A
// name in any of them can resolve to the machine itself, to the
// province's private network or to a cloud's metadata service, which
// hands out the credentials of the machine lienthong runs on. So the
// check is on the resolved address of every connection, in the dialer
// (net.Dialer.ControlContext), where neither a DNS name nor a redirect
// can get round it:
//
//   - link-local addresses (169.254.0.0/16, fe80::/10), cloud metadata
//     services (169.254.169.254, 100.100.100.200, fd00:ec2::254, ...),
//     the unspecified addresses (0.0.0.0, ::, which reach this machine),
//     multicast and broadcast are always refused, even when a listed
//     network covers them;
//   - loopback, private (RFC 1918, unique local IPv6), shared (100.64.0.0/10)
//     and reserved ranges are refused unless the operator lists a network
//     that holds the address: department APIs do live on the province's
//     private network;
//   - every other (public) address is allowed.
//
// IPv4-mapped IPv6 addresses (::ffff:a.b.c.d), IPv4-compatible ones and
// those of NAT64 (64:ff9b::/96) and 6to4 (2002::/16) are judged by the
// IPv4 address they carry.
//
// The package must not resolve names itself (the check belongs at dial
// time, after resolution, or a second lookup could answer differently),
// know any connector or configuration file, or send anything.
package netguard

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"syscall"
	"time"
)

// ErrRefused is wrapped by every *RefusedError, for errors.Is.
var ErrRefused = errors.New("netguard: address refused")

// Guard is a dial-time address policy: the always-refused ranges, the
// ranges refused unless listed, and the networks an operator listed. It is
// immutable and safe for concurrent use.
type Guard struct {
	allow []netip.Prefix
	// option is how the operator lists a network, for error messages.
	option string
}

// New returns a guard that allows, besides public addresses, the
// addresses inside the allow networks, unless they are always refused.
// option names the setting that lists networks ("options.allow_networks")
// in the errors the guard returns, so they say what to change.
func New(allow []netip.Prefix, option string) *Guard {
	g := &Guard{option: option}
	for _, p := range allow {
		g.allow = append(g.allow, p.Masked())
	}
	return g
}

// ParseNetworks reads a list of networks as an operator writes them:
// CIDR prefixes ("10.20.0.0/16", "fd12:3456::/48") or single addresses
// ("10.20.0.5", which is 10.20.0.5/32). An IPv4-mapped IPv6 prefix is
// taken as the IPv4 prefix it maps.
func ParseNetworks(list []string) ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(list))
	for i, s := range list {
		s = strings.TrimSpace(s)
		if !strings.Contains(s, "/") {
			a, err := netip.ParseAddr(s)
			if err != nil || a.Zone() != "" {
				return nil, fmt.Errorf("item %d: %q is not a network such as 10.20.0.0/16 or an address", i, s)
			}
			a = a.Unmap()
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("item %d: %q is not a network such as 10.20.0.0/16: %v", i, s, err)
		}
		if p != p.Masked() {
			return nil, fmt.Errorf("item %d: %q has host bits set; did you mean %s?", i, s, p.Masked())
		}
		if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
		}
		out = append(out, p)
	}
	return out, nil
}

// Unusable reports why a listed network can allow nothing: it lies wholly
// inside an always-refused range (169.254.0.0/16 holds the cloud
// metadata service). Callers warn about it; it is not an error, since the
// guard refuses those addresses whatever the list says.
func Unusable(p netip.Prefix) (string, bool) {
	for _, r := range ranges {
		if r.always && r.prefix.Bits() <= p.Bits() && r.prefix.Contains(p.Addr()) {
			return fmt.Sprintf("%s lies inside %s (%s), which is always refused", p, r.prefix, r.what), true
		}
	}
	return "", false
}

// class is a range of addresses the guard treats specially.
type class struct {
	prefix netip.Prefix
	what   string
	// always: refused even when a listed network covers it.
	always bool
}

// ranges lists the special ranges, the always-refused first so that a
// metadata address inside a private range (fd00:ec2::254 in fc00::/7) is
// judged by the stricter rule.
var ranges = func() []class {
	always := []struct{ cidr, what string }{
		{"169.254.169.254/32", "a cloud metadata service"},
		{"169.254.170.2/32", "a container credentials service"},
		{"100.100.100.200/32", "a cloud metadata service (Alibaba Cloud)"},
		{"192.0.0.192/32", "a cloud metadata service (Oracle Cloud)"},
		{"fd00:ec2::254/128", "a cloud metadata service (AWS IPv6)"},
		{"0.0.0.0/8", "the unspecified network, which reaches this machine"},
		{"169.254.0.0/16", "link-local"},
		{"224.0.0.0/4", "multicast"},
		{"255.255.255.255/32", "broadcast"},
		{"::/128", "the unspecified address, which reaches this machine"},
		{"fe80::/10", "link-local"},
		{"ff00::/8", "multicast"},
	}
	listed := []struct{ cidr, what string }{
		{"127.0.0.0/8", "loopback, this machine"},
		{"::1/128", "loopback, this machine"},
		{"10.0.0.0/8", "private"},
		{"172.16.0.0/12", "private"},
		{"192.168.0.0/16", "private"},
		{"100.64.0.0/10", "shared address space, carrier-grade NAT"},
		{"fc00::/7", "unique local, private"},
		{"fec0::/10", "site-local, private"},
		{"64:ff9b:1::/48", "local-use NAT64"},
		{"192.0.0.0/24", "reserved, IETF protocol assignments"},
		{"192.0.2.0/24", "reserved, documentation"},
		{"198.18.0.0/15", "reserved, benchmarking"},
		{"198.51.100.0/24", "reserved, documentation"},
		{"203.0.113.0/24", "reserved, documentation"},
		{"240.0.0.0/4", "reserved"},
		{"2001:db8::/32", "reserved, documentation"},
	}
	var out []class
	for _, r := range always {
		out = append(out, class{netip.MustParsePrefix(r.cidr), r.what, true})
	}
	for _, r := range listed {
		out = append(out, class{netip.MustParsePrefix(r.cidr), r.what, false})
	}
	return out
}()

var (
	nat64   = netip.MustParsePrefix("64:ff9b::/96")
	sixToFo = netip.MustParsePrefix("2002::/16")
	compat  = netip.MustParsePrefix("::/96")
)

// embedded returns the IPv4 address an IPv6 address carries, if it is of
// a form whose traffic goes to that IPv4 address.
func embedded(a netip.Addr) (netip.Addr, bool) {
	if a.Is4In6() {
		return a.Unmap(), true
	}
	if !a.Is6() {
		return netip.Addr{}, false
	}
	b := a.As16()
	switch {
	case nat64.Contains(a):
		return netip.AddrFrom4([4]byte(b[12:16])), true
	case sixToFo.Contains(a):
		return netip.AddrFrom4([4]byte(b[2:6])), true
	case compat.Contains(a) && a != netip.IPv6Unspecified() && a != netip.IPv6Loopback():
		return netip.AddrFrom4([4]byte(b[12:16])), true
	}
	return netip.Addr{}, false
}

// RefusedError is a connection the guard refused.
type RefusedError struct {
	// Host is the name or address that was dialled.
	Host string
	// Addr is the address it resolved to.
	Addr netip.Addr
	// Judged is the IPv4 address an IPv6 Addr carries, when it was judged
	// by that; else Addr.
	Judged netip.Addr
	// Range and What are the special range Judged lies in.
	Range netip.Prefix
	What  string
	// Always: no listed network can allow Judged.
	Always bool
	// Listed is the listed network that covers Judged, when Always made
	// it useless.
	Listed netip.Prefix
	// Option is the setting that lists networks.
	Option string
}

func (e *RefusedError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "connection to %s refused: ", e.Host)
	if e.Host != e.Addr.String() {
		b.WriteString("its address ")
	}
	addr := e.Addr.String()
	if e.Judged != e.Addr {
		addr = fmt.Sprintf("%s (which carries %s)", e.Addr, e.Judged)
	}
	if e.Always {
		fmt.Fprintf(&b, "%s is %s (%s), which is never allowed", addr, e.What, e.Range)
		if e.Listed.IsValid() {
			fmt.Fprintf(&b, ", even though %s lists %s", e.Option, e.Listed)
		}
		return b.String()
	}
	fmt.Fprintf(&b, "%s is %s (%s); if the API really lives there, list its network in %s, e.g. [%s]",
		addr, e.What, e.Range, e.Option, suggest(e.Judged, e.Range))
	return b.String()
}

func (e *RefusedError) Unwrap() error { return ErrRefused }

// suggest is the network an error proposes to list: the address's /16 (or
// /48 in IPv6) within its range, never wider than the range.
func suggest(a netip.Addr, r netip.Prefix) netip.Prefix {
	bits := 16
	if a.Is6() {
		bits = 48
	}
	bits = max(bits, r.Bits())
	if a.Is4() && r.Bits() <= 8 && a.IsLoopback() {
		bits = 8
	}
	p, _ := a.Prefix(bits)
	return p
}

// Check judges one address that host resolved to: nil if a connection
// may be opened, else a *RefusedError.
func (g *Guard) Check(host string, addr netip.Addr) error {
	addr = addr.WithZone("")
	judged := addr
	if v4, ok := embedded(addr); ok {
		judged = v4
	}
	for _, r := range ranges {
		if !r.prefix.Contains(judged) {
			continue
		}
		listed, ok := g.listed(addr, judged)
		if ok && !r.always {
			return nil
		}
		return &RefusedError{Host: host, Addr: addr, Judged: judged, Range: r.prefix, What: r.what,
			Always: r.always, Listed: listed, Option: g.option}
	}
	return nil
}

// listed finds a listed network holding the address, in either of its
// forms.
func (g *Guard) listed(addr, judged netip.Addr) (netip.Prefix, bool) {
	for _, p := range g.allow {
		if p.Contains(judged) || p.Contains(addr) {
			return p, true
		}
	}
	return netip.Prefix{}, false
}

type hostKey struct{}

// Control is for net.Dialer.ControlContext: it checks the address a
// connection is about to be opened to. The host named in errors is the
// one DialContext put in ctx, else the address itself.
func (g *Guard) Control(ctx context.Context, _, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		// Not an IP socket address: nothing this guard knows how to judge.
		return fmt.Errorf("%w: cannot judge address %q", ErrRefused, address)
	}
	host, _ := ctx.Value(hostKey{}).(string)
	if host == "" {
		host = ap.Addr().String()
	}
	return g.Check(host, ap.Addr())
}

// DialContext returns a dial function for http.Transport.DialContext
// and the like: it dials with a copy of d whose every connection, to each
// address the name resolves to, passes Check. A control function d
// already has runs after the guard's.
func (g *Guard) DialContext(d *net.Dialer) func(ctx context.Context, network, address string) (net.Conn, error) {
	dd := *d
	prev, prevCtx := d.Control, d.ControlContext
	dd.Control = nil
	dd.ControlContext = func(ctx context.Context, network, address string, c syscall.RawConn) error {
		if err := g.Control(ctx, network, address, c); err != nil {
			return err
		}
		switch {
		case prevCtx != nil:
			return prevCtx(ctx, network, address, c)
		case prev != nil:
			return prev(network, address, c)
		}
		return nil
	}
	return func(ctx context.Context, network, address string) (net.Conn, error) {
		host, _, err := net.SplitHostPort(address)
		if err != nil {
			host = address
		}
		conn, err := dd.DialContext(context.WithValue(ctx, hostKey{}, host), network, address)
		if err != nil {
			// Keep the refusal whole: callers match it, and the dial
			// error around it only repeats the address.
			var re *RefusedError
			if errors.As(err, &re) {
				return nil, re
			}
			return nil, err
		}
		return conn, nil
	}
}

// Transport returns a clone of base whose connections pass the guard.
// The proxy from the environment (HTTPS_PROXY) is switched off: through a
// proxy the guard would judge the proxy's address, not the API's.
func (g *Guard) Transport(base *http.Transport) *http.Transport {
	t := base.Clone()
	t.Proxy = nil
	t.DialContext = g.DialContext(&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second})
	// TLS connections are dialled by DialContext too when these are unset.
	t.DialTLSContext = nil
	t.Dial, t.DialTLS = nil, nil
	return t
}
