package vn

import (
	"fmt"
	"strings"
)

// Sex normalises a sex field to "M" or "F". It reads Nam/Nữ in any case, with
// or without diacritics ("nu", "NỮ"), M/F and male/female. Sources that code
// sex as 1/0 disagree on which is which, so "1" maps to one and "0" to zero,
// as the mapping says (each read by the same rules, e.g. one: "Nữ"); with
// one or zero empty, that digit is an error. Anything else is bad_sex.
func Sex(s, one, zero string) (string, error) {
	t := strings.TrimSpace(s)
	switch {
	case t == "1" || t == "0":
		code := one
		if t == "0" {
			code = zero
		}
		if code == "" {
			return "", newError(ReasonBadSex, fmt.Sprintf("sex %q: the mapping does not say what %s means (set one and zero)", s, t))
		}
		v, err := Sex(code, "", "")
		if err != nil {
			return "", newError(ReasonBadSex, fmt.Sprintf("sex %q: the mapping maps %s to %q, want M or F", s, t, code))
		}
		return v, nil
	}
	if len(t) <= 6 && isASCII(t) {
		var low [6]byte
		for i := 0; i < len(t); i++ {
			low[i] = t[i] | 0x20 // letters only matter below
		}
		switch string(low[:len(t)]) {
		case "m", "nam", "male":
			return "M", nil
		case "f", "nu", "female":
			return "F", nil
		}
	} else if equalFoldAny(t, "nữ") {
		return "F", nil
	}
	if !isASCII(t) {
		if n := NFC(t); n != t && equalFoldAny(n, "nữ") {
			return "F", nil // decomposed "nữ"
		}
	}
	return "", newError(ReasonBadSex, fmt.Sprintf("sex %q: want Nam, Nữ, M, F, male or female", s))
}

func equalFoldAny(s string, words ...string) bool {
	for _, w := range words {
		if strings.EqualFold(s, w) {
			return true
		}
	}
	return false
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
