package rules

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// sameAsReference checks that Rewrite and the rewriter it replaced
// (scan_ref_test.go) agree on doc byte for byte: output, tally, error kind
// and detail.
func sameAsReference(t *testing.T, e *Engine, doc []byte) {
	t.Helper()
	gotTally, wantTally := e.NewTally(), e.NewTally()
	got, gotErr := e.Rewrite([]byte("dst:"), doc, gotTally)
	want, wantErr := e.refRewrite([]byte("dst:"), doc, wantTally)
	if errText(gotErr) != errText(wantErr) {
		t.Fatalf("doc %q\nrules %v\nerr  %s\nwant %s", doc, e.Rules(), errText(gotErr), errText(wantErr))
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("doc %q\nrules %v\ngot  %s\nwant %s", doc, e.Rules(), got, want)
	}
	if gotErr == nil && !slices.Equal(gotTally, wantTally) {
		t.Fatalf("doc %q\nrules %v\ntally %v\nwant  %v", doc, e.Rules(), gotTally, wantTally)
	}
}

func errText(err error) string {
	if err == nil {
		return "<nil>"
	}
	if ie, ok := err.(*InputError); ok {
		return ie.Kind + ": " + ie.Detail
	}
	return fmt.Sprintf("%T: %v", err, err)
}

// mutate damages a valid document the ways that matter to a scanner.
func mutate(rng *rand.Rand, doc []byte) []byte {
	pieces := []string{`{`, `}`, `[`, `]`, `"`, `,`, `:`, `\`, `\u`, `\ud800`, `\udc00`, `\ud83d\ude00`, `\u0041`, `\"`, `\n`,
		" ", "\t", "\x00", "\x1f", "\x7f", "\xff", "\xc3", "é", "\xef\xbb\xbf", `0`, `-`, `.`, `e`, `E+`, `01`, `true`, `nul`, `"a":1`, `"A":2`, `"em\u0061il":3`}
	out := slices.Clone(doc)
	for range 1 + rng.IntN(3) {
		p := rng.IntN(len(out) + 1)
		switch rng.IntN(3) {
		case 0: // insert
			out = slices.Insert(out, p, []byte(pieces[rng.IntN(len(pieces))])...)
		case 1: // delete
			if p < len(out) {
				out = slices.Delete(out, p, min(len(out), p+1+rng.IntN(3)))
			}
		default: // replace one byte
			if p < len(out) {
				out[p] = pieces[rng.IntN(len(pieces))][0]
			}
		}
	}
	return out
}

// TestScanMatchesReference runs the scanner and the rewriter it replaced on
// random documents, damaged random documents and hand-picked edge cases,
// under random policies and depth limits.
func TestScanMatchesReference(t *testing.T) {
	key := bytes.Repeat([]byte{5}, 32)
	edge := []string{
		``, ` `, `{}`, `[]`, ` {"a" : [ 1 , 2 ] } ` + "\n", "\t[ ]\r\n", `"x"`, ` "x" `, `1`, ` -0.5e+10 `, `true`, `null `,
		`{"a":1,"a":2}`, `{"a":{"b":1,"B":2}}`, `[{"x":1},{"x":1,"X":2}]`, `{"em\u0061il":1,"EMAIL":2}`,
		`{"\u00e9":1,"\u00c9":2}`, `{"k":"\ud83d\ude00","\ud83d\ude00":1}`, `{"a":"\ud800"}`, `{"a":"\udc00\ud800"}`,
		`{"a":"\ud800\u0041"}`, `{"a":"\ud800\\u0041"}`, `{"a":"\\ud800"}`, "\xef\xbb\xbf{}", "{\"a\":\"\xff\"}",
		`[[[[1]]]]`, `[[[[[1]]]]]`, `[[[[[`, `]]]][[[[[`, `{"a":1}{"b":2}`, `{"a":1,}`, `[1,]`, `[,1]`, `{,}`, `{"a"}`,
		`{"a":}`, `{"a" 1}`, `[01]`, `[-]`, `[1.]`, `[1e]`, `[1e+]`, `[.5]`, `[+1]`, `[tru]`, `[nulll]`, `[1 2]`,
		`"\u00"`, `"\x"`, "\"\x01\"", `"abc`, `{"a":"\/\b\f\n\r\t\"\\"}`, `{"a":"\u0000"}`,
		`{"orders":[{"id":"ord_1","customer":{"id":"c","email":"j@x.io","password":"p"}}]}`,
	}
	big := `{` + strings.Repeat(`"k":1,`, 0)
	for i := range 40 {
		big += fmt.Sprintf(`"k%d":{"a":%d,"A\u0062":2},`, i, i)
	}
	edge = append(edge, big+`"k7":2}`, big+`"K39":2}`, big+`"z":1}`, big+`"z":{"x":1,"x":2}}`)
	rng := newRand(7)
	for i := range 20000 {
		p := Policy{Partner: "p", Key: key, KeepUnnamed: rng.IntN(2) == 0, Rules: randomRules(rng), MaxDepth: []int{0, 1, 3, 5}[rng.IntN(4)]}
		e, err := Compile(p)
		if err != nil {
			continue
		}
		var doc []byte
		switch {
		case i < len(edge):
			doc = []byte(edge[i])
		case i%2 == 0:
			doc = randomDoc(rng)
		default:
			doc = mutate(rng, randomDoc(rng))
		}
		sameAsReference(t, e, doc)
	}
	// The benchmark documents under the benchmark policy, and whole.
	for _, rs := range [][]Rule{benchRules, nil, {rule(Keep, "orders")}, {rule(Redact, "orders.#.customer")}} {
		e := mustCompile(t, Policy{Partner: "fraud", Key: key, Rules: rs, KeepUnnamed: rs == nil})
		for _, size := range []int{1 << 10, 64 << 10} {
			sameAsReference(t, e, benchDoc(size))
		}
	}
}

// FuzzScan compares the scanner with the rewriter it replaced on arbitrary
// bytes, under a random policy and depth limit.
func FuzzScan(f *testing.F) {
	for _, s := range []string{
		`{"a":{"email":"jane@example.com","id":1},"b":[{"x.y":"203.0.113.9"}]}`,
		`[{"0":{"Email":"1987-06-14"}},{"id":-3.5e2}]`,
		`{"email":"x","em\u0061il":"y"}`,
		`{"a":"\ud83d\ude00","b":"\u00e9","c":"\ud800"}`,
		`[[[[[[1]]]]]]`,
		`{"a":1}{"b":2}`,
		"\xef\xbb\xbf{}",
		"{\"a\":\"\xff\",\"a\":1}",
	} {
		f.Add([]byte(s), uint64(1))
		f.Add([]byte(s), uint64(42))
	}
	key := bytes.Repeat([]byte{3}, 32)
	f.Fuzz(func(t *testing.T, doc []byte, seed uint64) {
		rng := newRand(seed)
		p := Policy{Partner: "fuzz", Key: key, KeepUnnamed: rng.IntN(2) == 0, Rules: randomRules(rng), MaxDepth: rng.IntN(6)}
		e, err := Compile(p)
		if err != nil {
			return
		}
		sameAsReference(t, e, doc)
	})
}

// TestScanDoesNotAllocate keeps allocations per rewrite independent of the
// document: none once the pools are warm, escaped keys and strings included.
func TestScanDoesNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop items")
	}
	e := mustCompile(t, Policy{Partner: "p", Key: bytes.Repeat([]byte{1}, 32), Rules: append(slices.Clone(benchRules), rule(Mask, "orders.#.n\\.e", "first1"))})
	doc := []byte(strings.Replace(string(benchDoc(16<<10)), `"notes":`, `"n\u002ee":"\u00e9t\u00e9","not\u0065s":`, -1))
	var out []byte
	for _, d := range [][]byte{doc, benchDoc(64 << 10)} {
		out, _ = e.Rewrite(out[:0], d, nil) // warm the pools
		if n := testing.AllocsPerRun(20, func() {
			var err error
			if out, err = e.Rewrite(out[:0], d, nil); err != nil {
				t.Fatal(err)
			}
		}); n > 0 {
			t.Errorf("%d allocations per rewrite of %d bytes", int(n), len(d))
		}
	}
}
