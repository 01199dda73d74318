package vn

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// The fuzz targets check properties every input must keep; crashers found
// are kept in testdata/fuzz as seed corpus.

func FuzzDecode(f *testing.F) {
	for _, s := range append(append(append([]string{}, sentencesTCVN3...), sentencesCP1258...), sentencesVIQR...) {
		f.Add(s)
	}
	f.Add("Nguye\xe3n Va\xean \xd1\xf6\xf9c")
	f.Add("\xff\xfeH\x00\xe0\x00")
	f.Add("\x40\xd8\x00\xdc")
	encs := []Encoding{UTF8, UTF16LE, UTF16BE, CP1258, TCVN3, VNI, VIQR}
	f.Fuzz(func(t *testing.T, in string) {
		for _, enc := range encs {
			got, err := Decode(enc, []byte(in))
			if err != nil {
				var e *Error
				if !errors.As(err, &e) || e.Code != ReasonEncoding {
					t.Fatalf("Decode(%s, %q) error %v; want %s", enc, in, err, ReasonEncoding)
				}
				if enc == TCVN3 {
					t.Fatalf("Decode(tcvn3, %q) = %v; every byte is assigned", in, err)
				}
				continue
			}
			if !utf8.ValidString(got) || !norm.NFC.IsNormalString(got) {
				t.Fatalf("Decode(%s, %q) = %q: not valid NFC UTF-8", enc, in, got)
			}
		}
		if utf8.ValidString(in) && !strings.HasPrefix(in, "\ufeff") {
			if got, err := Decode(UTF8, []byte(in)); err != nil || got != norm.NFC.String(in) {
				t.Fatalf("Decode(utf-8, %q) = %q, %v; want its NFC", in, got, err)
			}
		}
	})
}

func FuzzDetect(f *testing.F) {
	f.Add(sentencesTCVN3[0], sentencesCP1258[1])
	f.Add("\xff\xfeH\x00", "")
	f.Add("Nguye^~n", "Ha` Ti~nh")
	f.Fuzz(func(t *testing.T, a, b string) {
		enc, conf := Detect([][]byte{[]byte(a), []byte(b)})
		if conf < 0 || conf > 1 || conf != conf {
			t.Fatalf("Detect(%q, %q) confidence %v; want [0,1]", a, b, conf)
		}
		if _, err := ParseEncoding(string(enc)); err != nil {
			t.Fatalf("Detect(%q, %q) = %q, not an encoding", a, b, enc)
		}
	})
}

func FuzzName(f *testing.F) {
	for _, s := range []string{"  nGUYỄN   thị   minh KHAI ", "đặng văn đức", "h'hen niê", "Nguye\u0302\u0303n", "\u00a0\u200b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		if !utf8.ValidString(in) {
			return
		}
		got := Name(in)
		if !utf8.ValidString(got) || !norm.NFC.IsNormalString(got) {
			t.Fatalf("Name(%q) = %q: not valid NFC", in, got)
		}
		if again := Name(got); again != got {
			t.Fatalf("Name(Name(%q)) = %q; want %q (idempotent)", in, again, got)
		}
		if strings.HasPrefix(got, " ") || strings.HasSuffix(got, " ") || strings.Contains(got, "  ") {
			t.Fatalf("Name(%q) = %q: stray spaces", in, got)
		}
	})
}

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"01/05/1950", "00/00/1950", "05/1950", "1990-04-30", "31/02/2020", "12/03/88", "1990-05-01T00:00:00", "1950"} {
		f.Add(s, 0)
	}
	f.Fuzz(func(t *testing.T, in string, pivot int) {
		d, err := ParseDate(in, DateOptions{Pivot: pivot})
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Code != ReasonBadDate {
				t.Fatalf("ParseDate(%q) error %v; want %s", in, err, ReasonBadDate)
			}
			return
		}
		if d.Year < minYear || d.Year > maxYear || d.Precision < PrecisionYear || d.Precision > PrecisionDay {
			t.Fatalf("ParseDate(%q) = %+v: out of range", in, d)
		}
		if d.Precision == PrecisionDay && (d.Day < 1 || d.Day > daysIn(d.Year, d.Month)) {
			t.Fatalf("ParseDate(%q) = %+v: no such day", in, d)
		}
		// The ISO form reads back as the same date.
		again, err := ParseDate(d.String(), DateOptions{})
		if err != nil || again != d {
			t.Fatalf("ParseDate(%q) = %+v; its String %q reads back as %+v, %v", in, d, d.String(), again, err)
		}
	})
}

func FuzzParseID(f *testing.F) {
	for _, s := range []string{"042090123456", "079 303 012 345", "999090123456", "186123456", "04209012345A"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		id, err := ParseID(in)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || (e.Code != ReasonIDFormat && e.Code != ReasonIDProvince) {
				t.Fatalf("ParseID(%q) error %v; want %s or %s", in, err, ReasonIDFormat, ReasonIDProvince)
			}
			return
		}
		if _, ok := ProvinceName(id.Province); !ok || len(id.Number) != 12 || id.Century < 1900 || id.Century > 2300 || id.YY > 99 {
			t.Fatalf("ParseID(%q) = %+v: out of range", in, id)
		}
		if again, err := ParseID(id.Number); err != nil || again != id {
			t.Fatalf("ParseID(%q) = %+v; its Number reads back as %+v, %v", in, id, again, err)
		}
		if err := id.Check(Date{Year: id.BirthYear(), Precision: PrecisionYear}, id.sex()); err != nil {
			t.Fatalf("ID %+v fails its own year and sex: %v", id, err)
		}
	})
}

func FuzzPhone(f *testing.F) {
	for _, s := range []string{"0168 123 4567", "04 3825 1234", "(024) 3825.1234", "+84 (0) 912 345 678", "038 3844 123", "0511 3822 123"} {
		f.Add(s, int64(1483228800))
	}
	f.Fuzz(func(t *testing.T, in string, unix int64) {
		asOf := time.Unix(unix, 0)
		got, err := Phone(in, asOf)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Code != ReasonBadPhone {
				t.Fatalf("Phone(%q) error %v; want %s", in, err, ReasonBadPhone)
			}
			return
		}
		if !strings.HasPrefix(got, "+84") || len(got) < 12 || len(got) > 13 || strings.Trim(got[1:], "0123456789") != "" {
			t.Fatalf("Phone(%q) = %q: not a Vietnamese E.164 number", in, got)
		}
		if again, err := Phone(got, asOf); err != nil || again != got {
			t.Fatalf("Phone(%q) = %q; again %q, %v; want it unchanged", in, got, again, err)
		}
	})
}

func FuzzSex(f *testing.F) {
	for _, s := range []string{"Nam", "Nữ", "nu", "1", "0", "female"} {
		f.Add(s, "M", "F")
	}
	f.Fuzz(func(t *testing.T, in, one, zero string) {
		got, err := Sex(in, one, zero)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Code != ReasonBadSex {
				t.Fatalf("Sex(%q) error %v; want %s", in, err, ReasonBadSex)
			}
			return
		}
		if got != "M" && got != "F" {
			t.Fatalf("Sex(%q, %q, %q) = %q; want M or F", in, one, zero, got)
		}
	})
}

func FuzzRepairText(f *testing.F) {
	for _, s := range []string{"NguyÔn ThÞ H\u00ad¬ng", "Nguyá»…n Thá»‹ HÆ°Æ¡ng", "Nguyeãn", "Hà Lê", "IA PÚCH",
		"Nguy\xd4n V\xa8n", "CÃ\u00a0 Mau", "BiÒm Sõn", "\ufffd", "H'Hen Niê", "NGUYÔN V¡N"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, from, err := RepairText(in)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Code != ReasonEncoding || !utf8.ValidString(e.Message) {
				t.Fatalf("RepairText(%q) error %v; want a valid-UTF-8 %s", in, err, ReasonEncoding)
			}
			return
		}
		if from == "" {
			if out != in {
				t.Fatalf("RepairText(%q) = %q with no encoding; clean text stays as it is", in, out)
			}
			return
		}
		if !utf8.ValidString(out) || !norm.NFC.IsNormalString(out) {
			t.Fatalf("RepairText(%q) = %q: not valid NFC", in, out)
		}
		// A repair is Vietnamese: repairing it again changes nothing.
		if again, f2, err := RepairText(out); err != nil || again != out || f2 != "" {
			t.Fatalf("RepairText(RepairText(%q) = %q) = %q, %q, %v; want it clean", in, out, again, f2, err)
		}
	})
}

// groupSeparators are the separators the fuzz targets below put between
// digit groups; each must read like an ASCII space.
var groupSeparators = []string{" ", ".", "-", "\u00a0", "\u2009", "\u202f", "\u200b", "\u00ad", "\u2013", "\u2011", "\u3000", " - ", "\ufeff"}

// FuzzDigitGroups: a number split anywhere into groups with any of the
// separators reads as the bare digits do, for ID numbers, old ID cards and
// phone numbers; and a message never holds a byte that is not UTF-8 nor
// an invisible character.
func FuzzDigitGroups(f *testing.F) {
	f.Add("042090123456", uint64(0x0403), uint8(3))
	f.Add("186123456", uint64(0x21), uint8(4))
	f.Add("0912345678", uint64(0x105), uint8(5))
	f.Add("0\u00a09\u200e", uint64(1), uint8(0))
	f.Fuzz(func(t *testing.T, digits string, cuts uint64, sep uint8) {
		for i := 0; i < len(digits); i++ {
			if !isDigit(digits[i]) {
				// Any text: errors must stay readable.
				for _, err := range []error{func() error { _, err := ParseID(digits); return err }(), func() error { _, err := Phone(digits, time.Time{}); return err }()} {
					if err != nil && (!utf8.ValidString(err.Error()) || strings.ContainsAny(err.Error(), "\u00a0\u200b\u200e\u00ad\ufffd")) {
						t.Fatalf("message %q shows a character invisibly or as mojibake", err.Error())
					}
				}
				return
			}
		}
		if len(digits) < 2 || len(digits) > 16 {
			return
		}
		var b strings.Builder
		for i := 0; i < len(digits); i++ {
			if i > 0 && cuts&(1<<(i-1)) != 0 {
				b.WriteString(groupSeparators[int(sep)%len(groupSeparators)])
			}
			b.WriteByte(digits[i])
		}
		grouped := b.String()
		id1, err1 := ParseID(digits)
		id2, err2 := ParseID(grouped)
		if id1 != id2 || (err1 == nil) != (err2 == nil) || err1 != nil && err1.(*Error).Code != err2.(*Error).Code {
			t.Fatalf("ParseID(%q) = %+v, %v; ParseID(%q) = %+v, %v; want the same", digits, id1, err1, grouped, id2, err2)
		}
		if IsOldIDCard(digits) != IsOldIDCard(grouped) {
			t.Fatalf("IsOldIDCard(%q) != IsOldIDCard(%q)", digits, grouped)
		}
		p1, err1 := Phone(digits, time.Time{})
		p2, err2 := Phone(grouped, time.Time{})
		if p1 != p2 || (err1 == nil) != (err2 == nil) {
			t.Fatalf("Phone(%q) = %q, %v; Phone(%q) = %q, %v; want the same", digits, p1, err1, grouped, p2, err2)
		}
	})
}
