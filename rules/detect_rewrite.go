package rules

// Replacer appends to dst the text that replaces one finding: a placeholder,
// a mask or a pseudonym chosen by the finding's categories. It appends plain
// text; AppendRewritten escapes it for JSON where needed.
type Replacer func(dst []byte, f Finding, span string) []byte

// AppendRewritten appends to dst the body of a JSON string (escaped, without
// quotes) holding text with every finding replaced by what replace appends
// for it and everything else kept. f is the field holding the text, as for
// AppendFindings. This is the scan action's rewrite: a support note keeps its
// words and loses its card numbers.
func (s *Scanner) AppendRewritten(dst []byte, text string, f Field, replace Replacer) []byte {
	var findings [64]Finding
	return appendReplaced(dst, text, s.AppendFindings(findings[:0], text, f), replace)
}

// appendReplaced is AppendRewritten with the findings found.
func appendReplaced(dst []byte, text string, fs []Finding, replace Replacer) []byte {
	last := 0
	for _, x := range fs {
		dst = appendEscaped(dst, text[last:x.Start])
		mark := len(dst)
		dst = replace(dst, x, text[x.Start:x.End])
		if needsEscape(dst[mark:]) {
			// Rare: a replacement with quotes, controls or non-ASCII text.
			rep := string(dst[mark:])
			dst = appendEscaped(dst[:mark], rep)
		}
		last = x.End
	}
	return appendEscaped(dst, text[last:])
}

// needsEscape reports whether appendEscaped may change b: any non-ASCII byte
// counts, though most pass unchanged.
func needsEscape(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c == '"' || c == '\\' || c >= 0x80 {
			return true
		}
	}
	return false
}
