package rules

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// TestShapesMatchOracle rewrites arrays of records whose names repeat,
// grow, shrink, change order or change case from one record to the next,
// some nested in their own kind (one matcher state at several depths under
// `**` rules), as the oracle would.
func TestShapesMatchOracle(t *testing.T) {
	matchOracle(t, 3000, randomRules, randomRecords)
	matchOracle(t, 1000, randomCategoryRules, randomRecords)
	// No rules: the document is kept or dropped whole (walker.skip).
	matchOracle(t, 500, func(*rand.Rand) []Rule { return nil }, randomRecords)
}

// randomRecords returns an array of records, each with the names of the
// one before it, changed now and then.
func randomRecords(rng *rand.Rand) []byte {
	var names []string
	var b bytes.Buffer
	b.WriteByte('[')
	for r := range 2 + rng.IntN(5) {
		if r > 0 {
			b.WriteByte(',')
		}
		names = changeNames(rng, names)
		writeRecord(&b, rng, names, 0)
	}
	b.WriteByte(']')
	return b.Bytes()
}

// changeNames returns names, distinct under folding, changed by one edit
// now and then.
func changeNames(rng *rand.Rand, names []string) []string {
	names = slices.Clone(names)
	switch rng.IntN(6) {
	case 0:
		if len(names) > 0 {
			i := rng.IntN(len(names))
			names = slices.Delete(names, i, i+1)
		}
	case 1, 2:
		k := randKeys[rng.IntN(len(randKeys))]
		if !slices.ContainsFunc(names, func(n string) bool { return foldString(n) == foldString(k) }) {
			names = slices.Insert(names, rng.IntN(len(names)+1), k)
		}
	case 3:
		if len(names) > 1 {
			i, j := rng.IntN(len(names)), rng.IntN(len(names))
			names[i], names[j] = names[j], names[i]
		}
	case 4:
		if len(names) > 0 {
			i := rng.IntN(len(names))
			names[i] = strings.ToUpper(names[i])
		}
	}
	return names
}

func writeRecord(b *bytes.Buffer, rng *rand.Rand, names []string, depth int) {
	b.WriteByte('{')
	for i, k := range names {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(b, "%q:", k)
		if depth < 2 && rng.IntN(4) == 0 {
			writeRecord(b, rng, changeNames(rng, names), depth+1)
		} else {
			writeRandom(b, rng, 3)
		}
	}
	b.WriteByte('}')
}

// TestShapeDuplicates: a record that repeats the names of the one before
// and then repeats one of them (or one of the record's own) is refused at
// the repeat, wherever the repeat falls: within the shape, past it, past
// the linear-scan limit, in another case, escaped, or nested in a record
// of the same matcher state.
func TestShapeDuplicates(t *testing.T) {
	var wide, wideDup strings.Builder
	for i := range 40 {
		fmt.Fprintf(&wide, `"k%02d":%d,`, i, i)
	}
	fmt.Fprintf(&wideDup, `%s"k35":0`, wide.String())
	long := "{" + strings.TrimSuffix(wide.String(), ",") + "}"
	cases := []struct{ doc, dup string }{
		{`[{"a":1,"b":2},{"a":1,"b":2,"a":3}]`, `"a":3`},
		{`[{"a":1,"b":2},{"b":1,"a":2,"b":3}]`, `"b":3`},
		{`[{"Ab":1,"c":2},{"Ab":1,"aB":2}]`, `"aB"`},
		{`[{"ab":1,"c":1},{"ab":1,"a\u0062":2}]`, `"a\u0062"`},
		{`[{"a\u0062":1,"c":1},{"a\u0062":1,"ab":2}]`, `"ab":2`},
		{`[{"a":1,"b":2},{"a":1}, {"a":1,"b":2,"b":2}]`, `"b":2}]`},
		{`[` + long + `,{` + wideDup.String() + `}]`, `"k35":0}`},
		{`[` + long + `,{"k00":0,"k00":1}]`, `"k00":1`},
		{`{"x":{"y":1,"z":2},"y":{"x":{"y":1,"z":2,"y":3}}}`, `"y":3`},
	}
	e := mustCompile(t, Policy{Rules: []Rule{rule(Keep, "**.y"), rule(Drop, "**.password")}})
	whole := mustCompile(t, Policy{KeepUnnamed: true}) // walker.skip
	for _, c := range cases {
		want := fmt.Sprintf("duplicate key at byte offset %d ", strings.LastIndex(c.doc, c.dup))
		for _, e := range []*Engine{e, whole} {
			if _, err := e.Rewrite(nil, []byte(c.doc), nil); err == nil || !strings.HasPrefix(err.Error(), want) {
				t.Errorf("%s: err = %v, want %q", c.doc, err, want)
			}
		}
	}
	// The same records without the repeat are fine, and each record is
	// rewritten alike.
	got, err := e.Rewrite(nil, []byte(`[{"a":1,"y":2},{"a":1,"y":2},{"A":1,"Y":3},{"y":4,"a":1}]`), nil)
	if want := `[{"y":2},{"y":2},{"Y":3},{"y":4}]`; err != nil || string(got) != want {
		t.Errorf("got %s, %v; want %s", got, err, want)
	}
}

// TestShapeMemberAt compares names of every length from 1 to 40 bytes
// with themselves and with each one-byte change, inside a document and at
// its end.
func TestShapeMemberAt(t *testing.T) {
	for n := 1; n <= 40; n++ {
		name := `"` + strings.Repeat("n", n) + `"`
		var sh shape
		sh.add(name, 0, 0, Field{})
		m := &sh.members[0]
		for _, tail := range []string{":1}", ":", ""} {
			doc := []byte(`{` + name + tail)
			if got, want := m.at(doc, 1), tail != ""; got != want {
				t.Errorf("%s at %q = %v", name, doc, got)
			}
			for j := range len(name) {
				other := slices.Clone(doc)
				other[1+j] ^= 0x40
				if m.at(other, 1) {
					t.Errorf("%s at %q = true", name, other)
				}
			}
		}
	}
}

// TestShapesAcrossDocuments: one walker's shapes serve its next documents,
// including after a document it refused; names a document repeats from the
// last one are still checked for duplicates, and nothing of an earlier
// document changes a later one's output.
func TestShapesAcrossDocuments(t *testing.T) {
	e := mustCompile(t, Policy{Rules: []Rule{rule(Keep, "**.y"), rule(Drop, "**.password")}})
	w := e.walkers.Get().(*walker)
	for _, c := range []struct{ doc, want string }{
		{`{"a":1,"y":2,"b":{"y":3,"z":4}}`, `{"y":2,"b":{"y":3}}`},
		{`{"a":1,"y":5,"b":{"y":6,"z":7}}`, `{"y":5,"b":{"y":6}}`},
		{`{"a":1,"y":2,"a":3}`, `duplicate key at byte offset 13 `},
		{`{"a":1,"y":2,"b":{"y":3,"y":4}}`, `duplicate key at byte offset 24 `},
		{`{"a":1,"y":2,"b":{"y":3,"z`, `body is not a single valid JSON document`},
		{`{"a":1,"y":8,"b":{"y":9,"z":4}}`, `{"y":8,"b":{"y":9}}`},
		{`{"a":1,"Y":8,"b":{"y":9,"Z":4,"z":1}}`, `duplicate key at byte offset 30 `},
		{`{"y":1,"a":2}`, `{"y":1}`},
	} {
		got, err := e.rewriteWith(w, nil, []byte(c.doc), nil, nil)
		if err != nil {
			got = []byte(err.Error())
		}
		if !strings.HasPrefix(string(got), c.want) {
			t.Errorf("%s: got %s, want %s", c.doc, got, c.want)
		}
	}
	if w.shapesOpen != 0 {
		t.Errorf("shapes left open: %b", w.shapesOpen)
	}
}
