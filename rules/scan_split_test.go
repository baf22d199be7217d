package rules

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// splitEngines compiles p three times: walked by one walker, split on
// every array it can be (every split runs, waited for), and split as in
// production (an unclaimed split is withdrawn), both from the first array
// of records of any size.
func splitEngines(t testing.TB, p Policy) (one, always, prod *Engine) {
	t.Helper()
	var es [3]*Engine
	for i := range es {
		e, err := Compile(p)
		if err != nil {
			return nil, nil, nil
		}
		e.splitMin = min(i, 1)
		e.splitSync = i == 1
		es[i] = e
	}
	return es[0], es[1], es[2]
}

// rewriteAll is one rewrite with its tally and categories, for comparing.
func rewriteAll(e *Engine, doc []byte) string {
	tally, d := e.NewTally(), Disclosed{}
	out, err := e.RewriteDisclosing([]byte("prefix:"), doc, tally, &d)
	return fmt.Sprintf("out %s\nerr %v\ntally %v\ncategories %v %v", out, err, tally, d.Clear, d.Transformed)
}

// TestSplitMatchesOneWalker rewrites random arrays of records, valid and
// broken, under random policies, with and without a helper, and requires
// the same bytes, refusal (offset included), counts and categories.
func TestSplitMatchesOneWalker(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	var checked, merged, unused int
	for seed := range uint64(4000) {
		rng := newRand(seed)
		rs := randomRules
		if seed%2 == 1 {
			rs = randomCategoryRules
		}
		// A rule inside the records, so that most arrays are walked.
		inside := Rule{Path: randSegs[rng.IntN(len(randSegs))] + ".#." + randKeys[rng.IntN(len(randKeys))], Action: Action(rng.IntN(int(Drop) + 1))}
		switch inside.Action {
		case Mask:
			inside.Args = []string{"last2"}
		case Generalize:
			inside.Args = []string{"prefix/2"}
		}
		p := Policy{Partner: "p", Key: key, KeepUnnamed: rng.IntN(2) == 0, Rules: append(rs(rng), inside),
			MaxDepth: []int{0, 0, 0, 3, 5, 8}[rng.IntN(6)]}
		one, always, prod := splitEngines(t, p)
		if one == nil {
			continue // a random policy may name one path twice
		}
		doc := splitDoc(rng)
		if rng.IntN(3) == 0 {
			doc = breakDoc(rng, doc)
		}
		want := rewriteAll(one, doc)
		for _, e := range []*Engine{always, prod} {
			if got := rewriteAll(e, doc); got != want {
				t.Fatalf("seed %d: rules %v\ndoc %s\ngot  %s\nwant %s", seed, p.Rules, doc, got, want)
			}
		}
		checked++
		if offered, used := splits(always, doc); used {
			merged++
		} else if offered {
			unused++
		}
	}
	// The documents must exercise both outcomes, not only pass by them.
	if merged < checked/8 || unused < checked/8 {
		t.Fatalf("of %d documents, %d were split and %d more offered a split", checked, merged, unused)
	}
}

// splits reports whether e offers a split for doc, and whether it uses the
// helper's part.
func splits(e *Engine, doc []byte) (offered, used bool) {
	w := e.walkers.Get().(*walker)
	defer e.walkers.Put(w)
	w.splitState().at = 0
	_, _ = e.rewriteWith(w, nil, doc, nil, nil)
	return w.split.at > 0, w.split.used
}

// splitDoc returns an array of records, bare or in an object among other
// members, whose names change now and then, some holding arrays of records
// that start like the outer ones (a helper's guess can land inside them),
// in compact or indented form.
func splitDoc(rng *rand.Rand) []byte {
	var b bytes.Buffer
	wrap := rng.IntN(2) == 0
	if wrap {
		b.WriteString(`{"head":1,"rows":`)
	}
	writeRecords(&b, rng, nil, 0)
	if wrap {
		b.WriteString(`,"tail":[{"a":1},{"a":2}]}`)
	}
	if rng.IntN(4) == 0 {
		var in bytes.Buffer
		if err := json.Indent(&in, b.Bytes(), "", "  "); err == nil {
			return in.Bytes()
		}
	}
	return b.Bytes()
}

func writeRecords(b *bytes.Buffer, rng *rand.Rand, names []string, depth int) {
	b.WriteByte('[')
	for r := range 2 + rng.IntN(12>>depth) {
		if r > 0 {
			b.WriteByte(',')
		}
		if len(names) == 0 {
			// "n" starts no random object: the helper's guess lands right.
			first := []string{"n", "a", "b", "id", "email", "note"}
			names = changeNames(rng, first[rng.IntN(4):][:3])
		} else if rng.IntN(4) == 0 {
			names = changeNames(rng, names)
		}
		b.WriteByte('{')
		for i, k := range names {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(b, "%q:", k)
			if depth < 2 && rng.IntN(24) == 0 {
				writeRecords(b, rng, names, depth+1)
			} else {
				writeRandom(b, rng, 3)
			}
		}
		b.WriteByte('}')
	}
	b.WriteByte(']')
}

// breakDoc spoils doc somewhere: a repeated name, a cut, a stray byte, or
// an invalid UTF-8 byte.
func breakDoc(rng *rand.Rand, doc []byte) []byte {
	doc = slices.Clone(doc)
	i := rng.IntN(len(doc))
	switch rng.IntN(4) {
	case 0:
		if j := bytes.Index(doc[i:], []byte(`{"`)); j >= 0 {
			k := i + j + 1
			if e := bytes.IndexByte(doc[k+1:], '"'); e >= 0 {
				name := doc[k : k+e+2]
				dup := slices.Concat([]byte(`{`), name, []byte(`:0,`))
				return slices.Concat(doc[:i+j], dup, doc[i+j+1:])
			}
		}
		return doc[:i]
	case 1:
		return doc[:i]
	case 2:
		return slices.Concat(doc[:i], []byte{"]}:,x\""[rng.IntN(6)]}, doc[i:])
	default:
		return slices.Concat(doc[:i], []byte{0xff}, doc[i:])
	}
}

// TestSplitGuesses covers the helper's guess landing where the first walker
// never starts an element of the split array: in a nested array of records
// that start alike, in another array at the same depth, and past the
// array's end; and a refusal after, at, and before the starting byte.
func TestSplitGuesses(t *testing.T) {
	rec := func(i int) string { return fmt.Sprintf(`{"a":%d,"b":"x%d"}`, i, i) }
	recs := func(n int) string {
		var s []string
		for i := range n {
			s = append(s, rec(i))
		}
		return "[" + strings.Join(s, ",") + "]"
	}
	nested := `[{"a":0,"b":` + recs(30) + `},{"a":1}]` // the middle is inside a's records
	cases := []string{
		recs(20),
		nested,
		`{"x":[{"a":1},{"a":2}],"y":` + recs(20) + `}`, // the guess is in y
		`{"x":` + recs(3) + `,"y":` + recs(30) + `}`,
		`[{"a":1},{"a":2},0` + strings.Repeat(",0", 40) + `,` + rec(1) + `]`,
		recs(20)[:len(recs(20))-1] + `,{"a":1,"a":2}]`, // a duplicate in the helper's part
		`[{"a":1,"a":2},` + recs(20)[1:],               // one in the first walker's
		recs(20)[:200] + "\xff" + recs(20)[200:],       // invalid UTF-8 in the helper's part
		recs(20) + `x`,                                 // trailing garbage
		`[` + rec(0) + `,` + rec(1) + `,` + strings.Repeat(`{"a":[`, 10) + strings.Repeat(`]}`, 10) + `]`,
	}
	for _, rs := range [][]Rule{
		{rule(Keep, "**.a"), rule(Pseudonymize, "**.b")},
		{rule(Keep, "#.a"), rule(Drop, "#.b")},
		{rule(Drop, "**.a")},
		{rule(Keep, "x"), rule(Redact, "y.#")},
	} {
		one, always, prod := splitEngines(t, Policy{Partner: "p", Key: bytes.Repeat([]byte{7}, 32), Rules: rs, MaxDepth: 8})
		for _, doc := range cases {
			want := rewriteAll(one, []byte(doc))
			for _, e := range []*Engine{always, prod} {
				if got := rewriteAll(e, []byte(doc)); got != want {
					t.Errorf("rules %v\ndoc %s\ngot  %s\nwant %s", rs, doc, got, want)
				}
			}
		}
	}
}

// FuzzSplit: on any bytes, under a random policy, a rewrite that splits
// every array of records it can gives what one walker gives.
func FuzzSplit(f *testing.F) {
	for _, s := range []string{
		`[{"a":1,"b":"x"},{"a":2,"b":"y"},{"a":3,"b":"z"},{"a":4,"b":"w"}]`,
		`{"rows":[{"id":1},{"id":2,"id":3},{"id":4}],"x":[{"id":5}]}`,
		`[{"a":[{"a":1},{"a":2},{"a":3}]},{"a":4}]`,
		`[{"a":"},{\"a\":"}, {"a":"},{\"a\":"},{"a":1}]`,
		"[\n  {\"a\": 1},\n  {\"a\": 2},\n  {\"a\": 3}\n]",
	} {
		f.Add([]byte(s), uint64(1))
		f.Add([]byte(s), uint64(7))
	}
	key := bytes.Repeat([]byte{3}, 32)
	f.Fuzz(func(t *testing.T, doc []byte, seed uint64) {
		rng := newRand(seed)
		p := Policy{Partner: "fuzz", Key: key, KeepUnnamed: rng.IntN(2) == 0, Rules: randomCategoryRules(rng),
			MaxDepth: []int{0, 3, 8}[rng.IntN(3)]}
		one, always, prod := splitEngines(t, p)
		if one == nil {
			return
		}
		want := rewriteAll(one, doc)
		for _, e := range []*Engine{always, prod} {
			if got := rewriteAll(e, doc); got != want {
				t.Fatalf("rules %v\ndoc %q\ngot  %s\nwant %s", p.Rules, doc, got, want)
			}
		}
	})
}

// TestSplitOnlyWhenCoresIdle: while other large rewrites hold half the
// cores, a document is walked alone (under load a helper saves nothing and
// its output would wait, in memory, for its walker); after, it is split,
// unless there is only one core.
func TestSplitOnlyWhenCoresIdle(t *testing.T) {
	_, _, prod := splitEngines(t, Policy{Rules: []Rule{rule(Keep, "#.a")}})
	doc := []byte(`[{"a":1},{"a":2},{"a":3},{"a":4},{"a":5},{"a":6}]`)
	busy := int32(max(1, runtime.GOMAXPROCS(0)/2))
	largeRewrites.Add(busy)
	offered, _ := splits(prod, doc)
	largeRewrites.Add(-busy)
	if offered {
		t.Fatal("split while the cores were busy")
	}
	// One core is never shared.
	if offered, _ = splits(prod, doc); offered != (runtime.GOMAXPROCS(0) > 1) {
		t.Fatalf("offered %v with the cores idle and GOMAXPROCS %d", offered, runtime.GOMAXPROCS(0))
	}
	if n := largeRewrites.Load(); n != 0 {
		t.Fatalf("%d large rewrites counted after all returned", n)
	}
}

// TestSplitLargeArrayAfterSmallOnes: small arrays before the records (and
// inside them) do not spend the document's split; the records array, once
// the walker is well into it, does.
func TestSplitLargeArrayAfterSmallOnes(t *testing.T) {
	p := Policy{Partner: "p", Key: bytes.Repeat([]byte{7}, 32),
		Rules: []Rule{rule(Keep, "tags.#.a"), rule(Keep, "rows.#.a"), rule(Pseudonymize, "rows.#.b"), rule(Keep, "rows.#.c")}}
	e, one := mustCompile(t, p), mustCompile(t, p)
	e.splitSync = true
	var b strings.Builder
	b.WriteString(`{"tags":[{"a":1},{"a":2}],"rows":[`)
	for i := 0; b.Len() < 3*splitMin; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"a":%d,"b":"user%d@example.com","c":[{"a":%d}],"d":"secret"}`, i, i, i)
	}
	b.WriteString(`]}`)
	doc := []byte(b.String())
	one.splitMin = 0
	if got, want := rewriteAll(e, doc), rewriteAll(one, doc); got != want {
		t.Fatalf("split and one walker differ:\n%.300s\n%.300s", got, want)
	}
	if offered, used := splits(e, doc); !offered || !used {
		t.Fatalf("offered %v, used %v: the records array was not split", offered, used)
	}
}
