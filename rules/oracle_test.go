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
	eff = o.e.decide(path, o.e.categories(path, gjsonOf(v)), eff)
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
	case Keep, Scan:
		return o.spans(v, path, eff), true
	case Drop:
		return nil, false
	case Redact:
		return json.RawMessage(Redacted), true
	}
	raw, _ := json.Marshal(v)
	gv := gjson.ParseBytes(raw)
	if revealsText(r.Action) && gv.Type == gjson.String {
		gv.Str = o.withoutSpans(gv.Str, path, eff)
	}
	got, ok := r.tf.appendTo(nil, &gv)
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

// gjsonOf returns the decoded value v as gjson reads it.
func gjsonOf(v any) gjson.Result {
	raw, _ := json.Marshal(v)
	return gjson.ParseBytes(raw)
}

// spans returns the kept or scanned scalar v at path with the findings in
// its text replaced, as replaceSpan replaces them.
func (o oracle) spans(v any, path []any, eff int) any {
	a := o.e.rules[eff].Action
	sc, spanEff := o.e.cats.spans, int32(eff)
	if a == Scan {
		sc, spanEff = o.e.cats.text, none
	}
	var text string
	switch x := v.(type) {
	case string:
		text = x
	case json.Number:
		if a != Scan {
			return v
		}
		text = numberText(string(x))
	default:
		return v
	}
	if sc == nil {
		return v
	}
	fs := sc.AppendFindings(nil, text, o.field(path))
	if len(fs) == 0 {
		return v
	}
	w := o.e.walkers.Get().(*walker)
	defer o.e.walkers.Put(w)
	w.spanEff = spanEff
	return json.RawMessage(append(appendReplaced([]byte{'"'}, text, fs, w.replace), '"'))
}

// field is what the taxonomy makes of the last key of path.
func (o oracle) field(path []any) Field {
	if len(path) > 0 {
		if key, ok := path[len(path)-1].(string); ok {
			return o.e.cats.tax.Field(key)
		}
	}
	return Field{}
}

// withoutSpans is text, which a mask or generalization decided by eff will
// partly reveal, with the spans that outrank eff replaced first.
func (o oracle) withoutSpans(text string, path []any, eff int) string {
	sc := o.e.cats.spans
	if sc == nil || o.e.cats.spanMax <= int32(eff) {
		return text
	}
	fs := sc.AppendFindings(nil, text, o.field(path))
	if len(fs) == 0 {
		return text
	}
	w := o.e.walkers.Get().(*walker)
	defer o.e.walkers.Put(w)
	w.spanEff = int32(eff)
	var b []byte
	last := 0
	for _, x := range fs {
		b = append(b, text[last:x.Start]...)
		b = w.replace(b, x, text[x.Start:x.End])
		last = x.End
	}
	return string(append(b, text[last:]...))
}
