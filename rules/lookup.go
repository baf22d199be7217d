package rules

import (
	"fmt"
	"strconv"

	"github.com/tidwall/gjson"
)

// Selector finds the values at a path made of literal keys and `#`, such as
// the data subject's identifier `customer.id` or `orders.#.customer.id`.
type Selector struct{ segs []segment }

// NewSelector parses a path for Select; `*` and `**` are refused because a
// selector must name exactly where a value sits.
func NewSelector(path string) (*Selector, error) {
	p, err := parsePath(path)
	if err != nil {
		return nil, err
	}
	for _, s := range p.segs {
		if s.kind == segAny || s.kind == segDeep || s.kind == segCat {
			return nil, fmt.Errorf("path %q: only literal keys and # may locate a value", path)
		}
	}
	return &Selector{p.segs}, nil
}

// Select calls fn with the text of every scalar at the selector's path in a
// document Rewrite accepted: a string's decoded value or a number as written.
// Keys compare as the rules compare them (decoded, case-folded).
func (s *Selector) Select(doc []byte, fn func(string)) {
	selectIn(gjson.ParseBytes(doc), s.segs, fn)
}

func selectIn(v gjson.Result, segs []segment, fn func(string)) {
	if len(segs) == 0 {
		switch v.Type {
		case gjson.String:
			fn(v.Str)
		case gjson.Number:
			fn(v.Raw)
		}
		return
	}
	seg := segs[0]
	switch {
	case v.IsObject() && seg.kind == segLit:
		v.ForEach(func(k, m gjson.Result) bool {
			if foldString(k.Str) == seg.lit {
				selectIn(m, segs[1:], fn)
			}
			return true
		})
	case v.IsArray():
		i := 0
		v.ForEach(func(_, m gjson.Result) bool {
			if seg.kind == segElem || (seg.kind == segLit && seg.lit == strconv.Itoa(i)) {
				selectIn(m, segs[1:], fn)
			}
			i++
			return true
		})
	}
}
