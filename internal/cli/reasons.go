package cli

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/lienthong/lienthong/mapping/vn"
	"github.com/lienthong/lienthong/mapping/vn/units"
	"github.com/lienthong/lienthong/schema"
	"github.com/lienthong/lienthong/sync/state"
)

// readReasons are the codes connectors give records they cannot read
// (connectors.Problem): the file connector's malformed_row, missing_key and
// malformed_file, the REST connector's malformed_record. They are stable,
// as the connectors' docs say, but live in packages the CLI does not import.
var readReasons = []string{"malformed_row", "missing_key", "malformed_file", "malformed_record"}

// knownReasons are the reason codes lienthong itself gives rejects: the
// schema's validation, the Vietnamese normalisers, the administrative-unit
// lookups and the connectors. A mapping's own reject rules add codes of
// their own, which the rejects store shows once used.
func knownReasons() []string {
	codes := slices.Clone(readReasons)
	for _, r := range schema.Reasons() {
		codes = append(codes, r.Code)
	}
	codes = append(codes, vn.ReasonBadDate, vn.ReasonBadPhone, vn.ReasonIDFormat, vn.ReasonIDProvince, vn.ReasonIDSex,
		vn.ReasonIDBirthYear, vn.ReasonBadSex, vn.ReasonEncoding, units.ReasonUnknownUnit, units.ReasonAmbiguousUnit, units.ReasonNoDate)
	slices.Sort(codes)
	return slices.Compact(codes)
}

// checkReason refuses a --reason that no reject has and lienthong does not
// know, listing the codes it could be: a typo must not read as "no rejects
// of this kind".
func (a *app) checkReason(ctx context.Context, reason string) error {
	if reason == "" {
		return nil
	}
	known := knownReasons()
	if slices.Contains(known, reason) {
		return nil
	}
	present, err := a.state.RejectsByReason(ctx, state.Filter{})
	if err != nil {
		return err
	}
	var inStore []string
	for _, r := range present {
		if r.Reason == reason {
			return nil
		}
		inStore = append(inStore, fmt.Sprintf("%s (%d)", r.Reason, r.Count))
	}
	msg := fmt.Sprintf("unknown reason code %q: no reject has it; the codes lienthong gives are %s", reason, strings.Join(known, ", "))
	if len(inStore) > 0 {
		msg += "; the rejects now have " + strings.Join(inStore, ", ")
	}
	return usageError{fmt.Errorf("%s", msg)}
}
