package rules

import (
	"bytes"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/tidwall/gjson"
)

// transformCase is one value through one transform: raw is the JSON input,
// want the exact JSON output, or "" when the transform must refuse.
type transformCase struct {
	raw, want string
}

// apply runs tf on raw and checks it only appends to dst, and appends
// nothing when it refuses.
func apply(t *testing.T, tf transformer, v gjson.Result) (string, bool) {
	t.Helper()
	const lead = "prefix:"
	out, ok := tf.appendTo([]byte(lead), &v)
	if !bytes.HasPrefix(out, []byte(lead)) {
		t.Fatalf("appendTo(%s) clobbered dst: %q", v.Raw, out)
	}
	got := string(out[len(lead):])
	if !ok && got != "" {
		t.Fatalf("appendTo(%s) refused but appended %q", v.Raw, got)
	}
	if ok && !json.Valid(out[len(lead):]) {
		t.Fatalf("appendTo(%s) = %q, not valid JSON", v.Raw, got)
	}
	return got, ok
}

func runCases(t *testing.T, name string, tf transformer, cases []transformCase) {
	t.Helper()
	for _, c := range cases {
		got, ok := apply(t, tf, gjson.Parse(c.raw))
		switch {
		case c.want == "" && ok:
			t.Errorf("%s(%s) = %s, want refusal", name, c.raw, got)
		case c.want != "" && !ok:
			t.Errorf("%s(%s) refused, want %s", name, c.raw, c.want)
		case got != c.want:
			t.Errorf("%s(%s) = %s, want %s", name, c.raw, got, c.want)
		}
	}
}

func TestTransformAppendString(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", `""`},
		{"plain text", `"plain text"`},
		{`say "hi" \ bye`, `"say \"hi\" \\ bye"`},
		{"tab\tnl\nnul\x00us\x1f", `"tab\u0009nl\u000anul\u0000us\u001f"`},
		{"Zoë 日本", `"Zoë 日本"`},
		{"line\u2028para\u2029", `"line\u2028para\u2029"`},
		{"bad\xffutf8\xc3", `"bad\ufffdutf8\ufffd"`},
		{"\x7f", "\"\x7f\""},
	} {
		got := string(appendString(nil, c.in))
		if got != c.want {
			t.Errorf("appendString(%q) = %s, want %s", c.in, got, c.want)
		}
		if !json.Valid([]byte(got)) {
			t.Errorf("appendString(%q) = %s, not valid JSON", c.in, got)
		}
	}
}

func TestTransformAppendStringRoundTrip(t *testing.T) {
	for _, s := range []string{"", "a", `"\`, "\x00\x01\x1f ~\x7f", "é€😀", "\u2028\u2029x"} {
		var back string
		if err := json.Unmarshal(appendString(nil, s), &back); err != nil || back != s {
			t.Errorf("round trip of %q = %q, %v", s, back, err)
		}
	}
}

func TestMask(t *testing.T) {
	for _, c := range []struct {
		style string
		cases []transformCase
	}{
		{"last4", []transformCase{
			{`"4111111111111111"`, `"************1111"`},
			{`4111111111111111`, `"************1111"`},
			{`"12345678"`, `"********"`},   // exactly 2N: nothing revealed
			{`"123456789"`, `"*****6789"`}, // 2N+1
			{`"1234"`, `"****"`},
			{`""`, `""`},
			{`"Zoë Smith"`, `"*****mith"`},
			{`"ab\"cdefg\\h"`, `"******fg\\h"`},
			{`-1234567.89`, `"*******7.89"`},
			{`true`, ``},
			{`false`, ``},
			{`null`, ``},
		}},
		{"first1", []transformCase{
			{`"Zoë"`, `"Z**"`},
			{`"Zo"`, `"**"`}, // exactly 2N
			{`"Z"`, `"*"`},
			{`"ëoZ"`, `"ë**"`},
			{`""`, `""`},
			{`12345`, `"1****"`},
			{`null`, ``},
		}},
		{"first3", []transformCase{
			{`"ab\"cdefghij"`, `"ab\"********"`},
			{`"abcdef"`, `"******"`},
			{`"abcdefg"`, `"abc****"`},
		}},
		{"last1", []transformCase{
			{`"Zoë"`, `"**ë"`},
			{`"日本語"`, `"**語"`},
		}},
		{"last2", []transformCase{
			{`"Zoë"`, `"***"`}, // 3 runes, 2N = 4
			{`"Zoë!"`, `"****"`},
			{`"Zoë!?"`, `"***!?"`},
		}},
		{"last64", []transformCase{
			{`"` + strings.Repeat("x", 128) + `"`, `"` + strings.Repeat("*", 128) + `"`},
			{`"` + strings.Repeat("x", 129) + `"`, `"` + strings.Repeat("*", 65) + strings.Repeat("x", 64) + `"`},
		}},
		{"all", []transformCase{
			{`"secret"`, `"******"`},
			{`"Zoë"`, `"***"`},
			{`3.14`, `"****"`},
			{`-1`, `"**"`},
			{`""`, `""`},
			{`true`, ``},
			{`null`, ``},
		}},
		{"email", []transformCase{
			{`"jane.doe@example.com"`, `"j*******@example.com"`},
			{`"j@example.com"`, `"*@example.com"`},
			{`"jo@example.com"`, `"j*@example.com"`},
			{`"Zoë@example.co.uk"`, `"Z**@example.co.uk"`},
			{`"ëlise@exämple.de"`, `"ë****@exämple.de"`},
			{`"jane+tag@example.com"`, `"j*******@example.com"`},
			{`""`, ``},
			{`"jane.doe"`, ``},
			{`"@example.com"`, ``},
			{`"jane@"`, ``},
			{`"jane@localhost"`, ``},
			{`"jane@exa mple.com"`, ``},
			{`"jane@example.com "`, ``},
			{`"jane@example.com\n"`, ``},
			{`"a@b@example.com"`, ``},
			{`42`, ``},
			{`true`, ``},
			{`null`, ``},
		}},
	} {
		tf, err := newMask(c.style)
		if err != nil {
			t.Fatalf("newMask(%q): %v", c.style, err)
		}
		runCases(t, "mask "+c.style, tf, c.cases)
	}
}

func TestMaskStyleErrors(t *testing.T) {
	for _, style := range []string{
		"", "last", "first", "last0", "first0", "last65", "last04", "last-1", "last+4",
		"lastx", "last4x", " last4", "LAST4", "Email", "emails", "none", "middle2",
	} {
		_, err := newMask(style)
		want := fmt.Sprintf("unknown mask style %q (want lastN, firstN, email or all, e.g. last4)", style)
		if err == nil || err.Error() != want {
			t.Errorf("newMask(%q) error = %v, want %s", style, err, want)
		}
	}
}

func TestGeneralize(t *testing.T) {
	for _, c := range []struct {
		hows  []string
		cases []transformCase
	}{
		{[]string{"ip/24"}, []transformCase{
			{`"203.0.113.77"`, `"203.0.113.0"`},
			{`"::ffff:203.0.113.77"`, `"203.0.113.0"`},
			{`"::ffff:cb00:714d"`, `"203.0.113.0"`},
			{`"2001:db8::1"`, ``},
			{`"not-an-ip"`, ``},
			{`"1.2.3"`, ``},
			{`"1.2.3.256"`, ``},
			{`"203.0.113.77/24"`, ``},
			{`"203.0.113.77 "`, ``},
			{`""`, ``},
			{`2130706433`, ``},
			{`null`, ``},
		}},
		{[]string{"ip/0"}, []transformCase{{`"203.0.113.77"`, `"0.0.0.0"`}}},
		{[]string{"ip/16"}, []transformCase{{`"203.0.113.77"`, `"203.0.0.0"`}}},
		{[]string{"ip/32"}, []transformCase{{`"203.0.113.77"`, `"203.0.113.77"`}}},
		{[]string{"ip6/48"}, []transformCase{
			{`"2001:db8:abcd:12::1"`, `"2001:db8:abcd::"`},
			{`"2001:DB8:ABCD:12::1"`, `"2001:db8:abcd::"`},
			{`"fe80::1%eth0"`, `"fe80::"`},
			{`"203.0.113.77"`, ``},
			{`"::ffff:203.0.113.77"`, ``},
			{`"2001:db8:::1"`, ``},
			{`"not-an-ip"`, ``},
			{`42`, ``},
		}},
		{[]string{"ip6/0"}, []transformCase{{`"2001:db8::1"`, `"::"`}}},
		{[]string{"ip6/128"}, []transformCase{{`"fe80::1%eth0"`, `"fe80::1"`}}},
		{[]string{"ip/24", "ip6/48"}, []transformCase{
			{`"203.0.113.77"`, `"203.0.113.0"`},
			{`"2001:db8:abcd:12::1"`, `"2001:db8:abcd::"`},
			{`"::ffff:203.0.113.77"`, `"203.0.113.0"`},
			{`"localhost"`, ``},
		}},
		{[]string{"year"}, []transformCase{
			{`"2023-05-17"`, `"2023"`},
			{`"2023-05-17T10:20:30Z"`, `"2023"`},
			{`"2023-05-17t10:20:30+02:00"`, `"2023"`},
			{`"2023-05-17 10:20"`, `"2023"`},
			{`"2023-05"`, `"2023"`},
			{`"2024-02-29"`, `"2024"`},
			{`"0000-01-01"`, `"0000"`},
			{`"2023-02-29"`, ``},
			{`"2023-02-30"`, ``},
			{`"2023-13-01"`, ``},
			{`"2023-13"`, ``},
			{`"2023-00"`, ``},
			{`"2023-5-17"`, ``},
			{`"2023-05-1"`, ``},
			{`"2023-05-17X"`, ``},
			{`"2023-05-17T"`, `"2023"`}, // the time part is not checked
			{`"-123-05-01"`, ``},
			{`"+123-05-01"`, ``},
			{`"20230517"`, ``},
			{`"2023"`, ``},
			{`"2023-05-"`, ``},
			{`""`, ``},
			{`2023`, ``},
			{`null`, ``},
		}},
		{[]string{"month"}, []transformCase{
			{`"2023-05-17"`, `"2023-05"`},
			{`"2023-05-17T10:20:30Z"`, `"2023-05"`},
			{`"2023-05"`, `"2023-05"`},
			{`"2023-02-30"`, ``},
			{`"2023-13"`, ``},
			{`"May 2023"`, ``},
			{`202305`, ``},
		}},
		{[]string{"bucket/10"}, []transformCase{
			{`37`, `30`},
			{`30`, `30`},
			{`39.999`, `30`},
			{`-3`, `-10`},
			{`-10`, `-10`},
			{`-10.5`, `-20`},
			{`0`, `0`},
			{`-0`, `0`},
			{`-0.0`, `0`},
			{`3.7e1`, `30`},
			{`3.7E+1`, `30`},
			{`370e-1`, `30`},
			{`1e18`, `1000000000000000000`},
			{`-1e18`, `-1000000000000000000`},
			{`1e-100`, `0`},
			{`1.0000000000000000001e18`, ``},
			{`1e400`, ``},
			{`1e-400`, ``},
			{`1e-101`, ``},
			{`123456789012345678901234567890`, ``},
			{`0.` + strings.Repeat("1", 70), ``},
			{`"37"`, ``},
			{`true`, ``},
			{`null`, ``},
		}},
		{[]string{"bucket/0.5"}, []transformCase{
			{`0.7`, `0.5`},
			{`-0.7`, `-1.0`},
			{`2`, `2.0`},
			{`0.2`, `0.0`},
		}},
		{[]string{"bucket/0.25"}, []transformCase{{`0.7`, `0.50`}, {`-0.1`, `-0.25`}}},
		{[]string{"bucket/2.50"}, []transformCase{{`6`, `5.0`}}},
		{[]string{"bucket/10.0"}, []transformCase{{`37`, `30`}}},
		{[]string{"bucket/1000"}, []transformCase{{`52345.67`, `52000`}}},
		{[]string{"round/2"}, []transformCase{
			{`12.345`, `12.35`},
			{`-12.345`, `-12.35`},
			{`12.344`, `12.34`},
			{`12`, `12.00`},
			{`1e2`, `100.00`},
			{`-0.001`, `0.00`},
			{`-0.005`, `-0.01`},
			{`1e400`, ``},
			{`123456789012345678901234567890`, ``},
			{`"12.345"`, ``},
			{`false`, ``},
		}},
		{[]string{"round/0"}, []transformCase{
			{`2.5`, `3`},
			{`-2.5`, `-3`},
			{`2.49`, `2`},
			{`-0.4`, `0`},
			{`7`, `7`},
		}},
		{[]string{"round/12"}, []transformCase{{`0.1`, `0.100000000000`}, {`1e-13`, `0.000000000000`}}},
		{[]string{"prefix/3"}, []transformCase{
			{`"abcdef"`, `"abc"`},
			{`"Zoë!"`, `"Zoë"`},
			{`"a\"bcd"`, `"a\"b"`},
			{`"abc"`, ``},
			{`"Zoë"`, ``},
			{`""`, ``},
			{`12345`, `"123"`},
			{`123`, ``},
			{`true`, ``},
			{`null`, ``},
		}},
		{[]string{"prefix/1"}, []transformCase{{`"ab"`, `"a"`}, {`"a"`, ``}}},
		{[]string{"year", "prefix/4"}, []transformCase{
			{`"2023-05-17"`, `"2023"`},
			{`"2023-02-30"`, `"2023"`}, // falls through to the next how
			{`"abc"`, ``},
		}},
		{[]string{"round/0", "ip/8"}, []transformCase{
			{`2.5`, `3`},
			{`"10.1.2.3"`, `"10.0.0.0"`},
			{`1e400`, ``},
		}},
	} {
		tf, err := newGeneralize(c.hows)
		if err != nil {
			t.Fatalf("newGeneralize(%q): %v", c.hows, err)
		}
		runCases(t, "generalize "+strings.Join(c.hows, " "), tf, c.cases)
	}
}

// TestGeneralizeStrictNumbers feeds raw text a lenient gjson parse may carry
// but that is not a JSON number; big.Rat would read several of these.
func TestGeneralizeStrictNumbers(t *testing.T) {
	tf, err := newGeneralize([]string{"round/0"})
	if err != nil {
		t.Fatal(err)
	}
	for _, raw := range []string{
		"0x10", "1/2", "01", "-", "1.", ".5", "+1", "1e", "1e+", "1e--1", "1.2.3", "Inf", "NaN", "1_000", "0b1", "1e5x",
	} {
		if got, ok := apply(t, tf, gjson.Result{Type: gjson.Number, Raw: raw}); ok {
			t.Errorf("round/0(%s) = %s, want refusal", raw, got)
		}
	}
	for raw, want := range map[string]string{"1e0005": "100000", "1E-0": "1", "0.5e1": "5"} {
		if got, ok := apply(t, tf, gjson.Result{Type: gjson.Number, Raw: raw}); !ok || got != want {
			t.Errorf("round/0(%s) = %s, %v, want %s", raw, got, ok, want)
		}
	}
}

func TestGeneralizeErrors(t *testing.T) {
	for _, how := range []string{
		"", "ip", "ip/", "ip/33", "ip/-1", "ip/024", "ip/x", "ip6/129", "ip6/", "ip4/24",
		"Year", "years", "month/1", "bucket", "bucket/", "bucket/0", "bucket/0.0", "bucket/-1",
		"bucket/abc", "bucket/1e3", "bucket/.5", "bucket/5.", "bucket/1/2", "bucket/0x10",
		"round", "round/13", "round/-1", "round/", "prefix/0", "prefix/65", "prefix/",
		"truncate/3", "ip/24 ",
	} {
		_, err := newGeneralize([]string{how})
		want := fmt.Sprintf("unknown generalization %q (want ip/N, ip6/N, year, month, bucket/W, round/D or prefix/N)", how)
		if err == nil || err.Error() != want {
			t.Errorf("newGeneralize(%q) error = %v, want %s", how, err, want)
		}
	}
	// A bad how after good ones is still named.
	_, err := newGeneralize([]string{"ip/24", "ip6/48", "bogus"})
	if err == nil || !strings.Contains(err.Error(), `"bogus"`) {
		t.Errorf("newGeneralize with a bad third how: error = %v", err)
	}
	for _, hows := range [][]string{nil, {}} {
		_, err := newGeneralize(hows)
		want := "generalize needs at least one of ip/N, ip6/N, year, month, bucket/W, round/D or prefix/N"
		if err == nil || err.Error() != want {
			t.Errorf("newGeneralize(%q) error = %v, want %s", hows, err, want)
		}
	}
	for _, how := range []string{"ip/0", "ip/32", "ip6/128", "bucket/0.001", "bucket/007", "round/0", "round/12", "prefix/1", "prefix/64"} {
		if _, err := newGeneralize([]string{how}); err != nil {
			t.Errorf("newGeneralize(%q): %v", how, err)
		}
	}
}

// testMaster is a fixed master key: bytes 0, 1, ..., 31.
var testMaster = func() []byte {
	k := make([]byte, 32)
	for i := range k {
		k[i] = byte(i)
	}
	return k
}()

func pseudonym(t *testing.T, master []byte, partner, raw string) string {
	t.Helper()
	p, err := newPseudonymizer(master, partner)
	if err != nil {
		t.Fatal(err)
	}
	got, ok := apply(t, p, gjson.Parse(raw))
	if !ok {
		t.Fatalf("pseudonymize(%s) refused", raw)
	}
	return got
}

func TestPseudonymize(t *testing.T) {
	p, err := newPseudonymizer(testMaster, "acme")
	if err != nil {
		t.Fatal(err)
	}
	for _, raw := range []string{`true`, `false`, `null`} {
		if got, ok := apply(t, p, gjson.Parse(raw)); ok {
			t.Errorf("pseudonymize(%s) = %s, want refusal", raw, got)
		}
	}

	a := pseudonym(t, testMaster, "acme", `"jane@example.com"`)
	if len(a) != 2+25 || !strings.HasPrefix(a, `"ps_`) || !strings.HasSuffix(a, `"`) {
		t.Errorf("pseudonym %s: want a 25-character ps_ string", a)
	}
	if _, err := base64.RawURLEncoding.DecodeString(a[4 : len(a)-1]); err != nil {
		t.Errorf("pseudonym %s: body is not unpadded base64url: %v", a, err)
	}
	if again, _ := apply(t, p, gjson.Parse(`"jane@example.com"`)); again != a {
		t.Errorf("same value, same pool: %s then %s", a, again)
	}
	if again := pseudonym(t, testMaster, "acme", `"jane@example.com"`); again != a {
		t.Errorf("same value, new pseudonymizer: %s then %s", a, again)
	}
	if b := pseudonym(t, testMaster, "acme", `"jane@example.org"`); b == a {
		t.Errorf("different values share pseudonym %s", a)
	}
	if b := pseudonym(t, testMaster, "globex", `"jane@example.com"`); b == a {
		t.Errorf("partners acme and globex share pseudonym %s", a)
	}
	other := bytes.Clone(testMaster)
	other[0] ^= 1
	if b := pseudonym(t, other, "acme", `"jane@example.com"`); b == a {
		t.Errorf("different keys share pseudonym %s", a)
	}
	if s, n := pseudonym(t, testMaster, "acme", `"42"`), pseudonym(t, testMaster, "acme", `42`); s != n {
		t.Errorf(`"42" -> %s but 42 -> %s; want equal for joins`, s, n)
	}
	// The decoded string is hashed, not its JSON spelling.
	if s, e := pseudonym(t, testMaster, "acme", `"é"`), pseudonym(t, testMaster, "acme", `"\u00e9"`); s != e {
		t.Errorf(`"é" -> %s but "\u00e9" -> %s; want equal`, s, e)
	}
	if e := pseudonym(t, testMaster, "acme", `""`); e == a || len(e) != 27 {
		t.Errorf(`"" -> %s`, e)
	}
}

// TestPseudonymizeKnownAnswer recomputes a pseudonym from the specification
// with the standard library alone, and pins one value so a change of
// derivation, which would break every partner's joins, cannot go unnoticed.
func TestPseudonymizeKnownAnswer(t *testing.T) {
	for _, c := range []struct{ partner, raw, msg string }{
		{"acme", `"jane@example.com"`, "jane@example.com"},
		{"globex", `"a\"b"`, `a"b`},
		{"acme", `-12.50`, "-12.50"},
		{"", `"x"`, "x"},
	} {
		partnerKey, err := hkdf.Key(sha256.New, testMaster, nil, "caddy-minimize/v1/pseudonymize/"+c.partner, 32)
		if err != nil {
			t.Fatal(err)
		}
		mac := hmac.New(sha256.New, partnerKey)
		mac.Write([]byte(c.msg))
		want := `"ps_` + base64.RawURLEncoding.EncodeToString(mac.Sum(nil)[:16]) + `"`
		if got := pseudonym(t, testMaster, c.partner, c.raw); got != want {
			t.Errorf("pseudonymize %s for %q = %s, want %s", c.raw, c.partner, got, want)
		}
		if got := PartnerKey(testMaster, "pseudonymize", c.partner); !bytes.Equal(got, partnerKey) {
			t.Errorf("PartnerKey(%q) = %x, want %x", c.partner, got, partnerKey)
		}
	}
	const golden = `"ps_J0fQGg_lnfHg0PSGhND4Hw"`
	if got := pseudonym(t, testMaster, "acme", `"jane@example.com"`); got != golden {
		t.Errorf("pseudonym of jane@example.com for acme = %s, want %s", got, golden)
	}
}

func TestPseudonymizePartnerKeyPurposes(t *testing.T) {
	ps := PartnerKey(testMaster, "pseudonymize", "acme")
	tk := PartnerKey(testMaster, "tokenize", "acme")
	if len(ps) != 32 || len(tk) != 32 || bytes.Equal(ps, tk) {
		t.Errorf("pseudonymize key %x, tokenize key %x: want two different 32-byte keys", ps, tk)
	}
}

func TestPseudonymizeConcurrent(t *testing.T) {
	p, err := newPseudonymizer(testMaster, "acme")
	if err != nil {
		t.Fatal(err)
	}
	values := []string{`"a"`, `"bb"`, `42`, `"jane@example.com"`, `"` + strings.Repeat("z", 5000) + `"`}
	want := make([]string, len(values))
	for i, raw := range values {
		want[i] = pseudonym(t, testMaster, "acme", raw)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			var dst []byte
			for i := range 200 {
				k := (g + i) % len(values)
				var ok bool
				v := gjson.Parse(values[k])
				dst, ok = p.appendTo(dst[:0], &v)
				if !ok || string(dst) != want[k] {
					t.Errorf("concurrent pseudonymize(%.20s) = %s, want %s", values[k], dst, want[k])
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestPseudonymizeShortKey(t *testing.T) {
	for _, n := range []int{0, 16, 31} {
		_, err := newPseudonymizer(testMaster[:n], "acme")
		want := fmt.Sprintf("key is %d bytes, need at least 32", n)
		if err == nil || err.Error() != want {
			t.Errorf("newPseudonymizer(%d-byte key) error = %v, want %s", n, err, want)
		}
	}
}

func TestDecodeKey(t *testing.T) {
	// 0xfb 0xef 0xff encodes as "++//" in the standard alphabet and "--__"
	// in the URL one, so each test input is in exactly one alphabet.
	key := bytes.Repeat([]byte{0xfb, 0xef, 0xff}, 11)[:32]
	long := bytes.Repeat([]byte{0xfb, 0xef, 0xff}, 22)
	std := base64.StdEncoding.EncodeToString(key)
	for _, c := range []struct {
		name, in string
		want     []byte
	}{
		{"std padded", std, key},
		{"std unpadded", base64.RawStdEncoding.EncodeToString(key), key},
		{"url padded", base64.URLEncoding.EncodeToString(key), key},
		{"url unpadded", base64.RawURLEncoding.EncodeToString(key), key},
		{"whitespace", " \t\n" + std + "\r\n", key},
		{"66 bytes", base64.StdEncoding.EncodeToString(long), long},
		{"plain letters", base64.StdEncoding.EncodeToString(testMaster), testMaster},
	} {
		got, err := DecodeKey(c.in)
		if err != nil || !bytes.Equal(got, c.want) {
			t.Errorf("DecodeKey(%s) = %x, %v, want %x", c.name, got, err, c.want)
		}
	}
}

func TestDecodeKeyErrors(t *testing.T) {
	const notBase64 = "key is not base64 (generate one with: head -c 32 /dev/urandom | base64)"
	key := bytes.Repeat([]byte{0xfb, 0xef, 0xff}, 11)[:32]
	std := base64.StdEncoding.EncodeToString(key)
	for _, c := range []struct{ name, in, want string }{
		{"empty", "", "key is empty"},
		{"blank", " \n\t ", "key is empty"},
		{"16 bytes", base64.StdEncoding.EncodeToString(key[:16]), "key is 16 bytes, need at least 32"},
		{"31 bytes unpadded", base64.RawURLEncoding.EncodeToString(key[:31]), "key is 31 bytes, need at least 32"},
		{"not base64", "correct horse battery staple correct horse battery", notBase64},
		{"symbols", "!!!!" + std, notBase64},
		{"mixed alphabets", "++--" + std[4:], notBase64},
		{"hex", "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f" + "==", notBase64},
		{"extra padding", std + "=", notBase64},
		{"missing padding char", std[:len(std)-2] + "=", notBase64},
		{"truncated", std[:len(std)-3], notBase64},
		{"inner space", std[:20] + " " + std[20:], notBase64},
	} {
		got, err := DecodeKey(c.in)
		if err == nil || err.Error() != c.want {
			t.Errorf("DecodeKey(%s) = %x, %v, want error %s", c.name, got, err, c.want)
			continue
		}
		if text := strings.TrimSpace(c.in); text != "" && strings.Contains(err.Error(), text) {
			t.Errorf("DecodeKey(%s) error %q contains the key text", c.name, err)
		}
		for _, part := range strings.Fields(c.in) {
			if len(part) >= 8 && strings.Contains(err.Error(), part[:8]) {
				t.Errorf("DecodeKey(%s) error %q contains part of the key text", c.name, err)
			}
		}
	}
}

func BenchmarkPseudonymize(b *testing.B) {
	p, err := newPseudonymizer(testMaster, "acme")
	if err != nil {
		b.Fatal(err)
	}
	v := gjson.Parse(`"jane.doe@example.com"`)
	dst := make([]byte, 0, 64)
	b.ReportAllocs()
	for b.Loop() {
		dst, _ = p.appendTo(dst[:0], &v)
	}
}
