package rules

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"
)

// FuzzNoLeak plants a unique canary in every string and number of a
// document (and in some member names), writes the document with random
// spellings of its keys (escapes, case variants, the Kelvin sign for k, the
// long s for s) and random whitespace, and rewrites it under a random policy.
// An independent model of the README's precedence (most literal segments,
// then the stricter action, then the earlier rule; floors above all; keys
// compared with strings.EqualFold) says which action decides each value. It
// then checks:
//
//   - the engine accepts exactly the documents the model accepts, and names
//     the reason the model expects (too-deep before duplicate-key);
//   - the output is valid JSON without duplicate keys (compared folded);
//   - no canary of a value not decided by keep appears in the output: not in
//     the raw text, not in any decoded string, number or key;
//   - no canary member name appears when everything at and under that member
//     is dropped (an emptied container does not reveal its key);
//   - every canary of a value decided by keep does appear (so the checks
//     above are not vacuous).
//
// The document comes from the fuzzer's bytes when they are JSON, otherwise
// from a generator driven by seed; the policy always comes from seed.
func FuzzNoLeak(f *testing.F) {
	for i, s := range []string{
		``,
		`{}`,
		`{"email":"jane@example.com","id":7,"kid":"k-1","ssn":"078-05-1120"}`,
		`{"a":{"email":"jane@example.com","id":1},"b":[{"x.y":"203.0.113.9"}]}`,
		`[{"0":{"Email":"1987-06-14"}},{"id":-3.5e2},[["deep"]]]`,
		`{"customer":{"name":"Ann","ssn":"1","card":{"number":"4111111111111111"}},"items":[{"sku":"A","p":1},{"sku":"B"}]}`,
		`{"a":[{"b":[{"email":"x"}]}],"*":"star","#":"hash","x.y":{"kid":[1,2,3]}}`,
		`{"a":{"b":{"c":{"d":{"e":{"f":{"g":{"h":"deep"}}}}}}}}`,
		`"just a string"`,
		`[1,2,3,"four",{"five":5}]`,
	} {
		f.Add([]byte(s), uint64(i))
		f.Add([]byte(s), uint64(1000+7*i))
	}
	key := bytes.Repeat([]byte{5}, 32)
	f.Fuzz(func(t *testing.T, doc []byte, seed uint64) {
		rng := newRand(seed)
		var root *leakNode
		if len(doc) <= 4096 && json.Valid(doc) {
			root = parseLeakTree(doc)
		}
		if root == nil {
			root = genLeakTree(rng, 0)
		}
		pl := &leakPlanter{rng: rng}
		pl.plant(root)
		if pl.ambiguous(root) {
			return // the fuzzer wrote a canary-shaped key of its own
		}
		var src bytes.Buffer
		writeLeakTree(&src, rng, root)
		p := Policy{
			Partner:     "leak",
			Key:         key,
			KeepUnnamed: rng.IntN(2) == 0,
			Rules:       leakRules(rng),
			MaxDepth:    []int{0, 0, 2, 3, 5, 8}[rng.IntN(6)],
		}
		e, err := Compile(p)
		if err != nil {
			return
		}
		checkNoLeak(t, e, p, root, src.Bytes(), nil)
	})
}

// TestNoLeakRandom runs the FuzzNoLeak property over generated documents
// and policies, so `go test` covers many more than the seed corpus.
func TestNoLeakRandom(t *testing.T) {
	key := bytes.Repeat([]byte{5}, 32)
	n := 10000
	if testing.Short() {
		n = 1000
	}
	var st leakStats
	for seed := range uint64(n) {
		rng := newRand(seed + 1<<32)
		root := genLeakTree(rng, 0)
		pl := &leakPlanter{rng: rng}
		pl.plant(root)
		var src bytes.Buffer
		writeLeakTree(&src, rng, root)
		p := Policy{Partner: "leak", Key: key, KeepUnnamed: rng.IntN(2) == 0, Rules: leakRules(rng), MaxDepth: []int{0, 0, 2, 3, 5, 8}[rng.IntN(6)]}
		e, err := Compile(p)
		if err != nil {
			continue
		}
		checkNoLeak(t, e, p, root, src.Bytes(), &st)
	}
	t.Logf("%d documents: %d rewritten, %d refused %v; %d values kept, %d not kept (none leaked), %d dropped member names hidden",
		n, st.docs, st.refusedTotal(), st.refused, st.kept, st.hidden, st.keys)
	if st.kept == 0 || st.hidden == 0 || st.keys == 0 || st.refused["duplicate-key"] == 0 || st.refused["too-deep"] == 0 {
		t.Errorf("the generator no longer exercises every check: %+v", st)
	}
}

// leakStats counts what checkNoLeak checked.
type leakStats struct {
	docs, kept, hidden, keys int
	refused                  map[string]int
}

func (s *leakStats) refusedTotal() int {
	n := 0
	for _, v := range s.refused {
		n += v
	}
	return n
}

// checkNoLeak is the property of FuzzNoLeak for one document.
func checkNoLeak(t *testing.T, e *Engine, p Policy, root *leakNode, src []byte, st *leakStats) {
	t.Helper()
	if st == nil {
		st = &leakStats{}
	}
	if st.refused == nil {
		st.refused = map[string]int{}
	}
	maxDepth := p.MaxDepth
	if maxDepth == 0 {
		maxDepth = DefaultMaxDepth
	}
	want := ""
	switch {
	case root.depth() > maxDepth:
		want = "too-deep"
	case root.hasDuplicate():
		want = "duplicate-key"
	}
	out, err := e.Rewrite(nil, src, nil)
	if err != nil {
		var ie *InputError
		if !errors.As(err, &ie) || ie.Kind != want {
			t.Fatalf("rules %v, max depth %d\ndoc %s\nerror %v (%T), model expects %q", p.Rules, p.MaxDepth, src, err, err, want)
		}
		st.refused[want]++
		return
	}
	if want != "" {
		t.Fatalf("rules %v, max depth %d\ndoc %s\naccepted, model expects %s; output %s", p.Rules, p.MaxDepth, src, want, out)
	}
	if !json.Valid(out) {
		t.Fatalf("invalid output %q from %s", out, src)
	}
	back := parseLeakTree(out)
	if back == nil {
		t.Fatalf("output does not parse back: %s", out)
	}
	if back.hasDuplicate() {
		t.Fatalf("output has duplicate keys: %s (from %s)", out, src)
	}
	seen := map[string]bool{}
	back.texts(seen)
	found := func(c string) bool {
		if bytes.Contains(out, []byte(c)) {
			return true
		}
		for s := range seen {
			if strings.Contains(s, c) {
				return true
			}
		}
		return false
	}
	st.docs++
	m := leakModel{p: p}
	m.parse()
	m.walk(root, nil, func(n *leakNode, path []leakStep, a Action, allDrop bool, keyCanary string) {
		if n.canary != "" {
			switch got := found(n.canary); {
			case a != Keep && got:
				t.Fatalf("LEAK: value %q decided by %v at %v is in the output\nrules %v default-keep %v\ndoc %s\nout %s", n.canary, a, path, p.Rules, p.KeepUnnamed, src, out)
			case a == Keep && !got:
				t.Fatalf("kept value %q at %v is missing from the output\nrules %v default-keep %v\ndoc %s\nout %s", n.canary, path, p.Rules, p.KeepUnnamed, src, out)
			case a == Keep:
				st.kept++
			default:
				st.hidden++
			}
		}
		if keyCanary != "" && allDrop {
			st.keys++
		}
		if keyCanary != "" && allDrop && found(keyCanary) {
			t.Fatalf("LEAK: member name %q at %v, all of it dropped, is in the output\nrules %v default-keep %v\ndoc %s\nout %s", keyCanary, path, p.Rules, p.KeepUnnamed, src, out)
		}
	})
}

// leakNode is a JSON value with its members in document order.
type leakNode struct {
	kind    byte   // 'o' object, 'a' array, 's' string, 'n' number, 'l' true/false/null
	text    string // decoded string, number text or literal
	members []leakMember
	elems   []*leakNode
	canary  string // the planted value ("" for none): text, for a string or number
}

type leakMember struct {
	key    string // decoded
	canary bool   // key is a planted canary
	val    *leakNode
}

// parseLeakTree parses valid JSON into a tree; nil if it nests deeper than
// 40 (the generator's documents stay far below) or does not parse.
func parseLeakTree(doc []byte) *leakNode {
	d := json.NewDecoder(bytes.NewReader(doc))
	d.UseNumber()
	n, err := parseLeakValue(d, 0)
	if err != nil {
		return nil
	}
	if _, err := d.Token(); err != io.EOF {
		return nil
	}
	return n
}

func parseLeakValue(d *json.Decoder, depth int) (*leakNode, error) {
	if depth > 40 {
		return nil, errors.New("too deep")
	}
	tok, err := d.Token()
	if err != nil {
		return nil, err
	}
	switch v := tok.(type) {
	case json.Delim:
		switch v {
		case '{':
			n := &leakNode{kind: 'o'}
			for d.More() {
				k, err := d.Token()
				if err != nil {
					return nil, err
				}
				val, err := parseLeakValue(d, depth+1)
				if err != nil {
					return nil, err
				}
				n.members = append(n.members, leakMember{key: k.(string), val: val})
			}
			_, err := d.Token()
			return n, err
		case '[':
			n := &leakNode{kind: 'a'}
			for d.More() {
				val, err := parseLeakValue(d, depth+1)
				if err != nil {
					return nil, err
				}
				n.elems = append(n.elems, val)
			}
			_, err := d.Token()
			return n, err
		}
	case string:
		return &leakNode{kind: 's', text: v}, nil
	case json.Number:
		return &leakNode{kind: 'n', text: string(v)}, nil
	case bool:
		return &leakNode{kind: 'l', text: strconv.FormatBool(v)}, nil
	case nil:
		return &leakNode{kind: 'l', text: "null"}, nil
	}
	return nil, fmt.Errorf("unexpected token %v", tok)
}

// leakKeys collide with leakSegs often; "kid" and "ssn" meet the Kelvin
// sign and the long s, "x.y", "*" and "#" need escapes in paths.
var leakKeys = []string{"a", "b", "email", "Email", "id", "0", "1", "x.y", "kid", "ssn", "*", "#", "card"}

func genLeakTree(rng *rand.Rand, depth int) *leakNode {
	n := rng.IntN(10)
	switch {
	case depth > 5:
		n = 5 + rng.IntN(5)
	case depth == 0 && rng.IntN(8) != 0:
		n = rng.IntN(5) // mostly a container at the top
	}
	switch {
	case n < 3:
		o := &leakNode{kind: 'o'}
		for range rng.IntN(5) {
			o.members = append(o.members, leakMember{key: leakKeys[rng.IntN(len(leakKeys))], val: genLeakTree(rng, depth+1)})
		}
		return o
	case n < 5:
		a := &leakNode{kind: 'a'}
		for range rng.IntN(4) {
			a.elems = append(a.elems, genLeakTree(rng, depth+1))
		}
		return a
	case n < 7:
		return &leakNode{kind: 's', text: "x"}
	case n < 9:
		return &leakNode{kind: 'n', text: "1"}
	default:
		return &leakNode{kind: 'l', text: []string{"true", "false", "null"}[rng.IntN(3)]}
	}
}

// leakPlanter replaces every string and number with a unique canary, some
// member names with canaries, and respells keys.
type leakPlanter struct {
	rng      *rand.Rand
	n        int
	canaries []string
}

func (pl *leakPlanter) next(format string) string {
	pl.n++
	c := fmt.Sprintf(format, pl.n)
	pl.canaries = append(pl.canaries, c)
	return c
}

func (pl *leakPlanter) plant(n *leakNode) {
	switch n.kind {
	case 's':
		// Mask reveals at most a few characters at either end and prefix/2
		// two: the whole canary never survives a transformation.
		n.text = pl.next("Zq%06dWx")
		n.canary = n.text
	case 'n':
		// Ends in 3, so bucket/10 changes it; 10 digits, never a date or an IP.
		n.text = pl.next("7%08d3")
		n.canary = n.text
	case 'o':
		for i := range n.members {
			m := &n.members[i]
			switch pl.rng.IntN(8) {
			case 0:
				m.key, m.canary = pl.next("Kq%06dVy"), true
			case 1:
				m.key = swapCase(pl.rng, m.key)
			case 2:
				m.key = unicodeVariant(m.key)
			}
			pl.plant(m.val)
		}
	case 'a':
		for _, e := range n.elems {
			pl.plant(e)
		}
	}
}

// ambiguous reports whether a key that is not a canary contains one.
func (pl *leakPlanter) ambiguous(n *leakNode) bool {
	for _, m := range n.members {
		if !m.canary {
			for _, c := range pl.canaries {
				if strings.Contains(m.key, c) {
					return true
				}
			}
		}
		if pl.ambiguous(m.val) {
			return true
		}
	}
	for _, e := range n.elems {
		if pl.ambiguous(e) {
			return true
		}
	}
	return false
}

func swapCase(rng *rand.Rand, s string) string {
	b := []byte(s)
	for i, c := range b {
		if rng.IntN(2) == 0 {
			switch {
			case 'a' <= c && c <= 'z':
				b[i] -= 'a' - 'A'
			case 'A' <= c && c <= 'Z':
				b[i] += 'a' - 'A'
			}
		}
	}
	return string(b)
}

// unicodeVariant spells k with the Kelvin sign and s with the long s, which
// fold to them (and which Go's encoding/json binds to fields named k and s).
func unicodeVariant(s string) string {
	return strings.NewReplacer("k", "\u212a", "K", "\u212a", "s", "\u017f", "S", "\u017f").Replace(s)
}

// writeLeakTree writes n as JSON with random whitespace and escapes.
func writeLeakTree(b *bytes.Buffer, rng *rand.Rand, n *leakNode) {
	ws := func() {
		if rng.IntN(4) == 0 {
			b.WriteString([]string{" ", "\n", "\t", "\r\n  "}[rng.IntN(4)])
		}
	}
	switch n.kind {
	case 'o':
		b.WriteByte('{')
		for i, m := range n.members {
			if i > 0 {
				b.WriteByte(',')
			}
			ws()
			writeLeakString(b, rng, m.key)
			ws()
			b.WriteByte(':')
			ws()
			writeLeakTree(b, rng, m.val)
			ws()
		}
		b.WriteByte('}')
	case 'a':
		b.WriteByte('[')
		for i, e := range n.elems {
			if i > 0 {
				b.WriteByte(',')
			}
			ws()
			writeLeakTree(b, rng, e)
			ws()
		}
		b.WriteByte(']')
	case 's':
		writeLeakString(b, rng, n.text)
	default:
		b.WriteString(n.text)
	}
}

// writeLeakString writes s as a JSON string, escaping some characters that
// need no escape (as \uXXXX, surrogate pairs above the BMP, or \/).
func writeLeakString(b *bytes.Buffer, rng *rand.Rand, s string) {
	escapeSome := rng.IntN(3) == 0
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || (escapeSome && rng.IntN(2) == 0):
			if r == '/' && rng.IntN(2) == 0 {
				b.WriteString(`\/`)
				continue
			}
			if r > 0xffff {
				hi, lo := utf16.EncodeRune(r)
				fmt.Fprintf(b, `\u%04x\u%04X`, hi, lo)
				continue
			}
			fmt.Fprintf(b, `\u%04x`, r)
		case r == utf8.RuneError:
			b.WriteString(`\ufffd`)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
}

// depth is the nesting of containers, as the depth limit counts it.
func (n *leakNode) depth() int {
	d := 0
	for _, m := range n.members {
		d = max(d, m.val.depth())
	}
	for _, e := range n.elems {
		d = max(d, e.depth())
	}
	if n.kind == 'o' || n.kind == 'a' {
		d++
	}
	return d
}

// hasDuplicate reports two keys of one object equal under simple folding.
func (n *leakNode) hasDuplicate() bool {
	for i, m := range n.members {
		for _, o := range n.members[:i] {
			if strings.EqualFold(m.key, o.key) {
				return true
			}
		}
		if m.val.hasDuplicate() {
			return true
		}
	}
	for _, e := range n.elems {
		if e.hasDuplicate() {
			return true
		}
	}
	return false
}

// texts adds every key, string and number of n to set.
func (n *leakNode) texts(set map[string]bool) {
	switch n.kind {
	case 's', 'n':
		set[n.text] = true
	}
	for _, m := range n.members {
		set[m.key] = true
		m.val.texts(set)
	}
	for _, e := range n.elems {
		e.texts(set)
	}
}

// leakSegs are the path segments of generated rules; `\#` and `\*` are the
// keys "#" and "*", `x\.y` the key "x.y".
var leakSegs = []string{"a", "b", "email", "id", "0", "1", `x\.y`, "kid", "KID", "ssn", "#", "*", "**", `\#`, `\*`, "card"}

func leakRules(rng *rand.Rand) []Rule {
	masks := []string{"last2", "first1", "email", "all", "last4"}
	hows := [][]string{{"prefix/2"}, {"year"}, {"month"}, {"bucket/10"}, {"ip/24", "ip6/48"}}
	rs := make([]Rule, rng.IntN(7))
	for i := range rs {
		segs := make([]string, 1+rng.IntN(3))
		for j := range segs {
			segs[j] = leakSegs[rng.IntN(len(leakSegs))]
		}
		r := Rule{Path: strings.Join(segs, "."), Action: Action(rng.IntN(int(Tokenize) + 1))}
		switch r.Action {
		case Mask:
			r.Args = []string{masks[rng.IntN(len(masks))]}
		case Generalize:
			r.Args = hows[rng.IntN(len(hows))]
		case Drop:
			r.Floor = rng.IntN(4) == 0
		}
		rs[i] = r
	}
	return rs
}

// leakModel decides values the slow, obvious way, independently of the
// engine's matcher and DFA.
type leakModel struct {
	p    Policy
	pats [][]leakSeg // parsed paths of p.Rules
}

type leakSeg struct {
	kind byte // 'l' literal, '#', '*', 'D' for **
	lit  string
}

type leakStep struct {
	key   string
	index int // -1 for a key
}

func (s leakStep) String() string {
	if s.index >= 0 {
		return strconv.Itoa(s.index)
	}
	return strconv.Quote(s.key)
}

func (m *leakModel) parse() {
	for _, r := range m.p.Rules {
		var segs []leakSeg
		for _, raw := range splitLeakPath(r.Path) {
			switch {
			case raw.text == "#" && !raw.escaped:
				segs = append(segs, leakSeg{kind: '#'})
			case raw.text == "*" && !raw.escaped:
				segs = append(segs, leakSeg{kind: '*'})
			case raw.text == "**" && !raw.escaped:
				segs = append(segs, leakSeg{kind: 'D'})
			default:
				segs = append(segs, leakSeg{kind: 'l', lit: raw.text})
			}
		}
		m.pats = append(m.pats, segs)
	}
}

type leakRawSeg struct {
	text    string
	escaped bool
}

func splitLeakPath(p string) []leakRawSeg {
	var out []leakRawSeg
	var cur strings.Builder
	esc := false
	for i := 0; i < len(p); i++ {
		switch c := p[i]; c {
		case '\\':
			i++
			cur.WriteByte(p[i])
			esc = true
		case '.':
			out = append(out, leakRawSeg{cur.String(), esc})
			cur.Reset()
			esc = false
		default:
			cur.WriteByte(c)
		}
	}
	return append(out, leakRawSeg{cur.String(), esc})
}

func leakMatch(segs []leakSeg, path []leakStep) bool {
	if len(segs) == 0 {
		return len(path) == 0
	}
	s := segs[0]
	if s.kind == 'D' {
		for k := 0; k <= len(path); k++ {
			if leakMatch(segs[1:], path[k:]) {
				return true
			}
		}
		return false
	}
	if len(path) == 0 {
		return false
	}
	st := path[0]
	ok := false
	switch s.kind {
	case 'l':
		if st.index >= 0 {
			ok = s.lit == strconv.Itoa(st.index)
		} else {
			ok = strings.EqualFold(s.lit, st.key)
		}
	case '#':
		ok = st.index >= 0
	case '*':
		ok = true
	}
	return ok && leakMatch(segs[1:], path[1:])
}

// decide returns the action of the rule deciding the value at path: among
// the rules matching path or an ancestor, floors first, then the most
// literal segments, then the stricter action, then the earlier rule.
func (m *leakModel) decide(path []leakStep) Action {
	best, found := -1, false
	var bestKey [3]int
	for i, r := range m.p.Rules {
		matched := false
		for k := 0; k <= len(path) && !matched; k++ {
			matched = leakMatch(m.pats[i], path[:k])
		}
		if !matched {
			continue
		}
		lits := 0
		for _, s := range m.pats[i] {
			if s.kind == 'l' {
				lits++
			}
		}
		key := [3]int{boolInt(r.Floor), lits, r.Action.strictness()}
		if !found || key[0] > bestKey[0] || key[0] == bestKey[0] && (key[1] > bestKey[1] || key[1] == bestKey[1] && key[2] > bestKey[2]) {
			best, bestKey, found = i, key, true
		}
	}
	if !found {
		if m.p.KeepUnnamed {
			return Keep
		}
		return Drop
	}
	return m.p.Rules[best].Action
}

// walk calls visit for every node with its path, its deciding action,
// whether it and everything under it is dropped, and the canary of the
// member name it is the value of ("" if none).
func (m *leakModel) walk(n *leakNode, path []leakStep, visit func(n *leakNode, path []leakStep, a Action, allDrop bool, keyCanary string)) bool {
	return m.walkMember(n, path, "", visit)
}

func (m *leakModel) walkMember(n *leakNode, path []leakStep, keyCanary string, visit func(*leakNode, []leakStep, Action, bool, string)) bool {
	a := m.decide(path)
	allDrop := a == Drop
	for _, mem := range n.members {
		kc := ""
		if mem.canary {
			kc = mem.key
		}
		sub := append(path[:len(path):len(path)], leakStep{key: mem.key, index: -1})
		if !m.walkMember(mem.val, sub, kc, visit) {
			allDrop = false
		}
	}
	for i, e := range n.elems {
		sub := append(path[:len(path):len(path)], leakStep{index: i})
		if !m.walkMember(e, sub, "", visit) {
			allDrop = false
		}
	}
	visit(n, path, a, allDrop, keyCanary)
	return allDrop
}
