package httpjson

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"regexp"
	"strings"
	"unicode"
)

// hintBytes is how much of an error body is read to describe it.
const hintBytes = 4096

// A response body is never copied into an error or a log: a department
// API's error page may echo the request's records or a citizen's name and
// ID number, and errors end up in the run ledger. An error describes the
// body instead: its media type, its length and, for an error status, a
// JSON error code that cannot carry personal data.

// bodyHint describes a body of size bytes ("more than size" unless
// exact). errBody, when not nil, is a whole error body to look for a JSON
// error code in; a body that answered with success holds records and is
// never looked into.
func (s *secrets) bodyHint(header http.Header, size int64, exact bool, errBody []byte) string {
	parts := []string{mediaType(header.Get("Content-Type"))}
	switch {
	case exact && size == 0:
		return "the body is empty"
	case exact:
		parts = append(parts, fmt.Sprintf("%d bytes", size))
	default:
		parts = append(parts, fmt.Sprintf("more than %d bytes", size))
	}
	if errBody != nil {
		if key, code, ok := errorCode(errBody, s.scrub); ok {
			parts = append(parts, fmt.Sprintf("%s %q", key, code))
		}
	}
	return "body not shown (" + strings.Join(parts, ", ") + ")"
}

// mediaType is a Content-Type's media type without its parameters, if
// it is a well-formed one.
func mediaType(ct string) string {
	if ct == "" {
		return "no content type"
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || len(mt) > 64 || !mediaTypeText.MatchString(mt) {
		return "unreadable content type"
	}
	return mt
}

var mediaTypeText = regexp.MustCompile(`^[a-z0-9][a-z0-9.+\-]*/[a-z0-9][a-z0-9.+\-]*$`)

// errorCodeKeys are where JSON error bodies put a machine-readable code,
// in the order they are looked at: {"code": ...}, {"error": "..."} (RFC
// 6749), {"error": {"code": ...}}, and a message that is itself a code.
var errorCodeKeys = [][]string{
	{"code"}, {"error_code"}, {"errorCode"}, {"error"}, {"error", "code"}, {"error", "type"}, {"message"},
}

// errorCode finds an error code in a JSON object body. Only a value that
// reads as a code is taken (see codeText); free text, which may name a
// citizen, never is. scrub blanks secrets first, before masking could
// leave half of one.
func errorCode(body []byte, scrub func(string) string) (key, code string, ok bool) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var obj map[string]any
	if dec.Decode(&obj) != nil {
		return "", "", false
	}
	for _, path := range errorCodeKeys {
		var v any = obj
		for _, k := range path {
			m, isObj := v.(map[string]any)
			if !isObj {
				v = nil
				break
			}
			v = m[k]
		}
		var text string
		switch x := v.(type) {
		case string:
			text = x
		case json.Number:
			text = x.String()
		default:
			continue
		}
		if c, ok := codeText(scrub(text)); ok {
			return strings.Join(path, "."), c, true
		}
	}
	return "", "", false
}

// codeWord is an error code: ASCII letters and digits in parts joined by
// _ . - or :, at most 48 characters ("invalid_token", "NOT_FOUND",
// "E1023", "db.timeout"). No spaces, no @, no letters with diacritics: an
// e-mail address or a name written as Vietnamese is never one.
var codeWord = regexp.MustCompile(`^[A-Za-z0-9]+([_.:\-][A-Za-z0-9]+)*$`)

var digitRun = regexp.MustCompile(`[0-9]+`)

// surnames are the commonest Vietnamese family names without diacritics,
// carried by most citizens: a code that starts with one and goes on
// ("nguyen_van_an", "TranThiB") reads as a name and is not shown.
var surnames = map[string]bool{
	"nguyen": true, "tran": true, "le": true, "pham": true, "hoang": true, "huynh": true, "phan": true,
	"vu": true, "vo": true, "dang": true, "bui": true, "do": true, "ho": true, "ngo": true, "duong": true,
	"ly": true, "dinh": true, "truong": true, "trinh": true, "doan": true, "lam": true, "mai": true,
}

// codeText returns the text of an error code as an error may show it, or
// false when the value is not a code. A code with more than four digits
// has its digit runs masked: a digit run that long may be an ID number, a
// phone number or a date of birth; "E1023" and "ERR_404" stay whole.
func codeText(v string) (string, bool) {
	if len(v) == 0 || len(v) > 48 || !codeWord.MatchString(v) {
		return "", false
	}
	words := codeWords(v)
	if len(words) >= 2 && surnames[strings.ToLower(words[0])] {
		return "", false
	}
	digits := 0
	for _, r := range v {
		if r >= '0' && r <= '9' {
			digits++
		}
	}
	if digits > 4 {
		v = digitRun.ReplaceAllString(v, "#")
	}
	if strings.Trim(v, "#_.:-") == "" {
		// Nothing but masked digits: a bare number is no code.
		return "", false
	}
	return v, true
}

// codeWords splits a code at its separators and at each lowercase to
// uppercase change ("TranThiB" is Tran, Thi, B).
func codeWords(v string) []string {
	var words []string
	var cur []rune
	prevLower := false
	for _, r := range v {
		switch {
		case strings.ContainsRune("_.:-", r):
			if len(cur) > 0 {
				words = append(words, string(cur))
			}
			cur, prevLower = nil, false
			continue
		case unicode.IsUpper(r) && prevLower:
			words = append(words, string(cur))
			cur = nil
		}
		cur = append(cur, r)
		prevLower = unicode.IsLower(r)
	}
	if len(cur) > 0 {
		words = append(words, string(cur))
	}
	return words
}
