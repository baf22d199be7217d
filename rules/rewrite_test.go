package rules

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

func rule(a Action, path string, args ...string) Rule { return Rule{Path: path, Action: a, Args: args} }

func mustCompile(t testing.TB, p Policy) *Engine {
	t.Helper()
	e, err := Compile(p)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return e
}

// TestPrecedence is the precedence table the README documents: most literal
// segments first, then the stricter action, ancestors govern their subtree.
func TestPrecedence(t *testing.T) {
	tests := []struct {
		name  string
		keep  bool
		rules []Rule
		in    string
		want  string
	}{
		{"deny by default", false, []Rule{rule(Keep, "a")},
			`{"a":1,"b":2}`, `{"a":1}`},
		{"ancestor keep, specific drop", false, []Rule{rule(Keep, "customer"), rule(Drop, "customer.ssn")},
			`{"customer":{"name":"Ann","ssn":"123-45-6789"}}`, `{"customer":{"name":"Ann"}}`},
		{"default drop, specific keep", false, []Rule{rule(Keep, "customer.name")},
			`{"customer":{"name":"Ann","ssn":"x"},"z":1}`, `{"customer":{"name":"Ann"}}`},
		{"tie on literals goes to the stricter action", false, []Rule{rule(Keep, "customer"), rule(Drop, "*.ssn")},
			`{"customer":{"name":"Ann","ssn":"x"}}`, `{"customer":{"name":"Ann"}}`},
		{"more literals beat a stricter action", false, []Rule{rule(Keep, "customer.profile"), rule(Drop, "**.ssn")},
			`{"customer":{"profile":{"ssn":"x"},"ssn":"y"}}`, `{"customer":{"profile":{"ssn":"x"}}}`},
		{"deep wildcard under default keep", true, []Rule{rule(Drop, "**.password")},
			`{"password":"a","u":{"password":"b","n":1},"l":[{"password":"c"}]}`, `{"u":{"n":1},"l":[{}]}`},
		{"every array element", false, []Rule{rule(Keep, "items.#.sku")},
			`{"items":[{"sku":"A","price":1},{"sku":"B"}]}`, `{"items":[{"sku":"A"},{"sku":"B"}]}`},
		{"numeric literal names one element", true, []Rule{rule(Drop, "items.0.card")},
			`{"items":[{"card":"4111","n":1},{"card":"5500"}]}`, `{"items":[{"n":1},{"card":"5500"}]}`},
		{"any one key", false, []Rule{rule(Keep, "*.id")},
			`{"a":{"id":1,"x":2},"b":{"id":2},"id":3}`, `{"a":{"id":1},"b":{"id":2}}`},
		{"star also matches array elements", true, []Rule{rule(Drop, "*.email")},
			`[{"email":"a","n":1}]`, `[{"n":1}]`},
		{"escaped dot is part of the key", false, []Rule{rule(Keep, `a\.b`)},
			`{"a.b":1,"a":{"b":2}}`, `{"a.b":1}`},
		{"keys match case-insensitively", true, []Rule{rule(Drop, "email")},
			`{"EMAIL":"x","n":1}`, `{"n":1}`},
		{"keys match in decoded form", true, []Rule{rule(Drop, "email")},
			`{"em\u0061il":"x","n":1}`, `{"n":1}`},
		{"mask with two literals beats redact with one", false, []Rule{rule(Redact, "*.number"), rule(Mask, "card.number", "last4")},
			`{"card":{"number":"4111111111111111"},"acct":{"number":"DE89"}}`,
			`{"card":{"number":"************1111"},"acct":{"number":"[REDACTED]"}}`},
		{"a transformed object goes whole: its keys may be personal data", false, []Rule{rule(Redact, "contacts"), rule(Generalize, "users", "prefix/2"), rule(Mask, "cards", "last4")},
			`{"contacts":{"alice@example.com":"Alice"},"users":{"bob@example.com":{"id":1}},"cards":{"4111111111111111":"visa"}}`,
			`{"contacts":"[REDACTED]","users":"[REDACTED]","cards":"[REDACTED]"}`},
		{"a transformed object goes whole even with a drop floor below", false, []Rule{rule(Redact, "contacts"), {Path: "**.password", Action: Drop, Floor: true}},
			`{"contacts":{"alice@example.com":{"password":"x","n":"Alice"}}}`, `{"contacts":"[REDACTED]"}`},
		{"a transformed object is walked when a keep could act inside", false, []Rule{rule(Redact, "contacts"), rule(Keep, "contacts.*.n")},
			`{"contacts":{"alice@example.com":{"password":"x","n":"Alice"}}}`, `{"contacts":{"alice@example.com":{"password":"[REDACTED]","n":"Alice"}}}`},
		{"a transformed array has each element transformed", false, []Rule{rule(Mask, "tags", "all")},
			`{"tags":["ab",12,null,{"k":"v"},[]]}`, `{"tags":["**","**","[REDACTED]","[REDACTED]",[]]}`},
		{"an object with a specific rule inside is walked member by member", false, []Rule{rule(Redact, "customer"), rule(Keep, "customer.country")},
			`{"customer":{"name":"Ann","country":"GB","address":{"street":"x"}}}`,
			`{"customer":{"name":"[REDACTED]","country":"GB","address":"[REDACTED]"}}`},
		{"containers emptied by drops disappear", false, []Rule{rule(Keep, "a.b"), rule(Keep, "d")},
			`{"a":{"c":1},"d":[],"e":{"f":{}}}`, `{"d":[]}`},
		{"kept container emptied by a specific drop stays", false, []Rule{rule(Keep, "a"), rule(Drop, "a.b")},
			`{"a":{"b":1}}`, `{"a":{}}`},
		{"top-level array", false, []Rule{rule(Keep, "#.id")},
			`[{"id":1,"e":"x"},{"e":"y"}]`, `[{"id":1}]`},
		{"nothing kept leaves the empty shape", false, []Rule{rule(Keep, "x")},
			`{"a":1}`, `{}`},
		{"numbers are copied as written", false, []Rule{rule(Keep, "n"), rule(Keep, "m")},
			`{"n":1.0000000000000000000001e400,"m":-0.0}`, `{"n":1.0000000000000000000001e400,"m":-0.0}`},
		{"keys are copied as written", false, []Rule{rule(Keep, "name")},
			`{"n\u0061me":"A\u00e9"}`, `{"n\u0061me":"A\u00e9"}`},
		{"deep wildcard matching the root", false, []Rule{rule(Keep, "**")},
			`{"a":[1,{"b":2}]}`, `{"a":[1,{"b":2}]}`},
		{"a floor outranks a more specific keep", false, []Rule{rule(Keep, "user.profile"), {Path: "**.password", Action: Drop, Floor: true}},
			`{"user":{"profile":{"password":"hunter2","n":1}}}`, `{"user":{"profile":{"n":1}}}`},
		{"a floor outranks default keep", true, []Rule{{Path: "card.cvc", Action: Drop, Floor: true}},
			`{"card":{"cvc":"123","n":"4111"}}`, `{"card":{"n":"4111"}}`},
		{"earlier rule wins a full tie", false, []Rule{rule(Mask, "*.x", "all"), rule(Mask, "a.*", "first1")},
			`{"a":{"x":"abc"}}`, `{"a":{"x":"***"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := mustCompile(t, Policy{Partner: "p", KeepUnnamed: tt.keep, Rules: tt.rules})
			got, err := e.Rewrite(nil, []byte(tt.in), nil)
			if err != nil {
				t.Fatalf("Rewrite: %v", err)
			}
			if string(got) != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestRejectsBadInput(t *testing.T) {
	e := mustCompile(t, Policy{KeepUnnamed: true, MaxDepth: 4})
	big := `{` + strings.Repeat(`"k":1,`, 0)
	for i := range 40 {
		big += fmt.Sprintf(`"k%d":1,`, i)
	}
	tests := []struct {
		name, in, kind string
	}{
		{"empty", ``, "malformed"},
		{"trailing data", `{"a":1} {"b":2}`, "malformed"},
		{"trailing comma", `{"a":1,}`, "malformed"},
		{"comment", `{"a":1 /* c */}`, "malformed"},
		{"NaN", `{"a":NaN}`, "malformed"},
		{"single quotes", `{'a':1}`, "malformed"},
		{"leading zero", `{"a":01}`, "malformed"},
		{"bom", "\xef\xbb\xbf{}", "bom"},
		{"invalid utf-8", "{\"a\":\"\xff\"}", "invalid-utf8"},
		{"utf-16", "\xff\xfe{\x00}\x00", "invalid-utf8"},
		{"lone high surrogate", `{"a":"\ud800x"}`, "lone-surrogate"},
		{"lone low surrogate", `{"a":"\udc00"}`, "lone-surrogate"},
		{"reversed pair", `{"a":"\udc00\ud800"}`, "lone-surrogate"},
		{"surrogate in key", `{"\ud83d":1}`, "lone-surrogate"},
		{"duplicate key", `{"a":1,"a":2}`, "duplicate-key"},
		{"duplicate nested", `{"x":[{"a":1,"b":{"c":1,"c":2}}]}`, "duplicate-key"},
		{"duplicate escaped", `{"email":1,"em\u0061il":2}`, "duplicate-key"},
		{"duplicate case", `{"email":1,"Email":2}`, "duplicate-key"},
		{"duplicate in large object", big + `"k7":2}`, "duplicate-key"},
		{"too deep", `[[[[[1]]]]]`, "too-deep"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := e.Rewrite([]byte("prefix"), []byte(tt.in), nil)
			ie, ok := err.(*InputError)
			if !ok {
				t.Fatalf("err = %v (%T), want InputError %s", err, err, tt.kind)
			}
			if ie.Kind != tt.kind {
				t.Errorf("kind = %s, want %s (%v)", ie.Kind, tt.kind, err)
			}
			if string(out) != "prefix" {
				t.Errorf("dst changed on error: %q", out)
			}
		})
	}
}

func TestAcceptsEdgeInput(t *testing.T) {
	e := mustCompile(t, Policy{KeepUnnamed: true, MaxDepth: 4})
	for _, in := range []string{
		`[[[[1]]]]`,                   // exactly at the depth limit
		`{"a":"\ud83d\ude00"}`,        // a surrogate pair
		`{"a":"\\ud800"}`,             // an escaped backslash, not an escape
		`{"a":"[[[[[[[["}`,            // brackets inside strings do not nest
		` {"a" : [ 1 , 2 ] } ` + "\n", // whitespace
		`"just a string"`,
		`12345678901234567890123456789`,
	} {
		got, err := e.Rewrite(nil, []byte(in), nil)
		if err != nil {
			t.Errorf("%s: %v", in, err)
			continue
		}
		if strings.TrimSpace(string(got)) != strings.TrimSpace(in) {
			t.Errorf("%s: got %s", in, got)
		}
	}
}

// TestDeepNestingDoesNotCrash feeds 10 MB of `[`: gjson.Valid would recurse
// until the process dies; the prescan must refuse it first.
func TestDeepNestingDoesNotCrash(t *testing.T) {
	e := mustCompile(t, Policy{KeepUnnamed: true})
	in := bytes.Repeat([]byte("["), 10<<20)
	_, err := e.Rewrite(nil, in, nil)
	if ie, ok := err.(*InputError); !ok || ie.Kind != "too-deep" {
		t.Fatalf("err = %v", err)
	}
	if !strings.Contains(err.Error(), "deeper than 64 levels at byte offset 64") {
		t.Errorf("detail = %q", err)
	}
}

func TestErrorsNeverHoldValues(t *testing.T) {
	e := mustCompile(t, Policy{KeepUnnamed: true})
	for _, in := range []string{
		`{"secret-canary-key":1,"secret-canary-key":2}`,
		`{"a":"secret-canary \ud800"}`,
		`{"a":"secret-canary",}`,
	} {
		_, err := e.Rewrite(nil, []byte(in), nil)
		if err == nil || strings.Contains(err.Error(), "canary") {
			t.Errorf("%s: err = %v", in, err)
		}
	}
}

func TestLargeObjectDuplicatesAreLinear(t *testing.T) {
	e := mustCompile(t, Policy{Rules: []Rule{rule(Keep, "k999999")}})
	var b bytes.Buffer
	b.WriteByte('{')
	for i := range 1_000_000 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"k%d":%d`, i, i)
	}
	b.WriteByte('}')
	got, err := e.Rewrite(nil, b.Bytes(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != `{"k999999":999999}` {
		t.Errorf("got %s", got)
	}
}

func TestTally(t *testing.T) {
	e := mustCompile(t, Policy{Rules: []Rule{rule(Keep, "items"), rule(Redact, "**.email")}})
	tally := e.NewTally()
	_, err := e.Rewrite(nil, []byte(`{"items":[1,2],"a":{"email":"x","b":1},"email":"y"}`), tally)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]uint32{}
	for i, r := range e.Rules() {
		got[r.Action.String()+" "+r.Path] = tally[i]
	}
	// items is not decided whole (a **.email rule could match inside it), so
	// each of its values counts.
	want := map[string]uint32{"drop **": 1, "keep items": 2, "redact **.email": 2}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("tally = %v, want %v", got, want)
	}
}

func TestCompileErrors(t *testing.T) {
	key := bytes.Repeat([]byte{1}, 32)
	tests := []struct {
		p    Policy
		want string
	}{
		{Policy{Rules: []Rule{rule(Keep, "")}}, "empty path"},
		{Policy{Rules: []Rule{rule(Keep, "a..b")}}, `path "a..b" has an empty segment`},
		{Policy{Rules: []Rule{rule(Keep, "a*")}}, "wildcards match whole segments"},
		{Policy{Rules: []Rule{rule(Keep, `a\`)}}, "lone backslash"},
		{Policy{Rules: []Rule{rule(Keep, "a", "b")}}, `keep takes paths only`},
		{Policy{Rules: []Rule{{Path: "a", Action: Keep, Floor: true}}}, `a floor rule drops; keep a cannot be one`},
		{Policy{Rules: []Rule{rule(Mask, "a")}}, "mask takes one path and one style"},
		{Policy{Rules: []Rule{rule(Mask, "a", "last")}}, `unknown mask style "last"`},
		{Policy{Rules: []Rule{rule(Generalize, "a")}}, "generalize takes one path and at least one method"},
		{Policy{Rules: []Rule{rule(Generalize, "a", "ip/33")}}, `unknown generalization "ip/33"`},
		{Policy{Rules: []Rule{rule(Keep, "a.b"), rule(Drop, "A.b")}}, `path "A.b" is already named by keep "a.b"`},
		{Policy{Rules: []Rule{rule(Pseudonymize, "a")}}, "pseudonymize a needs the gateway key"},
		{Policy{Key: key[:16], Rules: []Rule{rule(Pseudonymize, "a")}}, "key is 16 bytes, need at least 32"},
	}
	for _, tt := range tests {
		_, err := Compile(tt.p)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: err = %v, want %q", tt.p.Rules, err, tt.want)
		}
	}
	if _, err := Compile(Policy{Key: key, Rules: []Rule{rule(Pseudonymize, "a")}}); err != nil {
		t.Errorf("valid keyed policy: %v", err)
	}
}

func TestDeepWildcardPolicies(t *testing.T) {
	// 32 rules of the common shape `**.name` compile to a small matcher.
	var rs []Rule
	for i := range 32 {
		rs = append(rs, rule(Drop, fmt.Sprintf("**.f%d", i)))
	}
	e := mustCompile(t, Policy{KeepUnnamed: true, Rules: rs})
	if n := len(e.dfa.states); n > 40 {
		t.Errorf("%d states for 32 **.name rules", n)
	}
	got, err := e.Rewrite(nil, []byte(`{"a":{"f3":1,"h":{"f31":2,"g":3}}}`), nil)
	if err != nil || string(got) != `{"a":{"h":{"g":3}}}` {
		t.Errorf("got %s, %v", got, err)
	}
	// Rules whose combinations explode are refused at load time.
	rs = rs[:0]
	for i := range 32 {
		rs = append(rs, rule(Drop, fmt.Sprintf("**.f%d.**.g%d", i, i)))
	}
	if _, err := Compile(Policy{KeepUnnamed: true, Rules: rs}); err == nil || !strings.Contains(err.Error(), "policy too complex") {
		t.Errorf("err = %v", err)
	}
}

// TestMatchesOracle compares the engine with the obvious implementation on
// random documents and policies.
func TestMatchesOracle(t *testing.T) { matchOracle(t, 3000, randomRules, randomDoc) }

// matchOracle rewrites n random documents from doc under n random policies
// from rules, each from its own seed, and compares the output with the
// oracle's.
func matchOracle(t *testing.T, n int, rules func(*rand.Rand) []Rule, doc func(*rand.Rand) []byte) {
	t.Helper()
	key := bytes.Repeat([]byte{7}, 32)
	for seed := range uint64(n) {
		rng := newRand(seed)
		p := Policy{Partner: "p", Key: key, KeepUnnamed: rng.IntN(2) == 0, Rules: rules(rng)}
		e, err := Compile(p)
		if err != nil {
			continue // a random policy may name one path twice
		}
		doc := doc(rng)
		got, err := e.Rewrite(nil, doc, nil)
		if err != nil {
			t.Fatalf("seed %d: %s: %v", seed, doc, err)
		}
		want, err := oracle{e}.rewrite(doc)
		if err != nil {
			t.Fatal(err)
		}
		if !json.Valid(got) || canonical(got) != canonical(want) {
			t.Fatalf("seed %d\nrules %v\ndoc  %s\ngot  %s\nwant %s", seed, p.Rules, doc, got, want)
		}
	}
}
