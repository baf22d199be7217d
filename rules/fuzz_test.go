package rules

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzRewrite feeds arbitrary bytes and a random policy to the engine: it
// must never panic, and whatever it accepts must come out as valid JSON equal
// to the encoding/json oracle's rewrite, holding no dropped value.
func FuzzRewrite(f *testing.F) {
	for _, s := range []string{
		`{"a":{"email":"jane@example.com","id":1},"b":[{"x.y":"203.0.113.9"}]}`,
		`[{"0":{"Email":"1987-06-14"}},{"id":-3.5e2}]`,
		`{"email":"x","em\u0061il":"y"}`,
		`{"a":"\ud83d\ude00","b":"\u00e9"}`,
		`[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]`,
		`{"a":1}{"b":2}`,
		"\xef\xbb\xbf{}",
	} {
		f.Add([]byte(s), uint64(1))
		f.Add([]byte(s), uint64(99))
	}
	key := bytes.Repeat([]byte{3}, 32)
	f.Fuzz(func(t *testing.T, doc []byte, seed uint64) {
		rng := newRand(seed)
		p := Policy{Partner: "fuzz", Key: key, KeepUnnamed: rng.IntN(2) == 0, Rules: randomCategoryRules(rng)}
		e, err := Compile(p)
		if err != nil {
			return
		}
		out, err := e.Rewrite(nil, doc, nil)
		if err != nil {
			if !IsInputError(err) {
				t.Fatalf("non-input error: %v", err)
			}
			return
		}
		if !json.Valid(out) {
			t.Fatalf("invalid output %q from %q", out, doc)
		}
		want, err := oracle{e}.rewrite(doc)
		if err != nil {
			t.Fatalf("engine accepted what encoding/json refuses (%v): %q", err, doc)
		}
		if canonical(out) != canonical(want) {
			t.Fatalf("rules %v\ndoc  %s\ngot  %s\nwant %s", p.Rules, doc, out, want)
		}
	})
}
