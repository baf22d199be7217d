package rules

import (
	"bytes"
	"encoding/json"

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
	eff = o.e.decide(path, eff)
	r := &o.e.rules[eff]
	switch v := v.(type) {
	case map[string]any:
		if r.Action != Keep && r.Action != Drop && !o.e.ruleBelow(path, eff, true) {
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
