package rules

import (
	"fmt"

	"github.com/tidwall/gjson"
)

// Selector finds the values at a path made of literal keys and `#`, such as
// the data subject's identifier `customer.id` or `orders.#.customer.id`.
type Selector struct {
	path string // as written
	segs []segment
}

// NewSelector parses a path for Every. `*`, `**` and categories are
// refused because a selector must name exactly where a value sits, and a
// `#` in last place because the value must be an object's member.
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
	if p.segs[len(p.segs)-1].kind == segElem {
		return nil, fmt.Errorf("path %q: a value is located by the name of its member, not by #", path)
	}
	return &Selector{path, p.segs}, nil
}

// Covers reports whether Every, holding for a document, vouches for what
// path names in it: either everything inside the object that holds the
// selector's values, or that object (path starts with the selector's
// segments but its last, written alike: `#` for `#`, the same key); or a
// path of literal keys and `#` whose every `#` stands where the
// selector's own path has one, after the same keys, so that every element
// it spans was checked. A literal path elsewhere is the caller's claim
// that what it names is the subject's; `*`, `**`, a category or a `#` of
// its own there could reach anyone's.
func (s *Selector) Covers(path string) (bool, error) {
	p, err := parsePath(path)
	if err != nil {
		return false, err
	}
	parent := s.segs[:len(s.segs)-1]
	if len(p.segs) >= len(parent) && sameSegs(p.segs[:len(parent)], parent) {
		return true, nil
	}
	for i, seg := range p.segs {
		switch {
		case seg.kind == segLit:
		case seg.kind == segElem && i < len(parent) && sameSegs(p.segs[:i+1], parent[:i+1]):
		default:
			return false, nil
		}
	}
	return true, nil
}

func sameSegs(a, b []segment) bool {
	for i := range a {
		if a[i].kind != b[i].kind || a[i].lit != b[i].lit {
			return false
		}
	}
	return true
}

// String returns the path as written.
func (s *Selector) String() string { return s.path }

// Every reports whether the selector's path reaches at least one value in
// doc and every value it reaches is a scalar member whose text (a string
// decoded, a number as written) ok accepts. A branch that ends early (a
// missing member or element, or null, a scalar or the wrong container
// where the path goes on), in a container or in an array element fails
// it, so a document cannot keep a value from the check by leaving it out
// or giving it another shape. Keys compare as the rules compare them
// (decoded, case-folded). doc need not be valid: the callers' rewrite,
// which follows, refuses what the engine would not accept.
func (s *Selector) Every(doc []byte, ok func(string) bool) bool {
	return everyIn(gjson.ParseBytes(doc), s.segs, ok) > 0
}

// everyIn returns how many values the path segs reaches under v, or -1 if
// a branch fails.
func everyIn(v gjson.Result, segs []segment, ok func(string) bool) int {
	if len(segs) == 0 {
		switch {
		case v.Type == gjson.String && ok(v.Str), v.Type == gjson.Number && ok(v.Raw):
			return 1
		}
		return -1
	}
	seg, n := segs[0], -1
	switch {
	case v.IsObject() && seg.kind == segLit:
		v.ForEach(func(k, m gjson.Result) bool {
			if foldString(k.Str) != seg.lit {
				return true
			}
			n = everyIn(m, segs[1:], ok) // keys are unique: Rewrite refuses duplicates
			return false
		})
	case v.IsArray() && seg.kind == segElem:
		n = 0
		v.ForEach(func(_, m gjson.Result) bool {
			// An element with no value under it (an empty list on the way)
			// was not checked, yet a rule's # before this one spans it.
			k := everyIn(m, segs[1:], ok)
			if k <= 0 {
				n = -1
				return false
			}
			n += k
			return true
		})
	case v.IsArray() && seg.kind == segLit && len(segs) > 1:
		// An index may lead on to the value, not be it: the value's
		// holder must be an object, whose other members Covers admits.
		i, at := 0, arrayIndex(seg.lit) // as the engine indexes arrays
		v.ForEach(func(_, m gjson.Result) bool {
			if i == at {
				n = everyIn(m, segs[1:], ok)
				return false
			}
			i++
			return true
		})
	}
	return n
}
