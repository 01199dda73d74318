package mapping_test

import (
	"testing"

	"github.com/lienthong/lienthong/schema"
)

// TestPartialDateRefusedQuotesTheSource: a record kind that needs a full
// date refuses a partial one quoting the value as the source wrote it, and
// says what the kind needs; a bad date keeps the normaliser's message.
func TestPartialDateRefusedQuotesTheSource(t *testing.T) {
	m := example(t, "khai-sinh.yaml")
	for _, tt := range []struct{ raw, want string }{
		{"00/00/2016", `date_of_birth (Ngày, tháng, năm sinh) "00/00/2016" is a year without day and month: a birth_registration needs a full date (day, month and year)`},
		{"2016", `date_of_birth (Ngày, tháng, năm sinh) "2016" is a year without day and month: a birth_registration needs a full date (day, month and year)`},
		{"00/03/2016", `date_of_birth (Ngày, tháng, năm sinh) "00/03/2016" is a month and year without a day: a birth_registration needs a full date (day, month and year)`},
		{"31/02/2016", `date_of_birth: date "31/02/2016": day 31 is past the end of month 2 of 2016, which has 29 days`},
	} {
		row := birthRow()
		row["ngay_sinh"] = tt.raw
		row["so_dinh_danh"] = ""
		res := m.Map(row)
		var got *schema.Violation
		for i, v := range res.Violations {
			if v.Field == "date_of_birth" {
				got = &res.Violations[i]
			}
		}
		if got == nil || got.Code != schema.ReasonBadDate || got.Message != tt.want {
			t.Errorf("ngay_sinh %q: violations %+v\nwant %q", tt.raw, res.Violations, tt.want)
		}
	}
	// A full date read after a partial one (the pooled frame) is not
	// taken for it.
	if res := m.Map(birthRow()); len(res.Violations) != 0 {
		t.Errorf("clean row after partial ones: %+v", res.Violations)
	}
}
