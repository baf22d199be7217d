package rules

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Keys are matched and deduplicated without regard to case: many partner
// parsers (Go's encoding/json, .NET, Jackson configured so) bind "EMAIL" to
// the field "email", so a filter that told them apart would leak.

// foldRune maps r to one representative of its simple case-folding orbit:
// the smallest rune of the orbit, lowercased when that is ASCII.
func foldRune(r rune) rune {
	m := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		m = min(m, f)
	}
	if 'A' <= m && m <= 'Z' {
		m += 'a' - 'A'
	}
	return m
}

// needsFold reports whether s differs from its folded form or may.
func needsFold(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= utf8.RuneSelf || ('A' <= c && c <= 'Z') {
			return true
		}
	}
	return false
}

// appendFold appends the folded form of s to dst.
func appendFold(dst []byte, s string) []byte {
	for _, r := range s {
		dst = utf8.AppendRune(dst, foldRune(r))
	}
	return dst
}

func foldString(s string) string {
	if !needsFold(s) {
		return s
	}
	return string(appendFold(nil, s))
}

// sameKey reports whether two decoded keys are the same key under folding.
func sameKey(a, b string) bool { return a == b || strings.EqualFold(a, b) }
