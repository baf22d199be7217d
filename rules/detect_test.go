package rules

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// allCategories enables every detector.
const allCategories = CategorySet(1<<numBuiltinCategories - 1)

var testTaxonomy = NewTaxonomy()

var testScanner = testTaxonomy.Scanner(allCategories)

// findings returns what the full scanner finds in text, as "detector:span".
func findings(text, field string) []string {
	var out []string
	for _, f := range testScanner.AppendFindings(nil, text, testTaxonomy.Field(field)) {
		out = append(out, f.Detector.String()+":"+text[f.Start:f.End])
	}
	return out
}

// checkValues asserts that each valid value is, as a whole, one finding of
// detector d, and that no invalid value holds a finding of d at all.
func checkValues(t *testing.T, d Detector, field string, valid, invalid []string) {
	t.Helper()
	fc := testTaxonomy.Field(field)
	for _, v := range valid {
		f, ok := testScanner.Match(v, fc)
		if !ok || f.Detector != d {
			t.Errorf("%s in field %q: got %v, want one %s", quote(v), field, findings(v, field), d)
			continue
		}
		// The prefilters of a scanner with this detector alone keep it.
		checkMinSpan(t, f, v)
		var cats [numDetectors]CategorySet
		cats[d] = 1
		if _, ok := newScanner(1<<d, cats, testTaxonomy.matcher).Match(v, fc); !ok {
			t.Errorf("%s in field %q: found, but not by Match with %s alone", quote(v), field, d)
		}
	}
	for _, v := range invalid {
		for _, f := range testScanner.AppendFindings(nil, v, fc) {
			if f.Detector == d {
				t.Errorf("%s in field %q: found %s %q, want none", quote(v), field, d, v[f.Start:f.End])
			}
		}
	}
}

func quote(s string) string { b, _ := json.Marshal(s); return string(b) }

// textCase is a free text and everything the scanner should find in it.
type textCase struct {
	text  string
	field string
	want  []string // "detector:span", in order
}

func checkTexts(t *testing.T, cases []textCase) {
	t.Helper()
	for _, c := range cases {
		if got := findings(c.text, c.field); !slices.Equal(got, c.want) {
			t.Errorf("%s: got %q, want %q", quote(c.text), got, c.want)
		}
	}
}

func TestScannerOverlapsAndOrder(t *testing.T) {
	checkTexts(t, []textCase{
		// The bearer credential holds a JWT; the longer span wins.
		{"auth: Bearer " + testJWT + " ok", "", []string{"bearer:Bearer " + testJWT}},
		// An IPv4-mapped IPv6 address holds an IPv4 address.
		{"from ::ffff:192.0.2.33 today", "", []string{"ipv6:::ffff:192.0.2.33"}},
		// Findings come out left to right, whatever pass found them.
		{"a@b.example 4111 1111 1111 1111 10.1.2.3 c@d.example", "",
			[]string{"email:a@b.example", "card:4111 1111 1111 1111", "ipv4:10.1.2.3", "email:c@d.example"}},
		{"", "", nil},
		{"no personal data at all, just words and 42 numbers", "", nil},
	})
}

func TestScannerCategories(t *testing.T) {
	text := "mail jane@example.com, card 4111 1111 1111 1111, from 203.0.113.9"
	contact, _ := testTaxonomy.Category("contact")
	s := testTaxonomy.Scanner(CategorySet(0).With(contact))
	got := s.AppendFindings(nil, text, Field{})
	if len(got) != 1 || got[0].Detector != detEmail || !got[0].Categories.Has(Contact) {
		t.Fatalf("contact scanner found %+v, want only the email", got)
	}
	if s := testTaxonomy.Scanner(0); len(s.AppendFindings(nil, text, Field{})) != 0 {
		t.Fatal("a scanner of no categories found something")
	}
}

func TestScannerMatch(t *testing.T) {
	for _, c := range []struct {
		in string
		ok bool
	}{
		{"jane@example.com", true},
		{"  jane@example.com\n", true},
		{"mail jane@example.com", false},
		{"jane@example.com, joe@example.com", false},
		{"", false},
	} {
		if _, ok := testScanner.Match(c.in, Field{}); ok != c.ok {
			t.Errorf("Match(%q) = %v, want %v", c.in, ok, c.ok)
		}
	}
	// The walker reads a number's text for the value scanner only if one
	// of its findings can start with a digit: not for credentials alone.
	for _, c := range []struct {
		cats    CategorySet
		numbers bool
	}{
		{CategorySet(0).With(Credentials), false},
		{CategorySet(0).With(Payment), true},
		{CategorySet(0).With(Contact), true}, // phone numbers
		{allCategories, true},
	} {
		if got := testTaxonomy.Scanner(c.cats).numbers; got != c.numbers {
			t.Errorf("Scanner(%v).numbers = %v, want %v", c.cats, got, c.numbers)
		}
	}
}

func TestAppendRewritten(t *testing.T) {
	redact := func(dst []byte, f Finding, span string) []byte {
		return fmt.Appendf(dst, "[%s]", testTaxonomy.Names(f.Categories)[0])
	}
	for _, c := range []struct{ in, want string }{
		{"Call +44 20 7946 0958 or mail jane@example.com.", "Call [contact] or mail [contact]."},
		{`Card "4111-1111-1111-1111"\ end`, `Card \"[payment]\"\\ end`},
		{"line1\nSSN 078-05-1121\u2028", `line1\u000aSSN [identity]\u2028`},
		{"nothing here", "nothing here"},
		{"bad \xff utf8 a@b.example", `bad \ufffd utf8 [contact]`},
	} {
		got := string(testScanner.AppendRewritten(nil, c.in, Field{}, redact))
		if got != c.want {
			t.Errorf("AppendRewritten(%q) = %s, want %s", c.in, got, c.want)
		}
		var back string
		if err := json.Unmarshal([]byte(`"`+got+`"`), &back); err != nil {
			t.Errorf("AppendRewritten(%q) is not a JSON string body: %v", c.in, err)
		}
	}
	// The replacement is escaped too, whatever it holds.
	quoteIt := func(dst []byte, _ Finding, span string) []byte { return append(dst, "\"<"+span+">\""...) }
	if got := string(testScanner.AppendRewritten(nil, "to a@b.example", Field{}, quoteIt)); got != `to \"<a@b.example>\"` {
		t.Errorf("replacement not escaped: %s", got)
	}
}

func TestScannerDoesNotAllocate(t *testing.T) {
	text := strings.Repeat(supportNote, 2)
	buf := make([]Finding, 0, 64)
	if n := testing.AllocsPerRun(50, func() { buf = testScanner.AppendFindings(buf[:0], text, Field{}) }); n != 0 {
		t.Errorf("AppendFindings: %v allocations per run, want 0", n)
	}
	dst := make([]byte, 0, 2*len(text))
	redact := func(dst []byte, _ Finding, _ string) []byte { return append(dst, "[REDACTED]"...) }
	if n := testing.AllocsPerRun(50, func() {
		dst = testScanner.AppendRewritten(dst[:0], supportNote[:600], Field{}, redact)
	}); n != 0 {
		t.Errorf("AppendRewritten: %v allocations per run, want 0", n)
	}
}

func TestDetectorsListed(t *testing.T) {
	names := Detectors()
	if len(names) != int(numDetectors) {
		t.Fatalf("Detectors() has %d names, want %d", len(names), numDetectors)
	}
	for i, n := range names {
		if d, ok := lookupDetector(n); !ok || d != Detector(i) || n == "" {
			t.Errorf("detector %d: name %q does not look up", i, n)
		}
	}
	if Detector(200).String() != "detector(200)" {
		t.Error("an unknown detector has no placeholder name")
	}
}

// testJWT is a JWT signed with HS256 over {"sub":"1234567890","name":"John Doe","iat":1516239022}.
const testJWT = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"

// supportNote is free text as support desks write it: personal data among
// order numbers, dates, prices, versions and ids.
const supportNote = `Ticket #48213 (priority 2) opened 2026-03-14 09:12 by agent Maria.
Customer Jane Doe (jane.doe@example.com, +44 20 7946 0958) called about order ORD-2026-004211
placed on 2026-03-02 for EUR 129.90 (2 items, SKU BK-0042 and MUG-7). She paid with card
4111 1111 1111 1111 exp 04/28; the refund should go to IBAN DE89 3704 0044 0532 0130 00 instead.
Tracking number 1Z999AA10123456784 shows the parcel stuck in Leeds since 2026-03-05.
App version 4.12.3 (build 20260301.2) on iOS 17.4; request id 7f9c2b1e-3d4a-4c8e-9b1f-2a6d5e8c0f13;
she logged in from 203.0.113.77 and later from 2001:db8:85a3::8a2e:370:7334. Her DOB is 1987-06-05
for the identity check; SSN 078-05-1121 was on file by mistake and has been removed. Invoice
INV-2026-00731 total 1,234.56; call back on (415) 555-2671 between 14:00 and 16:30 CET.
Dev note: the mobile client sent Authorization: Bearer ` + testJWT + ` in the log.
`
