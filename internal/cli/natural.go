package cli

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"github.com/lienthong/lienthong/sync/state"
)

// naturalCompare orders source keys as a person reads them: runs of digits
// compare as numbers, so "2" comes before "10" and "KS-9/2024" before
// "KS-10/2024". Keys equal as numbers ("7" and "007") fall back to byte
// order, so the order is total.
func naturalCompare(a, b string) int {
	x, y := a, b
	for x != "" && y != "" {
		xd, yd := isDigit(x[0]), isDigit(y[0])
		if xd && yd {
			nx, ny := digitRun(x), digitRun(y)
			tx, ty := strings.TrimLeft(x[:nx], "0"), strings.TrimLeft(y[:ny], "0")
			if c := cmp.Compare(len(tx), len(ty)); c != 0 {
				return c
			}
			if c := strings.Compare(tx, ty); c != 0 {
				return c
			}
			x, y = x[nx:], y[ny:]
			continue
		}
		if x[0] != y[0] {
			return cmp.Compare(x[0], y[0])
		}
		x, y = x[1:], y[1:]
	}
	if c := cmp.Compare(len(x), len(y)); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func digitRun(s string) int {
	n := 0
	for n < len(s) && isDigit(s[n]) {
		n++
	}
	return n
}

// rejectPage is how many rejects one query of rejectsInOrder fetches.
const rejectPage = 1000

// rejectsInOrder lists the rejects f selects, stream by stream and, within
// a stream, by source key in natural order, at most f.Limit of them (all
// when 0). The store orders keys as text ("10" before "2"), so each
// stream's rejects are paged through and only the first f.Limit in natural
// order are kept: memory stays bounded by the limit and a page, however
// many rejects a stream has.
func (a *app) rejectsInOrder(ctx context.Context, f state.Filter) ([]state.Reject, error) {
	var refs []state.Ref
	if f.Stream != "" {
		refs = []state.Ref{{Department: f.Department, Source: f.Source, Stream: f.Stream}}
	} else {
		for _, r := range a.cfg.Streams() {
			refs = append(refs, state.Ref{Department: r.Department.Name, Source: r.Source.Name, Stream: r.Stream.Name})
		}
		slices.SortFunc(refs, func(x, y state.Ref) int { return strings.Compare(x.String(), y.String()) })
	}
	out := []state.Reject{}
	for _, ref := range refs {
		room := f.Limit - len(out)
		if f.Limit > 0 && room <= 0 {
			break
		}
		var kept []state.Reject
		page := state.Filter{Department: ref.Department, Source: ref.Source, Stream: ref.Stream, Reason: f.Reason, Limit: rejectPage}
		for {
			rs, err := a.state.Rejects(ctx, page)
			if err != nil {
				return nil, err
			}
			kept = append(kept, rs...)
			if f.Limit > 0 && len(kept) > room {
				sortNatural(kept)
				kept = kept[:room]
			}
			if len(rs) < rejectPage {
				break
			}
			page.After = rs[len(rs)-1].SourceKey
		}
		sortNatural(kept)
		out = append(out, kept...)
	}
	return out, nil
}

func sortNatural(rs []state.Reject) {
	slices.SortStableFunc(rs, func(x, y state.Reject) int { return naturalCompare(x.SourceKey, y.SourceKey) })
}
