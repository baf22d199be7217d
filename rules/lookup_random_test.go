package rules

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestSubjectCheckVouchesForWhatCoversAdmits holds the consent's subject
// check to what a consent rule releases, over random documents: for every
// subject path and rule path Covers admits, whenever Every finds the subject
// in a document the engine accepts, every value `keep rule` lets out lies
// where the check vouched for it. Inside the subject's object, that object
// must hold the subject; on a literal path beside it, every element a #
// of the rule spans must hold the subject under it, as the rest of the
// subject's path leads.
func TestSubjectCheckVouchesForWhatCoversAdmits(t *testing.T) {
	subjects := []string{"customer.id", "orders.#.customer.id", "groups.#.members.#.id", "id", "orders.0.customer.id"}
	paths := []string{
		"customer", "customer.email", "customer.**", "customer.*", "Customer.**.email",
		"orders.#.customer", "orders.#.customer.**", "orders.#.email", "orders.#", "orders.0.email",
		"groups.#", "groups.#.email", "groups.#.members", "groups.#.members.#", "groups.#.members.#.email",
		"email", "x.#.email", "**.email", "*.email", "orders.*.customer.email",
	}
	r := rand.New(rand.NewPCG(7, 8))
	pairs, checked := 0, 0
	for _, sp := range subjects {
		sel, err := NewSelector(sp)
		if err != nil {
			t.Fatal(err)
		}
		for _, rp := range paths {
			if ok, err := sel.Covers(rp); err != nil || !ok {
				continue
			}
			pairs++
			e, err := Compile(Policy{Partner: "p", Rules: []Rule{{Path: rp, Action: Keep}}})
			if err != nil {
				t.Fatal(err)
			}
			rule, _ := parsePath(rp)
			for range 1500 {
				doc := randomSubjectDoc(r, sel.segs)
				out, err := e.Rewrite(nil, doc, nil)
				if err != nil || !sel.Every(doc, func(v string) bool { return v == "ann" }) {
					continue
				}
				checked++
				var v any
				if err := json.Unmarshal(doc, &v); err != nil {
					t.Fatal(err)
				}
				vouched := map[string]bool{}
				vouch(v, nil, rule.segs, rule.segs, sel.segs, vouched)
				for leaf := range leaves(out) {
					if !vouched[leaf] {
						t.Fatalf("subject %s, keep %s: %s let out %s, which the subject check did not vouch for\n%s", sp, rp, out, leaf, doc)
					}
				}
			}
		}
	}
	t.Logf("%d subject and rule pairs, %d documents the subject check passed", pairs, checked)
	if pairs < 15 || checked < 1000 {
		t.Fatalf("%d pairs, %d documents checked: the generator no longer exercises the check", pairs, checked)
	}
}

// randomSubjectDoc writes a small document along the subject's path, most
// often with "ann" at its end, sometimes not ("bob", null, nothing, an
// empty list), beside members over the keys the test's paths name whose
// strings are unique ("v1", "v2"...).
func randomSubjectDoc(r *rand.Rand, subject []segment) []byte {
	keys := []string{"customer", "orders", "groups", "members", "id", "email", "x", "0"}
	var b strings.Builder
	n := 0
	var random func(depth int)
	random = func(depth int) {
		switch k := r.IntN(8); {
		case depth < 4 && k < 2:
			b.WriteByte('{')
			for i, key := range r.Perm(len(keys))[:r.IntN(3)] {
				if i > 0 {
					b.WriteByte(',')
				}
				fmt.Fprintf(&b, "%q:", keys[key])
				random(depth + 1)
			}
			b.WriteByte('}')
		case depth < 4 && k < 3:
			b.WriteByte('[')
			for i := range r.IntN(3) {
				if i > 0 {
					b.WriteByte(',')
				}
				random(depth + 1)
			}
			b.WriteByte(']')
		default:
			n++
			fmt.Fprintf(&b, `"v%d"`, n)
		}
	}
	var along func(segs []segment, depth int)
	along = func(segs []segment, depth int) {
		if len(segs) == 0 {
			b.WriteString([]string{`"ann"`, `"ann"`, `"ann"`, `"ann"`, `"ann"`, `"bob"`, `null`}[r.IntN(7)])
			return
		}
		switch seg := segs[0]; {
		case seg.kind == segElem || arrayIndex(seg.lit) >= 0 && r.IntN(2) == 0:
			b.WriteByte('[')
			for i := range r.IntN(4) {
				if i > 0 {
					b.WriteByte(',')
				}
				if r.IntN(12) == 0 {
					random(depth + 1)
				} else {
					along(segs[1:], depth+1)
				}
			}
			b.WriteByte(']')
		default:
			b.WriteByte('{')
			if r.IntN(12) > 0 {
				key := seg.lit
				if r.IntN(3) == 0 {
					key = strings.ToUpper(key)
				}
				fmt.Fprintf(&b, "%q:", key)
				along(segs[1:], depth+1)
			} else {
				b.WriteString(`"x":`)
				random(depth + 1)
			}
			for _, key := range keys {
				if key != seg.lit && key != "x" && r.IntN(4) == 0 {
					fmt.Fprintf(&b, ",%q:", key)
					random(depth + 1)
				}
			}
			b.WriteByte('}')
		}
	}
	along(subject, 0)
	return []byte(b.String())
}

// vouch walks the rule's segments as the engine matches them, with the
// chain of nodes it went through, and adds the strings under every node it
// reaches whose chain the subject check vouched for.
func vouch(v any, chain []any, full, rule, subject []segment, out map[string]bool) {
	chain = append(chain, v)
	if len(rule) == 0 {
		if vouchedChain(chain, full, subject) {
			for s := range leaves(mustJSON(v)) {
				out[s] = true
			}
		}
		return
	}
	seg := rule[0]
	switch x := v.(type) {
	case map[string]any:
		for k, m := range x {
			switch {
			case seg.kind == segLit && foldString(k) == seg.lit, seg.kind == segAny:
				vouch(m, chain, full, rule[1:], subject, out)
			case seg.kind == segDeep:
				vouch(m, chain, full, rule, subject, out)
			}
		}
	case []any:
		for i, m := range x {
			switch {
			case seg.kind == segElem, seg.kind == segAny, seg.kind == segLit && arrayIndex(seg.lit) == i:
				vouch(m, chain, full, rule[1:], subject, out)
			case seg.kind == segDeep:
				vouch(m, chain, full, rule, subject, out)
			}
		}
	}
	if seg.kind == segDeep {
		vouch(v, chain[:len(chain)-1], full, rule[1:], subject, out)
	}
}

// vouchedChain is what the subject check vouches for, written apart from
// Covers: either the rule's first segments are the subject's parent and
// the object it went through there holds the subject; or the rule is
// literal keys and #, each # standing where the subject's path has one
// after the same segments, spanning an element under which the rest of
// that path finds the subject, and only it.
func vouchedChain(chain []any, rule, subject []segment) bool {
	parent := len(subject) - 1
	if len(rule) >= parent && sameSegs(rule[:parent], subject[:parent]) {
		if m, ok := chain[parent].(map[string]any); ok && holds(m, subject[parent:]) {
			return true
		}
	}
	for i, seg := range rule {
		switch {
		case seg.kind == segLit:
		case seg.kind == segElem && i < parent && sameSegs(rule[:i+1], subject[:i+1]) && holds(chain[i+1], subject[i+1:]):
		default:
			return false
		}
	}
	return true
}

// holds is Every written out over decoded JSON: segs lead from v to at
// least one value, every branch ends in a member, and each is "ann".
func holds(v any, segs []segment) bool {
	var walk func(v any, segs []segment) int
	walk = func(v any, segs []segment) int {
		if len(segs) == 0 {
			if s, ok := v.(string); ok && s == "ann" {
				return 1
			}
			return -1
		}
		switch x := v.(type) {
		case map[string]any:
			for k, m := range x {
				if segs[0].kind == segLit && foldString(k) == segs[0].lit {
					return walk(m, segs[1:])
				}
			}
		case []any:
			if segs[0].kind == segElem {
				n := 0
				for _, m := range x {
					k := walk(m, segs[1:])
					if k <= 0 {
						return -1
					}
					n += k
				}
				return n
			}
			if i := arrayIndex(segs[0].lit); segs[0].kind == segLit && len(segs) > 1 && i >= 0 && i < len(x) {
				return walk(x[i], segs[1:])
			}
		}
		return -1
	}
	return walk(v, segs) > 0
}

// leaves returns the unique strings ("v1"...) in a JSON document.
func leaves(doc []byte) map[string]bool {
	out := map[string]bool{}
	var v any
	_ = json.Unmarshal(doc, &v)
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for _, m := range x {
				walk(m)
			}
		case []any:
			for _, m := range x {
				walk(m)
			}
		case string:
			if strings.HasPrefix(x, "v") {
				out[x] = true
			}
		}
	}
	walk(v)
	return out
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
