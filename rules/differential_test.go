package rules

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"
)

// The parser-differential suite: inputs on which JSON parsers are known to
// disagree, each with the engine's exact verdict (the InputError kind, or the
// exact bytes it writes) and encoding/json's (json.Valid). Where the two
// differ, the comment on the case says why the engine's answer is the
// intended one. The principle: a partner's parser may resolve an ambiguous
// document differently from this filter (take the last of two duplicate
// keys, replace bad bytes with U+FFFD, bind a case variant to a field,
// decode a charset), so anything ambiguous is refused, and what is accepted
// is written in one unambiguous spelling.

// diffEngines are the policies the cases run under.
func diffEngines(t testing.TB) map[string]*Engine {
	t.Helper()
	r := func(a Action, path string, args ...string) Rule { return Rule{Path: path, Action: a, Args: args} }
	mk := func(p Policy) *Engine {
		e, err := Compile(p)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	// keep: default keep, with drops a parser differential would defeat.
	keepRules := []Rule{
		r(Drop, "email"), r(Drop, "**.ssn"), r(Drop, "kid"), r(Redact, "notes"),
		r(Generalize, "big", "bucket/10"), r(Mask, "card", "last4"), r(Drop, "id"),
	}
	return map[string]*Engine{
		"keep":   mk(Policy{Partner: "d", KeepUnnamed: true, Rules: keepRules}),
		"drop":   mk(Policy{Partner: "d"}),                                                          // default drop, no rules
		"keepx":  mk(Policy{Partner: "d", Rules: []Rule{r(Keep, "x")}}),                             // x kept whole
		"depth8": mk(Policy{Partner: "d", KeepUnnamed: true, MaxDepth: 8}),                          // a small limit
		"depth1": mk(Policy{Partner: "d", KeepUnnamed: true, MaxDepth: 1}),                          // the smallest
		"all":    mk(Policy{Partner: "d", KeepUnnamed: true}),                                       // everything kept
		"mask":   mk(Policy{Partner: "d", KeepUnnamed: true, Rules: []Rule{r(Mask, "n", "last4")}}), // numbers as text
	}
}

type diffCase struct {
	name string
	eng  string // key of diffEngines
	in   string
	kind string // the InputError kind; "" when accepted
	// out is the exact output when accepted; "=" means the input unchanged.
	out string
	// detail, if set, is the InputError's exact text.
	detail string
	// std is encoding/json's verdict: json.Valid(in).
	std bool
}

// diffCases are the table. Comments explain every intentional difference
// from encoding/json (std true where kind is set, or the reverse).
var diffCases = []diffCase{
	// --- Duplicate keys. encoding/json accepts them all (the last value
	// wins when decoding), so a filter that looked at the first would let
	// the partner see the second: the engine refuses every one.
	{name: "dup top exact", eng: "keep", in: `{"a":1,"a":2}`, kind: "duplicate-key", detail: "duplicate key at byte offset 7 (keys are compared decoded and case-insensitively)", std: true},
	{name: "dup nested exact", eng: "keep", in: `{"x":{"a":1,"a":2}}`, kind: "duplicate-key", detail: "duplicate key at byte offset 12 (keys are compared decoded and case-insensitively)", std: true},
	{name: "dup in an array element", eng: "keep", in: `[{"a":1},{"b":{"c":1,"c":2}}]`, kind: "duplicate-key", std: true},
	{name: "dup escaped", eng: "keep", in: `{"email":"a@x.io","em\u0061il":"b@x.io"}`, kind: "duplicate-key", detail: "duplicate key at byte offset 18 (keys are compared decoded and case-insensitively)", std: true},
	{name: "dup fully escaped first", eng: "keep", in: `{"\u0065\u006d\u0061\u0069\u006c":"a","email":"b"}`, kind: "duplicate-key", std: true},
	{name: "dup escaped solidus", eng: "keep", in: `{"a/b":1,"a\/b":2}`, kind: "duplicate-key", std: true},
	{name: "dup escaped upper hex", eng: "keep", in: `{"\u00E9":1,"\u00e9":2}`, kind: "duplicate-key", std: true},
	{name: "dup raw and escaped non-ASCII", eng: "keep", in: `{"é":1,"\u00e9":2}`, kind: "duplicate-key", std: true},
	{name: "dup case ASCII", eng: "keep", in: `{"Email":1,"eMAIL":2}`, kind: "duplicate-key", std: true},
	{name: "dup case non-ASCII", eng: "keep", in: `{"Ärger":1,"äRGER":2}`, kind: "duplicate-key", std: true},
	{name: "dup Kelvin sign raw", eng: "keep", in: "{\"kid\":1,\"\u212aid\":2}", kind: "duplicate-key", std: true},
	{name: "dup Kelvin sign escaped", eng: "keep", in: `{"KID":1,"\u212aid":2}`, kind: "duplicate-key", std: true},
	{name: "dup long s raw", eng: "keep", in: "{\"ssn\":1,\"\u017fsn\":2}", kind: "duplicate-key", std: true},
	{name: "dup long s escaped", eng: "keep", in: `{"SSN":1,"\u017Fsn":2}`, kind: "duplicate-key", std: true},
	{name: "dup Greek sigma forms", eng: "keep", in: `{"σ":1,"ς":2}`, kind: "duplicate-key", std: true},
	{name: "dup under a dropped subtree", eng: "drop", in: `{"x":{"a":1,"a":2}}`, kind: "duplicate-key", std: true},
	{name: "dup under a subtree kept whole", eng: "keepx", in: `{"x":{"a":1,"A":2}}`, kind: "duplicate-key", std: true},
	{name: "dup in a redacted subtree", eng: "keep", in: `{"notes":{"a":1,"a":2}}`, kind: "duplicate-key", std: true},
	{name: "dup beyond 16 members, Kelvin", eng: "keep", in: diffObject(20, `,"\u212a3":0`), kind: "duplicate-key", std: true},
	{name: "dup beyond 16 members, escaped", eng: "keep", in: diffObject(40, `,"\u006b39":0`), kind: "duplicate-key", std: true},
	{name: "same key in sibling objects", eng: "keep", in: `{"a":{"k":1},"b":{"k":2},"c":[{"k":3},{"k":4}]}`, out: "=", std: true},
	// Keys are matched on their decoded, folded form: a drop rule catches
	// every spelling that encoding/json would bind to the same field.
	{name: "rule matches escaped key", eng: "keep", in: `{"em\u0061il":"x","n":1}`, out: `{"n":1}`, std: true},
	{name: "rule matches upper case", eng: "keep", in: `{"EMAIL":"x","n":1}`, out: `{"n":1}`, std: true},
	{name: "rule matches Kelvin sign", eng: "keep", in: `{"\u212aid":"x","n":1}`, out: `{"n":1}`, std: true},
	{name: "rule matches long s", eng: "keep", in: "{\"\u017fsn\":\"078-05-1120\",\"n\":1}", out: `{"n":1}`, std: true},
	{name: "rule matches long s deep", eng: "keep", in: `{"a":{"b":{"S\u017fN":"078-05-1120"}}}`, out: `{"a":{"b":{}}}`, std: true},
	// Dotless and dotted I (U+0131, U+0130) fold to nothing else under
	// Unicode simple folding, and encoding/json does not bind them to "i"
	// either (TestDifferentialFolding checks every rune). Parsers that fold
	// with a Turkish locale or by upper-casing (.NET's OrdinalIgnoreCase
	// maps ı to I) would: a residual risk under `default keep`.
	{name: "dotless i is not i", eng: "keep", in: `{"\u0131d":1,"\u0130d":2,"n":3}`, out: `{"\u0131d":1,"\u0130d":2,"n":3}`, std: true},
	// No Unicode normalization: é precomposed and e + combining acute are
	// two keys here and in encoding/json.
	{name: "NFC and NFD are two keys", eng: "keep", in: "{\"\u00e9\":1,\"e\u0301\":2}", out: "=", std: true},
	// A NUL in a key is a different key ("email\u0000" is not "email"), as
	// in encoding/json. A partner whose parser cuts keys at NUL (C strings)
	// would read "email": a residual risk under `default keep`.
	{name: "NUL-suffixed key is another key", eng: "keep", in: `{"email\u0000":"x"}`, out: "=", std: true},
	// A dotted key is one key; the path a.b names b under a.
	{name: "dotted key is one key", eng: "keep", in: `{"a.b":1,"a":{"b":2}}`, out: "=", std: true},

	// --- Byte order marks and charsets. RFC 8259 forbids a BOM in JSON
	// text; encoding/json refuses it too.
	{name: "UTF-8 BOM", eng: "keep", in: "\xef\xbb\xbf{}", kind: "bom", detail: "body starts with a byte order mark"},
	{name: "UTF-8 BOM after whitespace", eng: "keep", in: " \xef\xbb\xbf{}", kind: "malformed"},
	{name: "U+FEFF inside a string", eng: "keep", in: "{\"a\":\"\ufeff\"}", out: "=", std: true},
	{name: "UTF-16LE with BOM", eng: "keep", in: diffUTF16LE("\ufeff{\"a\":1}"), kind: "invalid-utf8"},
	{name: "UTF-16BE with BOM", eng: "keep", in: diffUTF16BE("\ufeff{\"a\":1}"), kind: "invalid-utf8"},
	// Without a BOM, UTF-16 of ASCII is ASCII interleaved with NULs: valid
	// UTF-8 but not JSON.
	{name: "UTF-16LE without BOM", eng: "keep", in: diffUTF16LE(`{"email":"x"}`), kind: "malformed"},
	{name: "UTF-16BE without BOM", eng: "keep", in: diffUTF16BE(`{"email":"x"}`), kind: "malformed"},
	{name: "UTF-32LE", eng: "keep", in: "{\x00\x00\x00}\x00\x00\x00", kind: "malformed"},
	// encoding/json.Valid does not check UTF-8 inside strings (Unmarshal
	// replaces bad bytes with U+FFFD); a partner's parser might instead
	// decode Latin-1 or refuse. The engine refuses: there is no one reading.
	{name: "Latin-1 in a string", eng: "keep", in: "{\"name\":\"Jos\xe9\"}", kind: "invalid-utf8", detail: "body is not valid UTF-8", std: true},
	{name: "Latin-1 in a key", eng: "keep", in: "{\"\xe9mail\":1}", kind: "invalid-utf8", std: true},
	{name: "Windows-1252 quotes", eng: "keep", in: "{\"a\":\"\x93hi\x94\"}", kind: "invalid-utf8", std: true},

	// --- Invalid UTF-8 (encoding/json.Valid accepts all of these in strings).
	{name: "overlong slash 2 bytes", eng: "keep", in: "{\"a\":\"\xc0\xaf\"}", kind: "invalid-utf8", std: true},
	{name: "overlong slash 3 bytes", eng: "keep", in: "{\"a\":\"\xe0\x80\xaf\"}", kind: "invalid-utf8", std: true},
	{name: "overlong quote", eng: "keep", in: "{\"a\":\"\xc0\xa2\"}", kind: "invalid-utf8", std: true},
	// Java's modified UTF-8 reads C0 80 as NUL: "email" + NUL.
	{name: "overlong NUL in a key", eng: "keep", in: "{\"email\xc0\x80\":1}", kind: "invalid-utf8", std: true},
	// CESU-8: a UTF-16 surrogate encoded as UTF-8 (ED A0 80 is U+D800).
	{name: "UTF-8 encoded lone surrogate", eng: "keep", in: "{\"a\":\"\xed\xa0\x80\"}", kind: "invalid-utf8", std: true},
	{name: "UTF-8 encoded surrogate pair", eng: "keep", in: "{\"a\":\"\xed\xa0\xbd\xed\xb8\x80\"}", kind: "invalid-utf8", std: true},
	{name: "truncated 3-byte sequence", eng: "keep", in: "{\"a\":\"\xe2\x82\"}", kind: "invalid-utf8", std: true},
	{name: "truncated at the end", eng: "keep", in: "{\"a\":1}\xe2", kind: "invalid-utf8"},
	{name: "beyond U+10FFFF", eng: "keep", in: "{\"a\":\"\xf4\x90\x80\x80\"}", kind: "invalid-utf8", std: true},
	{name: "5-byte form", eng: "keep", in: "{\"a\":\"\xf8\x88\x80\x80\x80\"}", kind: "invalid-utf8", std: true},
	{name: "lone continuation byte", eng: "keep", in: "{\"a\":\"\x80\"}", kind: "invalid-utf8", std: true},
	{name: "0xFF between tokens", eng: "keep", in: "{\xff\"a\":1}", kind: "invalid-utf8"},
	{name: "invalid UTF-8 in a dropped value", eng: "drop", in: "{\"x\":\"\xff\"}", kind: "invalid-utf8", std: true},
	{name: "valid 4-byte UTF-8", eng: "keep", in: "{\"a\":\"\U0001F600\",\"\U0001F600\":1}", out: "=", std: true},

	// --- Escaped surrogates. encoding/json accepts a lone one and decodes
	// it to U+FFFD; other parsers keep it, drop it or fail. The engine
	// refuses, wherever it is.
	{name: "lone high", eng: "keep", in: `{"a":"\ud800"}`, kind: "lone-surrogate", detail: "body has an unpaired UTF-16 surrogate escape at byte offset 6", std: true},
	{name: "lone low", eng: "keep", in: `{"a":"\udc00"}`, kind: "lone-surrogate", std: true},
	{name: "high then BMP escape", eng: "keep", in: `{"a":"\ud800\u0041"}`, kind: "lone-surrogate", std: true},
	{name: "high high", eng: "keep", in: `{"a":"\ud800\ud800"}`, kind: "lone-surrogate", std: true},
	{name: "low then high", eng: "keep", in: `{"a":"\udc00\ud800"}`, kind: "lone-surrogate", std: true},
	{name: "high then newline escape", eng: "keep", in: `{"a":"\ud800\n"}`, kind: "lone-surrogate", std: true},
	{name: "high at the end of a string", eng: "keep", in: `{"a":"x\ud83d"}`, kind: "lone-surrogate", std: true},
	{name: "high then raw low bytes", eng: "keep", in: "{\"a\":\"\\ud83d\xed\xb8\x80\"}", kind: "lone-surrogate", std: true},
	{name: "lone surrogate in a key", eng: "keep", in: `{"\ud800":1}`, kind: "lone-surrogate", std: true},
	{name: "lone surrogate in a dropped value", eng: "drop", in: `{"x":["\udfff"]}`, kind: "lone-surrogate", std: true},
	{name: "paired surrogates", eng: "keep", in: `{"a":"\ud83d\ude00","\uD83D\uDE00":1}`, out: "=", std: true},
	{name: "escaped backslash before u", eng: "keep", in: `{"a":"\\ud800"}`, out: "=", std: true},
	{name: "escaped backslash then lone", eng: "keep", in: `{"a":"\\\ud800"}`, kind: "lone-surrogate", std: true},

	// --- Not JSON: what lenient parsers (JSON5, YAML, JavaScript, Python's
	// json with NaN) accept. Both refuse.
	{name: "block comment", eng: "keep", in: `{"a":1 /* c */}`, kind: "malformed", detail: "body is not a single valid JSON document"},
	{name: "line comment", eng: "keep", in: "// c\n{}", kind: "malformed"},
	{name: "hash comment", eng: "keep", in: "# c\n{}", kind: "malformed"},
	{name: "trailing comma object", eng: "keep", in: `{"a":1,}`, kind: "malformed"},
	{name: "trailing comma array", eng: "keep", in: `[1,]`, kind: "malformed"},
	{name: "leading comma", eng: "keep", in: `[,1]`, kind: "malformed"},
	{name: "missing comma", eng: "keep", in: `{"a":1 "b":2}`, kind: "malformed"},
	{name: "single quotes", eng: "keep", in: `{'a':1}`, kind: "malformed"},
	{name: "unquoted key", eng: "keep", in: `{a:1}`, kind: "malformed"},
	{name: "NaN", eng: "keep", in: `{"a":NaN}`, kind: "malformed"},
	{name: "Infinity", eng: "keep", in: `{"a":Infinity}`, kind: "malformed"},
	{name: "-Infinity", eng: "keep", in: `{"a":-Infinity}`, kind: "malformed"},
	{name: "plus sign", eng: "keep", in: `{"a":+1}`, kind: "malformed"},
	{name: "leading dot", eng: "keep", in: `{"a":.5}`, kind: "malformed"},
	{name: "trailing dot", eng: "keep", in: `{"a":1.}`, kind: "malformed"},
	{name: "leading zero", eng: "keep", in: `{"a":01}`, kind: "malformed"},
	{name: "negative leading zero", eng: "keep", in: `{"a":-01}`, kind: "malformed"},
	{name: "hex number", eng: "keep", in: `{"a":0x1F}`, kind: "malformed"},
	{name: "bare exponent", eng: "keep", in: `{"a":1e}`, kind: "malformed"},
	{name: "capitalized literal", eng: "keep", in: `{"a":True}`, kind: "malformed"},
	{name: "truncated literal", eng: "keep", in: `{"a":nul}`, kind: "malformed"},
	{name: "raw tab in a string", eng: "keep", in: "{\"a\":\"x\ty\"}", kind: "malformed"},
	{name: "raw newline in a string", eng: "keep", in: "{\"a\":\"x\ny\"}", kind: "malformed"},
	{name: "raw NUL in a string", eng: "keep", in: "{\"a\":\"x\x00y\"}", kind: "malformed"},
	{name: "raw DEL in a string", eng: "keep", in: "{\"a\":\"x\x7fy\"}", out: "=", std: true},
	{name: "escape \\x", eng: "keep", in: `{"a":"\x41"}`, kind: "malformed"},
	{name: "escape \\'", eng: "keep", in: `{"a":"\'"}`, kind: "malformed"},
	{name: "escape \\U", eng: "keep", in: `{"a":"\U00000041"}`, kind: "malformed"},
	{name: "short \\u", eng: "keep", in: `{"a":"\u12"}`, kind: "malformed"},
	{name: "non-hex \\u", eng: "keep", in: `{"a":"\u12G4"}`, kind: "malformed"},
	{name: "unterminated string", eng: "keep", in: `{"a":"x`, kind: "malformed"},
	{name: "empty body", eng: "keep", in: ``, kind: "malformed"},
	{name: "only whitespace", eng: "keep", in: " \n\t\r", kind: "malformed"},
	{name: "form feed is not whitespace", eng: "keep", in: "\x0c{}", kind: "malformed"},
	{name: "NBSP is not whitespace", eng: "keep", in: "\u00a0{}", kind: "malformed"},
	// The depth check runs first and counts closers too: 100 stray `]` then
	// 165 `[` reach 65. Refused either way; the kind is the depth's.
	{name: "unbalanced closers then openers", eng: "keep", in: "[]" + strings.Repeat("]", 100) + strings.Repeat("[", 200), kind: "too-deep", detail: "body nests deeper than 64 levels at byte offset 266"},

	// --- Trailing data: a partner reading the first document (or the
	// last) would see something else than a filter reading the other.
	{name: "two objects", eng: "keep", in: `{"a":1}{"email":"x"}`, kind: "malformed", detail: "body is not a single valid JSON document"},
	{name: "object then garbage", eng: "keep", in: `{} x`, kind: "malformed"},
	{name: "extra closer", eng: "keep", in: `[]]`, kind: "malformed"},
	{name: "two numbers", eng: "keep", in: `1 2`, kind: "malformed"},
	{name: "two strings", eng: "keep", in: `"a""b"`, kind: "malformed"},
	{name: "trailing NUL", eng: "keep", in: "{}\x00", kind: "malformed"},
	{name: "NDJSON as JSON", eng: "keep", in: "{\"a\":1}\n{\"email\":\"x\"}\n", kind: "malformed"},
	{name: "trailing whitespace", eng: "keep", in: "{\"a\":1} \t\r\n", out: `{"a":1}`, std: true},
	{name: "leading whitespace", eng: "keep", in: " \t\r\n{\"a\":1}", out: `{"a":1}`, std: true},

	// --- Numbers are copied as written, whatever their size: no float
	// round trip (encoding/json into float64 would fail on 1e999999 and
	// round the 400 digits; into json.Number it keeps them too).
	{name: "huge exponent", eng: "keep", in: `{"n":1e999999,"m":-1E-999999}`, out: "=", std: true},
	{name: "400-digit integer", eng: "keep", in: `{"n":` + diffDigits(400) + `}`, out: "=", std: true},
	{name: "400-digit fraction", eng: "keep", in: `{"n":-0.` + diffDigits(400) + `e+10}`, out: "=", std: true},
	{name: "negative zero and friends", eng: "keep", in: `[-0,0e0,1E+2,-0.0e-0,0.1]`, out: "=", std: true},
	// bucket works on exact decimals up to 1e18; beyond, it cannot, so the
	// value is redacted, never passed through or rounded through a float.
	{name: "bucket on a huge number", eng: "keep", in: `{"big":` + diffDigits(400) + `}`, out: `{"big":"[REDACTED]"}`, std: true},
	{name: "bucket on a 1e999999", eng: "keep", in: `{"big":1e999999}`, out: `{"big":"[REDACTED]"}`, std: true},
	{name: "mask on a 400-digit number", eng: "mask", in: `{"n":` + diffDigits(400) + `}`, out: `{"n":"` + strings.Repeat("*", 396) + `7890"}`, std: true},

	// --- Nesting. The limit counts open containers; encoding/json's own
	// limit is 10000, so it accepts what the engine refuses beyond 64.
	{name: "depth 64 arrays", eng: "all", in: diffNest("[", "]", 64, "1"), out: "=", std: true},
	{name: "depth 65 arrays", eng: "all", in: diffNest("[", "]", 65, "1"), kind: "too-deep", detail: "body nests deeper than 64 levels at byte offset 64", std: true},
	{name: "depth 64 objects", eng: "all", in: diffNest(`{"a":`, "}", 64, "1"), out: "=", std: true},
	{name: "depth 65 objects", eng: "all", in: diffNest(`{"a":`, "}", 65, "1"), kind: "too-deep", detail: "body nests deeper than 64 levels at byte offset 320", std: true},
	{name: "depth 8 at a limit of 8", eng: "depth8", in: diffNest(`[{"a":`, "}]", 4, "1"), out: "=", std: true},
	{name: "depth 9 at a limit of 8", eng: "depth8", in: diffNest(`[`, "]", 9, "1"), kind: "too-deep", std: true},
	{name: "depth 1 at a limit of 1", eng: "depth1", in: `{"a":[]}`, kind: "too-deep", std: true},
	{name: "flat at a limit of 1", eng: "depth1", in: `{"a":1,"b":"[[[["}`, out: "=", std: true},
	{name: "brackets in strings do not nest", eng: "all", in: `{"a":"` + strings.Repeat("[{", 200) + `"}`, out: "=", std: true},
	{name: "deep and malformed: depth first", eng: "all", in: diffNest("[", "]", 65, "NaN"), kind: "too-deep"},
	{name: "deep and duplicate: depth first", eng: "all", in: `{"a":1,"a":` + diffNest("[", "]", 65, "1") + `}`, kind: "too-deep", std: true},
	// Unclosed: refused for depth before anything parses it.
	{name: "100000 [ unclosed", eng: "all", in: strings.Repeat("[", 100000), kind: "too-deep", detail: "body nests deeper than 64 levels at byte offset 64"},
	{name: "100000 {\"a\": unclosed", eng: "all", in: strings.Repeat(`{"a":`, 100000), kind: "too-deep"},

	// --- Top-level scalars are documents too.
	{name: "top-level string kept", eng: "all", in: `"jane@example.com"`, out: "=", std: true},
	{name: "top-level string dropped", eng: "drop", in: `"jane@example.com"`, out: `null`, std: true},
	{name: "top-level number dropped", eng: "drop", in: `42`, out: `null`, std: true},
	{name: "top-level array emptied", eng: "drop", in: `[{"a":1}]`, out: `[]`, std: true},
}

func diffObject(n int, extra string) string {
	var b strings.Builder
	b.WriteByte('{')
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"k%d":0`, i)
	}
	b.WriteString(extra)
	b.WriteByte('}')
	return b.String()
}

func diffDigits(n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteByte("1234567890"[i%10])
	}
	return b.String()
}

func diffNest(open, close string, n int, inner string) string {
	return strings.Repeat(open, n) + inner + strings.Repeat(close, n)
}

func diffUTF16LE(s string) string {
	var b []byte
	for _, r := range s {
		b = append(b, byte(r), byte(r>>8))
	}
	return string(b)
}

func diffUTF16BE(s string) string {
	var b []byte
	for _, r := range s {
		b = append(b, byte(r>>8), byte(r))
	}
	return string(b)
}

func TestDifferential(t *testing.T) {
	engines := diffEngines(t)
	names := map[string]bool{}
	for _, c := range diffCases {
		if names[c.name] {
			t.Fatalf("two cases named %q", c.name)
		}
		names[c.name] = true
		runDiffCase(t, engines, c)
	}
	t.Logf("%d differential cases", len(diffCases))
}

func runDiffCase(t *testing.T, engines map[string]*Engine, c diffCase) {
	t.Helper()
	e := engines[c.eng]
	if e == nil {
		t.Fatalf("%s: no engine %q", c.name, c.eng)
	}
	out, err := e.Rewrite(nil, []byte(c.in), nil)
	got := ""
	if err != nil {
		ie, ok := err.(*InputError)
		if !ok {
			t.Errorf("%s: non-input error %v", c.name, err)
			return
		}
		got = ie.Kind
		if c.detail != "" && ie.Detail != c.detail {
			t.Errorf("%s: detail %q, want %q", c.name, ie.Detail, c.detail)
		}
	}
	if got != c.kind {
		t.Errorf("%s: %q -> kind %q (%v), want %q; output %.200q", c.name, diffTrunc(c.in), got, err, c.kind, out)
		return
	}
	if c.kind == "" {
		want := c.out
		if want == "=" {
			want = c.in
		}
		if string(out) != want {
			t.Errorf("%s: %q\n got %.300q\nwant %.300q", c.name, diffTrunc(c.in), out, want)
		}
	}
	if std := json.Valid([]byte(c.in)); std != c.std {
		t.Errorf("%s: encoding/json says valid=%v, the table says %v", c.name, std, c.std)
	}
}

func diffTrunc(s string) string {
	if len(s) > 120 {
		return s[:120] + "..."
	}
	return s
}

// TestDifferentialLarge: very long keys and strings, and a million small
// members, are accepted (and copied exactly) or refused as the small ones
// are, in time linear in their size.
func TestDifferentialLarge(t *testing.T) {
	engines := diffEngines(t)
	mb := strings.Repeat("k", 1<<20)
	mbEsc := strings.Repeat(`\u00e9`, 1<<20/6)
	million := diffObject(1_000_000, "")
	millionArr := "[" + strings.Repeat(`{"a":1},`, 999_999) + `{"a":1}]`
	cases := []diffCase{
		{name: "1 MB key kept", eng: "all", in: `{"` + mb + `":1}`, out: "=", std: true},
		{name: "1 MB key dropped", eng: "drop", in: `{"` + mb + `":1}`, out: `{}`, std: true},
		{name: "two 1 MB keys differing at the end", eng: "all", in: `{"` + mb + `a":1,"` + mb + `b":2}`, out: "=", std: true},
		{name: "two 1 MB keys equal folded", eng: "all", in: `{"` + mb + `":1,"` + strings.ToUpper(mb) + `":2}`, kind: "duplicate-key", std: true},
		{name: "1 MB key, Kelvin variant", eng: "all", in: `{"` + mb + `":1,"` + strings.Repeat("\u212a", 1<<20) + `":2}`, kind: "duplicate-key", std: true},
		{name: "1 MB escaped key", eng: "all", in: `{"` + mbEsc + `":1}`, out: "=", std: true},
		{name: "1 MB string kept", eng: "all", in: `{"a":"` + mb + `"}`, out: "=", std: true},
		{name: "1 MB escaped string kept", eng: "all", in: `{"a":"` + mbEsc + `"}`, out: "=", std: true},
		{name: "1 MB string redacted", eng: "keep", in: `{"notes":"` + mbEsc + `"}`, out: `{"notes":"[REDACTED]"}`, std: true},
		{name: "1 MB string masked", eng: "keep", in: `{"card":"` + mb + `"}`, out: `{"card":"` + strings.Repeat("*", 1<<20-4) + `kkkk"}`, std: true},
		{name: "a million members", eng: "all", in: million, out: "=", std: true},
		{name: "a million members dropped", eng: "drop", in: million, out: `{}`, std: true},
		{name: "a million members and a duplicate", eng: "all", in: million[:len(million)-1] + `,"K999999":1}`, kind: "duplicate-key",
			detail: fmt.Sprintf("duplicate key at byte offset %d (keys are compared decoded and case-insensitively)", len(million)), std: true},
		{name: "a million one-member objects", eng: "keep", in: millionArr, out: "=", std: true},
		{name: "a million numbers", eng: "all", in: "[" + strings.Repeat("0,", 999_999) + "0]", out: "=", std: true},
	}
	for _, c := range cases {
		start := time.Now()
		runDiffCase(t, engines, c)
		d := time.Since(start)
		t.Logf("%s: %s", c.name, d.Round(time.Millisecond))
		if d > 30*time.Second {
			t.Errorf("%s: %s", c.name, d)
		}
	}
	// 10 MB of `[`: refused at the limit, without recursion, quickly.
	start := time.Now()
	_, err := engines["all"].Rewrite(nil, bytes.Repeat([]byte("["), 10<<20), nil)
	if ie, ok := err.(*InputError); !ok || ie.Kind != "too-deep" {
		t.Errorf("10 MB of [: %v", err)
	}
	t.Logf("%d large cases; 10 MB of [ refused in %s", len(cases)+1, time.Since(start))
}

// TestDifferentialFolding compares the engine's key folding with
// encoding/json's field binding on every rune that has a case mapping:
// whenever encoding/json binds a key spelled with one rune to a field
// spelled with another, the engine must treat the two keys as the same key
// (so a rule on the field catches the key, and both together are a
// duplicate). The engine may be stricter.
func TestDifferentialFolding(t *testing.T) {
	e, err := Compile(Policy{Partner: "d", KeepUnnamed: true})
	if err != nil {
		t.Fatal(err)
	}
	types := map[string]reflect.Type{}
	fieldFor := func(name string) reflect.Type {
		if ty, ok := types[name]; ok {
			return ty
		}
		ty := reflect.StructOf([]reflect.StructField{{Name: "F", Type: reflect.TypeFor[*int](), Tag: reflect.StructTag(`json:"` + name + `"`)}})
		types[name] = ty
		return ty
	}
	checked, stricter := 0, 0
	for r := rune(0x41); r <= unicode.MaxRune; r++ {
		cands := map[rune]bool{unicode.ToUpper(r): true, unicode.ToLower(r): true, unicode.ToTitle(r): true, unicode.ToUpper(unicode.ToLower(r)): true}
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			cands[f] = true
		}
		delete(cands, r)
		for c := range cands {
			if !unicode.IsLetter(c) || !unicode.IsLetter(r) {
				continue
			}
			field := "x" + string(c)
			key := "x" + string(r)
			v := reflect.New(fieldFor(field))
			if err := json.Unmarshal([]byte(`{`+strconv.Quote(key)+`:1}`), v.Interface()); err != nil {
				continue
			}
			binds := !v.Elem().Field(0).IsNil()
			_, err := e.Rewrite(nil, []byte(`{`+strconv.Quote(field)+`:1,`+strconv.Quote(key)+`:2}`), nil)
			same := err != nil
			checked++
			switch {
			case binds && !same:
				t.Errorf("encoding/json binds key %q (U+%04X) to field %q (U+%04X), the engine keeps them apart", key, r, field, c)
			case same && !binds:
				stricter++
			}
		}
	}
	t.Logf("%d rune pairs compared; the engine folds %d pairs encoding/json does not bind", checked, stricter)
}
