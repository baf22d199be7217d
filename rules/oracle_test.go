package rules

import (
	"bytes"
	"encoding/json"
	"strconv"

	"github.com/tidwall/gjson"
)

// oracle applies a compiled engine's rules the slow, obvious way: decode
// with encoding/json, find each node's deciding rule by trying every rule
// against every prefix of its path, and encode again. It is the baseline of
// the benchmarks and the reference of the differential tests.
type oracle struct{ e *Engine }

func (o oracle) rewrite(src []byte) ([]byte, error) {
	d := json.NewDecoder(bytes.NewReader(src))
	d.UseNumber()
	var doc any
	if err := d.Decode(&doc); err != nil {
		return nil, err
	}
	out, ok := o.node(doc, nil, 0)
	if !ok {
		switch doc.(type) {
		case map[string]any:
			out = map[string]any{}
		case []any:
			out = []any{}
		default:
			out = nil
		}
	}
	return json.Marshal(out)
}

// node returns the value to write for v at path, whose ancestors were
// decided by rule eff, and false when nothing is written.
func (o oracle) node(v any, path []any, eff int) (any, bool) {
	for i := range o.e.rules[1:] {
		if matches(o.e.patterns[i+1].segs, path) {
			eff = max(eff, i+1)
		}
	}
	r := &o.e.rules[eff]
	switch v := v.(type) {
	case map[string]any:
		if r.Action != Keep && r.Action != Drop && !o.ruleBelow(path, eff) {
			return json.RawMessage(Redacted), true
		}
		out := map[string]any{}
		for k, m := range v {
			if x, ok := o.node(m, append(path[:len(path):len(path)], k), eff); ok {
				out[k] = x
			}
		}
		return out, len(out) > 0 || r.Action != Drop
	case []any:
		out := []any{}
		for i, m := range v {
			if x, ok := o.node(m, append(path[:len(path):len(path)], i), eff); ok {
				out = append(out, x)
			}
		}
		return out, len(out) > 0 || r.Action != Drop
	}
	switch r.Action {
	case Keep:
		return v, true
	case Drop:
		return nil, false
	case Redact:
		return json.RawMessage(Redacted), true
	}
	raw, _ := json.Marshal(v)
	got, ok := r.tf.appendTo(nil, gjson.ParseBytes(raw))
	if !ok {
		got = []byte(Redacted)
	}
	return json.RawMessage(got), true
}

// ruleBelow reports whether some rule that outranks eff could match a
// strict descendant of path: then the object's members are decided one by one.
func (o oracle) ruleBelow(path []any, eff int) bool {
	for i := eff + 1; i < len(o.e.patterns); i++ {
		if couldMatchBelow(o.e.patterns[i].segs, path) {
			return true
		}
	}
	return false
}

// couldMatchBelow reports whether a pattern matches some path that extends
// path by at least one step.
func couldMatchBelow(segs []segment, path []any) bool {
	if len(segs) == 0 {
		return false
	}
	if segs[0].kind == segDeep {
		for i := 0; i <= len(path); i++ {
			if couldMatchBelow(segs[1:], path[i:]) {
				return true
			}
		}
		return true // ** absorbs the rest of path and goes on below it
	}
	if len(path) == 0 {
		return true // the next segment can match a child
	}
	return matches(segs[:1], path[:1]) && couldMatchBelow(segs[1:], path[1:])
}

// matches reports whether a pattern matches a concrete path of keys
// (string) and indexes (int).
func matches(segs []segment, path []any) bool {
	if len(segs) == 0 {
		return len(path) == 0
	}
	s := segs[0]
	if s.kind == segDeep {
		for i := 0; i <= len(path); i++ {
			if matches(segs[1:], path[i:]) {
				return true
			}
		}
		return false
	}
	if len(path) == 0 {
		return false
	}
	ok := false
	switch step := path[0].(type) {
	case string:
		ok = s.kind == segAny || (s.kind == segLit && s.lit == foldString(step))
	case int:
		ok = s.kind == segAny || s.kind == segElem || (s.kind == segLit && s.lit == strconv.Itoa(step))
	}
	return ok && matches(segs[1:], path[1:])
}

// canonical re-encodes a JSON document with sorted keys, for comparison.
func canonical(b []byte) string {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return "invalid: " + err.Error()
	}
	out, _ := json.Marshal(v)
	return string(out)
}
