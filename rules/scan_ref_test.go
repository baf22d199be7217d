package rules

// The rewriter as it was before the single-pass scanner (gjson.Valid, then a
// walk with gjson's ForEach), kept as the reference the scanner is tested
// against: same output, same error, byte for byte.

import (
	"fmt"
	"unicode/utf8"
	"unsafe"

	"github.com/tidwall/gjson"
)

// refRewrite is Rewrite as it was: it validates the JSON document src and appends to dst the document the
// partner may receive. tally, if not nil, must come from NewTally. On error
// nothing usable is appended: the caller forwards nothing.
func (e *Engine) refRewrite(dst, src []byte, tally Tally) ([]byte, error) {
	if err := prescan(src, e.maxDepth); err != nil {
		return dst, err
	}
	if !utf8.Valid(src) {
		return dst, &InputError{"invalid-utf8", "body is not valid UTF-8"}
	}
	// The bytes are not modified while the string is in use.
	s := unsafe.String(unsafe.SliceData(src), len(src))
	if !gjson.Valid(s) {
		return dst, &InputError{"malformed", "body is not a single valid JSON document"}
	}
	w := &refWalker{e: e}
	w.out, w.tally, w.src = dst, tally, src
	doc := gjson.Parse(s)
	if !w.value(doc, e.dfa.root, 0) && w.err == nil {
		// The document itself was dropped: send its empty shape.
		switch {
		case doc.IsObject():
			w.out = append(w.out, "{}"...)
		case doc.IsArray():
			w.out = append(w.out, "[]"...)
		default:
			w.out = append(w.out, "null"...)
		}
	}
	out, err := w.out, w.err
	if err != nil {
		return dst, err
	}
	return out, nil
}

// refWalker holds one reference rewrite's state.
type refWalker struct {
	e     *Engine
	out   []byte
	src   []byte
	tally Tally
	err   error
	keys  []string              // members seen so far, for every object open on the stack
	sets  []map[string]struct{} // per depth, for objects too large for a linear scan
	depth int
	fold  []byte
}

func (w *refWalker) count(rule int32) {
	if w.tally != nil {
		w.tally[rule]++
	}
}

// value writes v, reached in matcher state st under the deciding rule eff,
// and reports whether it wrote anything.
func (w *refWalker) value(v gjson.Result, st, eff int32) bool {
	s := &w.e.dfa.states[st]
	eff = max(eff, s.accept)
	if s.below <= eff || w.e.rules[eff].Action == Drop && s.belowKept <= eff {
		return w.decided(v, eff)
	}
	if a := w.e.rules[eff].Action; v.IsObject() && a != Keep && a != Drop && s.belowKept <= eff {
		return w.decided(v, eff) // only drops could act inside: redacted whole
	}
	switch {
	case v.IsObject():
		return w.object(v, st, eff)
	case v.IsArray():
		return w.array(v, st, eff, false)
	}
	return w.scalar(v, eff)
}

// decided writes v when no rule below can override eff.
func (w *refWalker) decided(v gjson.Result, eff int32) bool {
	switch a := w.e.rules[eff].Action; {
	case a == Keep || a == Drop || v.IsObject():
		if v.IsObject() || v.IsArray() {
			w.check(v)
		}
		w.count(eff)
		switch {
		case a == Drop || w.err != nil:
			return false
		case a == Keep:
			w.out = append(w.out, v.Raw...)
		default:
			// A transformation applies to values. An object's keys may be
			// personal data themselves (a map keyed by email), so the object
			// goes as a whole.
			w.out = append(w.out, Redacted...)
		}
		return true
	case v.IsArray():
		return w.array(v, 0, eff, true)
	}
	return w.scalar(v, eff)
}

// object writes the members of v that survive. A container that ends up
// empty only because its members were dropped is itself dropped, so its key
// does not tell the partner that something was there.
func (w *refWalker) object(v gjson.Result, st, eff int32) bool {
	start := len(w.out)
	w.out = append(w.out, '{')
	mark := w.enter()
	n := 0
	v.ForEach(func(k, m gjson.Result) bool {
		if !w.unique(k, mark) {
			return false
		}
		before := len(w.out)
		if n > 0 {
			w.out = append(w.out, ',')
		}
		w.out = append(w.out, k.Raw...)
		w.out = append(w.out, ':')
		if w.value(m, w.e.dfa.stepKey(st, k.Str, &w.fold), eff) {
			n++
		} else {
			w.out = w.out[:before]
		}
		return w.err == nil
	})
	w.leave(mark)
	return w.close(start, n, '}', eff)
}

func (w *refWalker) array(v gjson.Result, st, eff int32, decided bool) bool {
	start := len(w.out)
	w.out = append(w.out, '[')
	w.depth++
	n, i := 0, 0
	v.ForEach(func(_, m gjson.Result) bool {
		before := len(w.out)
		if n > 0 {
			w.out = append(w.out, ',')
		}
		var ok bool
		if decided {
			ok = w.decided(m, eff)
		} else {
			ok = w.value(m, w.e.dfa.stepElem(st, i), eff)
		}
		if ok {
			n++
		} else {
			w.out = w.out[:before]
		}
		i++
		return w.err == nil
	})
	w.depth--
	return w.close(start, n, ']', eff)
}

func (w *refWalker) close(start, n int, c byte, eff int32) bool {
	if w.err != nil || (n == 0 && w.e.rules[eff].Action == Drop) {
		w.out = w.out[:start]
		return false
	}
	w.out = append(w.out, c)
	return true
}

// scalar writes one string, number, boolean or null under rule eff.
func (w *refWalker) scalar(v gjson.Result, eff int32) bool {
	w.count(eff)
	r := &w.e.rules[eff]
	switch r.Action {
	case Keep:
		w.out = append(w.out, v.Raw...)
	case Drop:
		return false
	case Redact:
		w.out = append(w.out, Redacted...)
	default:
		var ok bool
		if w.out, ok = r.tf.appendTo(w.out, &v); !ok {
			w.out = append(w.out, Redacted...)
		}
	}
	return true
}

// check walks a container that is copied or dropped whole, only to reject
// duplicate keys inside it.
func (w *refWalker) check(v gjson.Result) {
	if v.IsArray() {
		w.depth++
		v.ForEach(func(_, m gjson.Result) bool {
			if m.IsObject() || m.IsArray() {
				w.check(m)
			}
			return w.err == nil
		})
		w.depth--
		return
	}
	mark := w.enter()
	v.ForEach(func(k, m gjson.Result) bool {
		if w.unique(k, mark) && (m.IsObject() || m.IsArray()) {
			w.check(m)
		}
		return w.err == nil
	})
	w.leave(mark)
}

func (w *refWalker) enter() int {
	w.depth++
	return len(w.keys)
}

func (w *refWalker) leave(mark int) {
	clear(w.keys[mark:])
	w.keys = w.keys[:mark]
	if w.depth < len(w.sets) && w.sets[w.depth] != nil {
		clear(w.sets[w.depth])
	}
	w.depth--
}

// unique records key k of the object whose members start at keys[mark] and
// fails the rewrite if the object already had it (compared decoded and
// case-folded).
func (w *refWalker) unique(k gjson.Result, mark int) bool {
	key := k.Str
	n := len(w.keys) - mark
	if n < smallObject {
		for _, prev := range w.keys[mark:] {
			if sameKey(prev, key) {
				return w.duplicate(k)
			}
		}
		w.keys = append(w.keys, key)
		return true
	}
	for len(w.sets) <= w.depth {
		w.sets = append(w.sets, nil)
	}
	set := w.sets[w.depth]
	if set == nil {
		set = make(map[string]struct{}, 2*smallObject)
		w.sets[w.depth] = set
	}
	if len(set) == 0 {
		for _, prev := range w.keys[mark:] {
			set[foldString(prev)] = struct{}{}
		}
	}
	f := foldString(key)
	if _, dup := set[f]; dup {
		return w.duplicate(k)
	}
	set[f] = struct{}{}
	return true
}

func (w *refWalker) duplicate(k gjson.Result) bool {
	w.err = &InputError{"duplicate-key", fmt.Sprintf("duplicate key at byte offset %d (keys are compared decoded and case-insensitively)", w.offset(k.Raw))}
	return false
}

// offset locates a slice of the source by address: gjson's Index is not set
// on values reached through ForEach of a nested result.
func (w *refWalker) offset(raw string) int {
	if len(w.src) == 0 || len(raw) == 0 {
		return -1
	}
	return int(uintptr(unsafe.Pointer(unsafe.StringData(raw))) - uintptr(unsafe.Pointer(unsafe.SliceData(w.src))))
}
