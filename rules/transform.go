package rules

import (
	"unicode/utf8"

	"github.com/tidwall/gjson"
)

// Redacted is the JSON text that replaces a redacted value.
const Redacted = `"[REDACTED]"`

// transformer rewrites one scalar JSON value (string, number, true, false,
// null; never an object or array). It appends the replacement JSON text to dst
// and reports false when the value cannot be transformed as asked; the caller
// then writes Redacted instead (never the original). On false, the returned
// slice is dst with nothing appended.
type transformer interface {
	appendTo(dst []byte, v *gjson.Result) ([]byte, bool)
}

// scalarText is the text a value-shaped transform works on: the decoded
// string, or a number's raw JSON text (so 42 and "42" transform alike).
func scalarText(v *gjson.Result) (string, bool) {
	switch v.Type {
	case gjson.String:
		return v.Str, true
	case gjson.Number:
		return v.Raw, true
	}
	return "", false
}

// appendString appends s to dst as a quoted JSON string.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	dst = appendEscaped(dst, s)
	return append(dst, '"')
}

const hexDigits = "0123456789abcdef"

// appendEscaped appends the body of a JSON string holding s (without quotes).
// Invalid UTF-8 becomes U+FFFD, as in encoding/json, so the output is always
// valid JSON; U+2028 and U+2029 are escaped so it is also safe inside JavaScript.
func appendEscaped(dst []byte, s string) []byte {
	i := 0
	for i < len(s) && s[i] >= 0x20 && s[i] < utf8.RuneSelf && s[i] != '"' && s[i] != '\\' {
		i++
	}
	if i == len(s) {
		return append(dst, s...)
	}
	dst = append(dst, s[:i]...)
	for i < len(s) {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
			i++
		case c < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			i++
		case c < utf8.RuneSelf:
			dst = append(dst, c)
			i++
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			switch {
			case r == utf8.RuneError && size == 1:
				dst = append(dst, `\ufffd`...)
			case r == '\u2028' || r == '\u2029':
				dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			default:
				dst = append(dst, s[i:i+size]...)
			}
			i += size
		}
	}
	return dst
}

// parseSmallInt parses s as a plain decimal integer in [lo, hi]: digits only,
// no sign and no leading zero, so each argument has one spelling.
func parseSmallInt(s string, lo, hi int) (int, bool) {
	if s == "" || len(s) > 1 && s[0] == '0' || len(s) > 4 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, n >= lo && n <= hi
}

// AppendJSONString appends s as a JSON string, so callers that build
// documents for the engine (query strings, forms, headers) quote as it does.
func AppendJSONString(dst []byte, s string) []byte { return appendString(dst, s) }
