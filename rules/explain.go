package rules

import (
	"strconv"
	"strings"

	"github.com/tidwall/gjson"
)

// Explain is the slow, plain reading of a policy: for a document, which
// rule decided each value and what it did. It serves previews and the
// differential tests; the rewriter's DFA must agree with it.

// Decision is what happened to one value (or one container, decided whole).
type Decision struct {
	Path   string // concrete, in the path language: items.0.sku
	Rule   Rule   // the deciding rule; Path "(default)" for the default
	Whole  bool   // a container decided as a whole
	Pruned bool   // a container dropped because nothing in it survived
	Spans  []Span // what happened to the personal data found in kept or scanned text
}

// Span is what happened to one finding inside a text.
type Span struct {
	Detector string
	Rule     Rule // the category's bare rule; Path "(scan)" when a scan redacted a span no rule names
}

// Explain validates src as Rewrite does and lists the decisions, in
// document order.
func (e *Engine) Explain(src []byte) ([]Decision, error) {
	if _, err := e.Rewrite(nil, src, nil); err != nil {
		return nil, err
	}
	var out []Decision
	e.explain(gjson.ParseBytes(src), nil, 0, &out)
	return out, nil
}

func (e *Engine) explain(v gjson.Result, path []any, eff int, out *[]Decision) {
	eff = e.decide(path, e.categories(path, v), eff)
	r := e.rules[eff].Rule
	if eff == 0 {
		r.Path = "(default)"
	}
	transformed := r.Action != Keep && r.Action != Drop
	if !(v.IsObject() || v.IsArray()) || !e.ruleBelow(path, eff, r.Action == Drop) || (v.IsObject() && transformed && !e.ruleBelow(path, eff, true)) {
		d := Decision{Path: pathText(path), Rule: r, Whole: v.IsObject() || v.IsArray()}
		if !d.Whole {
			d.Spans = e.explainSpans(v, path, int32(eff))
		}
		*out = append(*out, d)
		return
	}
	mark := len(*out)
	i := 0
	v.ForEach(func(k, m gjson.Result) bool {
		var step any = i
		if v.IsObject() {
			step = k.Str
		}
		e.explain(m, append(path[:len(path):len(path)], step), eff, out)
		i++
		return true
	})
	if r.Action == Drop && allDropped((*out)[mark:]) && len(path) > 0 {
		*out = append(*out, Decision{Path: pathText(path), Rule: r, Pruned: true})
	}
}

func allDropped(ds []Decision) bool {
	for _, d := range ds {
		if d.Rule.Action != Drop {
			return false
		}
	}
	return true
}

// decide returns the priority of the rule deciding path, whose value is in
// categories cats, given that its ancestors were decided by eff.
func (e *Engine) decide(path []any, cats CategorySet, eff int) int {
	for i := eff + 1; i < len(e.patterns); i++ {
		p := &e.patterns[i]
		// A bare category also holds for the document itself.
		if matches(p.segs, path, cats) || len(path) == 0 && p.floating() && cats.Has(p.segs[1].id) {
			eff = i
		}
	}
	return eff
}

// categories returns the categories of the value v at path: those its
// member's name is in, and those of the finding that covers all of it.
func (e *Engine) categories(path []any, v gjson.Result) CategorySet {
	var f Field
	if len(path) > 0 {
		if key, ok := path[len(path)-1].(string); ok {
			f = e.cats.tax.Field(key)
		}
	}
	cs := f.Categories
	if text, ok := scalarText(&v); ok && e.cats.values != nil {
		if v.Type == gjson.Number {
			text = numberText(text)
		}
		if x, ok := e.cats.values.Match(text, f); ok {
			cs |= x.Categories
		}
	}
	return cs
}

// pathText writes a concrete path in the path language.
func pathText(path []any) string {
	var b strings.Builder
	for i, step := range path {
		if i > 0 {
			b.WriteByte('.')
		}
		switch s := step.(type) {
		case int:
			b.WriteString(strconv.Itoa(s))
		case string:
			b.Write(appendLiteral(nil, s))
		}
	}
	return b.String()
}

// ruleBelow reports whether some rule that outranks eff (and, with kept,
// does not drop) could match a strict descendant of path: then the
// container's members are decided one by one.
func (e *Engine) ruleBelow(path []any, eff int, kept bool) bool {
	for i := eff + 1; i < len(e.patterns); i++ {
		if kept && e.rules[i].Action == Drop {
			continue
		}
		if couldMatchBelow(e.patterns[i].segs, path) {
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
	return matches(segs[:1], path[:1], 0) && couldMatchBelow(segs[1:], path[1:])
}

// matches reports whether a pattern matches a concrete path of keys
// (string) and indexes (int) whose last step's value is in categories cats.
func matches(segs []segment, path []any, cats CategorySet) bool {
	if len(segs) == 0 {
		return len(path) == 0
	}
	s := segs[0]
	if s.kind == segDeep {
		for i := 0; i <= len(path); i++ {
			if matches(segs[1:], path[i:], cats) {
				return true
			}
		}
		return false
	}
	if len(path) == 0 {
		return false
	}
	if s.kind == segCat {
		return len(path) == 1 && cats.Has(s.id) // a category segment is last
	}
	ok := false
	switch step := path[0].(type) {
	case string:
		ok = s.kind == segAny || (s.kind == segLit && s.lit == foldString(step))
	case int:
		ok = s.kind == segAny || s.kind == segElem || (s.kind == segLit && s.lit == strconv.Itoa(step))
	}
	return ok && matches(segs[1:], path[1:], cats)
}

// explainSpans lists the findings the rewriter replaces or keeps in the
// scalar v at path, decided by rule eff, as spans does.
func (e *Engine) explainSpans(v gjson.Result, path []any, eff int32) []Span {
	c := &e.cats
	sc, spanEff := c.spans, eff
	switch a := e.rules[eff].Action; {
	case a == Scan:
		sc, spanEff = c.text, none
	case a != Keep && !revealsText(a) || v.Type != gjson.String || c.spanMax <= eff:
		return nil
	}
	text, ok := scalarText(&v)
	if !ok || sc == nil {
		return nil
	}
	if v.Type == gjson.Number {
		text = numberText(text)
	}
	var f Field
	if len(path) > 0 {
		if key, ok := path[len(path)-1].(string); ok {
			f = c.tax.Field(key)
		}
	}
	var out []Span
	for _, x := range sc.AppendFindings(nil, text, f) {
		s := Span{Detector: x.Detector.String(), Rule: Rule{Path: "(scan)", Action: Redact}}
		switch r := c.ruleFor(x, spanEff); {
		case r != none:
			s.Rule = e.rules[r].Rule
		case spanEff != none:
			continue // kept text: the span stays
		}
		out = append(out, s)
	}
	return out
}
