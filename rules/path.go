package rules

import (
	"fmt"
	"strconv"
	"strings"
)

// segKind is what one path segment matches.
type segKind uint8

const (
	segLit  segKind = iota // one object key (compared case-folded) or, if numeric, one array index
	segElem                // `#`: every element of an array
	segAny                 // `*`: any one key or element
	segDeep                // `**`: any run of keys and elements, including none
	segCat                 // `@name`: a member or element whose name or value is in a category
)

type segment struct {
	kind segKind
	lit  string // case-folded literal, for segLit
	idx  int    // array index the literal also matches, or -1
	cat  string // category name, for segCat
	id   Category
}

// pattern is a parsed path such as `items.#.sku` or `**.email`.
type pattern struct {
	text     string
	segs     []segment
	literals int // the number of literal and category segments: the rule's specificity
}

// category returns the pattern's category segment, which is always its last.
func (p pattern) category() (*segment, bool) {
	if n := len(p.segs); n > 0 && p.segs[n-1].kind == segCat {
		return &p.segs[n-1], true
	}
	return nil, false
}

// floating reports whether the pattern is a bare category (`@contact`,
// which is `**.@contact`): it holds wherever such data sits, spans of free
// text included.
func (p pattern) floating() bool {
	return len(p.segs) == 2 && p.segs[0].kind == segDeep && p.segs[1].kind == segCat
}

// parsePath parses the path language: segments separated by dots; `#`, `*`
// and `**` as whole segments are wildcards; `@name` as the last segment
// names a category, and a path that starts with one holds at any depth
// (`@contact` is `**.@contact`); a backslash makes the next character literal
// (`a\.b` is the single key "a.b", `\*` the key "*", `\@x` the key "@x").
func parsePath(s string) (pattern, error) {
	p := pattern{text: s}
	if s == "" {
		return p, fmt.Errorf("empty path")
	}
	var cur strings.Builder
	escaped := false // the current segment held an escape, so it is a literal
	wild := false    // the current segment held an unescaped * or #
	flush := func() error {
		seg := cur.String()
		cur.Reset()
		defer func() { escaped, wild = false, false }()
		switch {
		case seg == "" && !escaped:
			return fmt.Errorf("path %q has an empty segment", s)
		case !escaped && seg == "#":
			p.segs = append(p.segs, segment{kind: segElem})
		case !escaped && seg == "*":
			p.segs = append(p.segs, segment{kind: segAny})
		case !escaped && seg == "**":
			if n := len(p.segs); n > 0 && p.segs[n-1].kind == segDeep {
				return nil // `**.**` is `**`
			}
			p.segs = append(p.segs, segment{kind: segDeep})
		case !escaped && seg != "" && seg[0] == '@':
			if err := checkCategoryName(seg[1:]); err != nil {
				return fmt.Errorf("path %q: %v", s, err)
			}
			if len(p.segs) == 0 {
				p.segs = append(p.segs, segment{kind: segDeep})
			}
			p.segs = append(p.segs, segment{kind: segCat, cat: seg[1:]})
			p.literals++
		case wild:
			return fmt.Errorf("path %q: wildcards match whole segments; escape * or # with a backslash to match it literally", s)
		default:
			p.segs = append(p.segs, segment{kind: segLit, lit: foldString(seg), idx: arrayIndex(seg)})
			p.literals++
		}
		return nil
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			if i+1 == len(s) {
				return p, fmt.Errorf("path %q ends in a lone backslash", s)
			}
			i++
			cur.WriteByte(s[i])
			escaped = true
		case '.':
			if err := flush(); err != nil {
				return p, err
			}
		case '*', '#':
			cur.WriteByte(c)
			wild = true
		default:
			cur.WriteByte(c)
		}
	}
	if err := flush(); err != nil {
		return p, err
	}
	for _, seg := range p.segs[:len(p.segs)-1] {
		if seg.kind == segCat {
			return p, fmt.Errorf("path %q: a category names the field itself, so @%s must be the last segment", s, seg.cat)
		}
	}
	return p, nil
}

// arrayIndex returns the array index a literal segment also names, or -1.
func arrayIndex(seg string) int {
	// Digits only, without leading zeros: "+1" and "-0" are keys.
	if seg == "" || seg[0] < '0' || seg[0] > '9' || (len(seg) > 1 && seg[0] == '0') {
		return -1
	}
	n, err := strconv.Atoi(seg)
	if err != nil || n < 0 {
		return -1
	}
	return n
}
