package rules

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/tidwall/gjson"
)

// maxMaskReveal bounds N in lastN and firstN.
const maxMaskReveal = 64

type maskKind uint8

const (
	maskLast maskKind = iota
	maskFirst
	maskEmail
	maskAll
)

// mask hides most of a value behind '*', keeping its length (in runes) and
// optionally a few characters at one end.
type mask struct {
	kind maskKind
	n    int // runes revealed by maskLast and maskFirst
}

// newMask compiles a mask style: lastN, firstN, email or all.
func newMask(style string) (transformer, error) {
	switch style {
	case "email":
		return mask{kind: maskEmail}, nil
	case "all":
		return mask{kind: maskAll}, nil
	}
	for _, k := range []struct {
		prefix string
		kind   maskKind
	}{{"last", maskLast}, {"first", maskFirst}} {
		if rest, ok := strings.CutPrefix(style, k.prefix); ok {
			if n, ok := parseSmallInt(rest, 1, maxMaskReveal); ok {
				return mask{kind: k.kind, n: n}, nil
			}
		}
	}
	return nil, fmt.Errorf("unknown mask style %q (want lastN, firstN, email or all, e.g. last4)", style)
}

func (m mask) appendTo(dst []byte, v *gjson.Result) ([]byte, bool) {
	if m.kind == maskEmail {
		return appendMaskedEmail(dst, v)
	}
	s, ok := scalarText(v)
	if !ok {
		return dst, false
	}
	runes := utf8.RuneCountInString(s)
	dst = append(dst, '"')
	switch {
	case m.kind == maskAll || runes <= 2*m.n:
		// Revealing N of at most 2N runes would give away half the value or more.
		dst = appendStars(dst, runes)
	case m.kind == maskFirst:
		cut := runeOffset(s, m.n)
		dst = appendEscaped(dst, s[:cut])
		dst = appendStars(dst, runes-m.n)
	default: // maskLast
		cut := runeOffset(s, runes-m.n)
		dst = appendStars(dst, runes-m.n)
		dst = appendEscaped(dst, s[cut:])
	}
	return append(dst, '"'), true
}

// appendMaskedEmail keeps the first rune of the local part and the whole
// domain: the domain is usually shared by many people, the local part is not.
func appendMaskedEmail(dst []byte, v *gjson.Result) ([]byte, bool) {
	if v.Type != gjson.String {
		return dst, false
	}
	local, domain, ok := strings.Cut(v.Str, "@")
	if !ok || local == "" || strings.Contains(domain, "@") ||
		!strings.Contains(domain, ".") || strings.ContainsFunc(domain, unicode.IsSpace) {
		return dst, false
	}
	runes := utf8.RuneCountInString(local)
	dst = append(dst, '"')
	if runes == 1 {
		dst = append(dst, '*')
	} else {
		cut := runeOffset(local, 1)
		dst = appendEscaped(dst, local[:cut])
		dst = appendStars(dst, runes-1)
	}
	dst = append(dst, '@')
	dst = appendEscaped(dst, domain)
	return append(dst, '"'), true
}

// runeOffset returns the byte offset of the n-th rune of s (counting from 0),
// counting invalid bytes as one rune each like utf8.RuneCountInString.
func runeOffset(s string, n int) int {
	i := 0
	for ; n > 0; n-- {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return i
}

func appendStars(dst []byte, n int) []byte {
	for ; n > 0; n-- {
		dst = append(dst, '*')
	}
	return dst
}
