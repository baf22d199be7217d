package rules

import (
	"unicode"
	"unicode/utf8"
)

// Field names come in every naming style (email_address, emailAddress,
// EMAIL-ADDR, e.mail, IPv6Address), so the taxonomy compares them as
// sequences of lower-case words rather than as strings.

// wordSpan is one word of a split field name: buf[start:end].
type wordSpan struct{ start, end int32 }

// maxKeyWords bounds the words considered in one field name; later words are
// ignored, which only matters for names no one writes by hand.
const maxKeyWords = 24

// splitWords appends the words of key, case-folded, to buf and their bounds
// to words. A word ends at any rune that is not a letter or digit, between a
// lower-case letter or digit and an upper-case letter (camelCase), before the
// last capital of a run followed by two lower-case letters (HTTPServer is
// http server, while IPv6 and IDs stay whole), and between letters and
// digits. Folding is the one keys are matched with (foldRune), so "EMAİL" and
// a Kelvin-sign "K" land where a partner's case-insensitive parser puts them.
func splitWords(key string, buf []byte, words []wordSpan) ([]byte, []wordSpan) {
	const (
		other = iota
		lower
		upper
		digit
	)
	class := func(r rune) int {
		switch {
		case r < utf8.RuneSelf:
			switch c := byte(r); {
			case 'a' <= c && c <= 'z':
				return lower
			case 'A' <= c && c <= 'Z':
				return upper
			case '0' <= c && c <= '9':
				return digit
			}
			return other
		case unicode.IsUpper(r):
			return upper
		case unicode.IsLetter(r) || unicode.IsMark(r):
			return lower // caseless scripts join like lower case
		case unicode.IsDigit(r):
			return digit
		}
		return other
	}
	prev := other
	open := false
	for i := 0; i < len(key); {
		r, size := utf8.DecodeRuneInString(key[i:])
		c := class(r)
		brk := false
		switch {
		case c == other:
			prev = other
			if open {
				words[len(words)-1].end = int32(len(buf))
				open = false
			}
			i += size
			continue
		case prev == other:
			brk = true
		case (prev == digit) != (c == digit):
			brk = true
		case prev == lower && c == upper:
			brk = true
		case prev == upper && c == upper:
			// HTTPServer: break before the S because "er" follows.
			r1, n1 := utf8.DecodeRuneInString(key[i+size:])
			r2, _ := utf8.DecodeRuneInString(key[i+size+n1:])
			brk = class(r1) == lower && class(r2) == lower
		}
		if brk {
			if open {
				words[len(words)-1].end = int32(len(buf))
			}
			if len(words) == maxKeyWords {
				return buf, words
			}
			words = append(words, wordSpan{int32(len(buf)), int32(len(buf))})
			open = true
		}
		if r < utf8.RuneSelf {
			b := byte(r)
			if 'A' <= b && b <= 'Z' {
				b += 'a' - 'A'
			}
			buf = append(buf, b)
		} else {
			buf = utf8.AppendRune(buf, foldRune(r))
		}
		prev = c
		i += size
	}
	if open {
		words[len(words)-1].end = int32(len(buf))
	}
	return buf, words
}

// allDigits reports whether the word is a number, as in address_line_2.
func allDigits(w []byte) bool {
	for _, c := range w {
		if c < '0' || c > '9' {
			return false
		}
	}
	return len(w) > 0
}
