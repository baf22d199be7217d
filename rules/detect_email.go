package rules

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Email addresses, the practical subset of RFC 5321 that people type: a
// local part of letters, digits and . _ % + - (no leading, trailing or
// doubled dot, at most 64 bytes), then a domain of at least two labels
// (letters, digits and hyphens, or any Unicode letters for IDNs; 1-63 bytes,
// no hyphen at either end) whose last label is alphabetic and not a file
// extension ("icon@2x.png" is an image). Quoted local parts and address
// literals are left out: no one writes them in a support note.

// fileExtensions are names after "@2x." and the like that are not TLDs in
// practice.
var fileExtensions = []string{"png", "jpg", "jpeg", "gif", "svg", "webp", "ico", "bmp", "css", "js", "pdf", "txt", "html", "htm"}

// emails finds addresses around each '@'.
func (r *spanFinder) emails() {
	t := r.text
	for from := 0; ; {
		k := strings.IndexByte(t[from:], '@')
		if k < 0 {
			return
		}
		at := from + k
		from = at + 1
		lo := at
		for lo > 0 && at-lo <= 64 && classAt(t, lo-1, clEmailLocal) {
			lo--
		}
		if at-lo > 64 {
			continue // no local part is this long
		}
		if k := strings.LastIndex(t[lo:at], ".."); k >= 0 {
			lo += k + 2 // "wait...jane@": an ellipsis, not part of the address
		}
		for lo < at && t[lo] == '.' {
			lo++
		}
		if lo == at || t[at-1] == '.' {
			continue
		}
		if hi, ok := emailDomain(t, at+1); ok {
			r.add(lo, hi, detEmail)
			from = hi
		}
	}
}

// emailDomain reads the domain starting at i and returns its end.
func emailDomain(t string, i int) (int, bool) {
	start, labels := i, 0
	tld := ""
	for {
		j := i
		ascii := true
		for j < len(t) {
			c := t[j]
			if c < utf8.RuneSelf {
				if byteClass[c]&(clUpper|clLower|clDigit) == 0 && c != '-' {
					break
				}
				j++
				continue
			}
			r, size := utf8.DecodeRuneInString(t[j:])
			if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.IsMark(r) {
				break
			}
			ascii = false
			j += size
		}
		label := t[i:j]
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			break
		}
		labels++
		tld = label
		i = j
		if ascii && !alphaTLD(label) {
			tld = "" // a numeric or mixed label may not end the domain
		}
		if i+1 < len(t) && t[i] == '.' && t[i+1] != '.' {
			i++
			continue
		}
		break
	}
	// i is past the last good label, or at the start of a bad one after a dot.
	if t[i-1] == '.' {
		i--
	}
	if labels < 2 || tld == "" || i-start > 253 || classAt(t, i, clWord) {
		return 0, false
	}
	for _, ext := range fileExtensions {
		if strings.EqualFold(tld, ext) {
			return 0, false
		}
	}
	return i, true
}

// alphaTLD reports whether an ASCII label can be a top-level domain: two or
// more letters, or an IDN in punycode.
func alphaTLD(l string) bool {
	if strings.HasPrefix(l, "xn--") {
		return len(l) > 4
	}
	for i := 0; i < len(l); i++ {
		if byteClass[l[i]]&(clUpper|clLower) == 0 {
			return false
		}
	}
	return len(l) >= 2
}
