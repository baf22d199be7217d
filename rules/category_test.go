package rules

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
)

var catKey = bytes.Repeat([]byte{7}, 32)

func floor(path string) Rule { return Rule{Path: path, Action: Drop, Floor: true} }

// TestCategoryRules pins what category rules do to whole values, spans of
// text and their precedence against path rules, byte for byte.
func TestCategoryRules(t *testing.T) {
	ps := func(s string) string {
		// The pseudonym the test policy gives s.
		p, err := newPseudonymizer(catKey, "cat")
		if err != nil {
			t.Fatal(err)
		}
		v := gjsonOf(s)
		out, _ := p.appendTo(nil, &v)
		return strings.Trim(string(out), `"`)
	}
	tests := []struct {
		name  string
		keep  bool
		rules []Rule
		in    string
		want  string
	}{
		{"a category matches field names in any naming style", true, []Rule{rule(Drop, "@contact")},
			`{"email":"a@b.co","customerEmail":"x","e_mail":"y","Phone-Number":"z","sku":"A"}`, `{"sku":"A"}`},
		{"and values a detector recognises whole", true, []Rule{rule(Drop, "@contact")},
			`{"x":"ann@example.com","tags":["ann@example.com","vip"],"n":1}`, `{"tags":["vip"],"n":1}`},
		{"and numbers", true, []Rule{rule(Redact, "@payment")},
			`{"ref":4111111111111111,"qty":3}`, `{"ref":"[REDACTED]","qty":3}`},
		{"a bare category holds at any depth", true, []Rule{rule(Drop, "@credentials")},
			`{"user":{"name":"ann","password":"x","apiKey":"k","prefs":[{"pin":"1234"}]},"trace":"` + testJWT + `"}`,
			`{"user":{"name":"ann","prefs":[{}]}}`},
		{"a prefixed category holds only there", true, []Rule{rule(Drop, "customer.@contact")},
			`{"customer":{"email":"a","addr":{"email":"b"}},"email":"c"}`, `{"customer":{"addr":{"email":"b"}},"email":"c"}`},
		{"spans of kept text take the category's action", true, []Rule{rule(Pseudonymize, "@contact")},
			`{"note":"write to ann@example.com today"}`, `{"note":"write to ` + ps("ann@example.com") + ` today"}`},
		{"a whole value is transformed whole", false, []Rule{rule(Keep, "order"), rule(Mask, "@contact", "email")},
			`{"order":{"id":7,"email":"ann@example.com","contact":"bob@example.org"}}`,
			`{"order":{"id":7,"email":"a**@example.com","contact":"b**@example.org"}}`},
		{"a named path beats a category", false, []Rule{rule(Keep, "customer.email"), rule(Keep, "customer.id"), rule(Drop, "@contact")},
			`{"customer":{"email":"ann@example.com","id":"bob@example.org","note":"x"}}`, `{"customer":{"email":"ann@example.com","id":"bob@example.org"}}`},
		{"a one-segment keep ties with a category: the stricter wins, in spans too", true, []Rule{rule(Keep, "note"), rule(Redact, "@contact"), rule(Keep, "memo")},
			`{"note":"mail ann@example.com","memo":"mail ann@example.com","other":"mail ann@example.com"}`,
			`{"note":"mail [REDACTED]","memo":"mail [REDACTED]","other":"mail [REDACTED]"}`},
		{"a category counts as a literal: ties go to the stricter action", false, []Rule{rule(Keep, "customer.*"), rule(Redact, "@contact")},
			`{"customer":{"email":"ann@example.com","id":1}}`, `{"customer":{"email":"[REDACTED]","id":1}}`},
		{"scan replaces spans and keeps the words", false, []Rule{rule(Scan, "notes"), rule(Mask, "@payment", "last4")},
			`{"notes":"card 4111 1111 1111 1111, mail ann@example.com, order 1234-5678","x":"ann@example.com"}`,
			`{"notes":"card ***************1111, mail [REDACTED], order 1234-5678"}`},
		{"scan keeps spans of kept categories", false, []Rule{rule(Scan, "notes"), rule(Keep, "@contact")},
			`{"notes":"mail ann@example.com, token Bearer ` + testJWT + `"}`,
			`{"notes":"mail ann@example.com, token [REDACTED]"}`},
		{"scan reads escaped text", false, []Rule{rule(Scan, "notes")},
			`{"notes":"\u0061nn@example.com said \"hi\""}`, `{"notes":"[REDACTED] said \"hi\""}`},
		{"scan leaves text without findings as it came", false, []Rule{rule(Scan, "notes")},
			`{"notes":"caf\u00e9 order A-1042"}`, `{"notes":"caf\u00e9 order A-1042"}`},
		{"scan replaces a number that is a finding", false, []Rule{rule(Scan, "n.#")},
			`{"n":[4111111111111111,42]}`, `{"n":["[REDACTED]",42]}`},
		{"a floor holds under default keep and a keep", true, []Rule{rule(Keep, "auth.token"), floor("@credentials")},
			`{"auth":{"token":"t0k","user":"ann"},"note":"use Bearer ` + testJWT + ` please","n":1}`,
			`{"note":"use [REDACTED] please","n":1}`},
		{"a floor outranks a more specific keep of a value detected whole", false, []Rule{rule(Keep, "trace.id"), floor("@credentials")},
			`{"trace":{"id":"` + testJWT + `"}}`, `{}`},
		{"drops below a drop change nothing", false, []Rule{rule(Keep, "a.b"), floor("@credentials")},
			`{"a":{"b":"ok","password":"x"},"c":{"password":"y"}}`, `{"a":{"b":"ok"}}`},
		{"a prefix or mask shows text with its spans replaced first", true, []Rule{rule(Generalize, "note", "prefix/14"), rule(Mask, "memo", "first6"), floor("@credentials")},
			`{"note":"use Bearer ` + testJWT + ` now please","memo":"token Bearer ` + testJWT + `"}`,
			`{"note":"use [REDACTED]","memo":"token **********"}`},
		{"a name holding a credential is one, whatever else it holds", true, []Rule{floor("@credentials")},
			`{"devicePassword":"a","childPassword":"b","browserSecret":"c","deviceModel":"x"}`, `{"deviceModel":"x"}`},
		{"a document that is a single value is checked too", true, []Rule{floor("@credentials")},
			`"` + testJWT + `"`, `null`},
		{"numbers are read without their sign or a zero fraction", true, []Rule{rule(Redact, "@payment")},
			`{"a":-4111111111111111,"b":4111111111111111.00,"c":[4111111111111111e0],"d":-42.5}`,
			`{"a":"[REDACTED]","b":"[REDACTED]","c":[4111111111111111e0],"d":-42.5}`},
		{"a key that starts with @ is escaped", false, []Rule{rule(Keep, `\@type`)},
			`{"@type":"Order","type":"x"}`, `{"@type":"Order"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := mustCompile(t, Policy{Partner: "cat", Key: catKey, KeepUnnamed: tt.keep, Rules: tt.rules})
			got, err := e.Rewrite(nil, []byte(tt.in), nil)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
			want, err := oracle{e}.rewrite([]byte(tt.in))
			if err != nil || canonical(got) != canonical(want) {
				t.Errorf("oracle disagrees: %s (%v)", want, err)
			}
		})
	}
}

// TestCategoryPaths pins the syntax: where a category may stand, how paths
// with one normalize, and the errors.
func TestCategoryPaths(t *testing.T) {
	for _, tt := range []struct{ path, norm, err string }{
		{"@contact", "@contact", ""},
		{"**.@contact", "@contact", ""},
		{"customer.@Contact", "", `want lower-case letters`},
		{"customer.@contact", "customer.@contact", ""},
		{"customer.**.@contact", "customer.**.@contact", ""},
		{"@contact.email", "", "@contact must be the last segment"},
		{`\@type`, `\@type`, ""},
		{`a.\@type`, `a.\@type`, ""},
		{"@", "", "want 1 to 32 characters"},
	} {
		norm, err := NormalizePath(tt.path)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: error %v, want %q", tt.path, err, tt.err)
			}
			continue
		}
		if err != nil || norm != tt.norm {
			t.Errorf("%s: normalized %q (%v), want %q", tt.path, norm, err, tt.norm)
		}
	}
	_, err := Compile(Policy{Rules: []Rule{rule(Keep, "a"), rule(Drop, "@type")}})
	var re *RuleError
	if !errors.As(err, &re) || re.Index != 1 || !strings.Contains(err.Error(), `unknown category "type"`) || !strings.Contains(err.Error(), `write \@type`) {
		t.Errorf("unknown category: %v", err)
	}
	_, err = Compile(Policy{Rules: []Rule{rule(Drop, "@contact"), rule(Keep, "**.@contact")}})
	if err == nil || !strings.Contains(err.Error(), "already named") {
		t.Errorf("two spellings of one category rule: %v", err)
	}
	tx := NewTaxonomy()
	if err := tx.Extend("loyalty", []string{"member number"}, nil); err != nil {
		t.Fatal(err)
	}
	e := mustCompile(t, Policy{Taxonomy: tx, KeepUnnamed: true, Rules: []Rule{rule(Drop, "@loyalty")}})
	got, _ := e.Rewrite(nil, []byte(`{"memberNumber":"L-1","n":1}`), nil)
	if string(got) != `{"n":1}` {
		t.Errorf("extended taxonomy: %s", got)
	}
	// A category whose only detector is private_key: its shortest findings
	// (a PEM header, a truncated key) pass the scanner's length prefilter.
	if err := tx.Extend("keys", nil, []string{"private_key"}); err != nil {
		t.Fatal(err)
	}
	e = mustCompile(t, Policy{Taxonomy: tx, KeepUnnamed: true, Rules: []Rule{floor("@keys")}})
	got, _ = e.Rewrite(nil, []byte(`{"a":"-----BEGIN PRIVATE KEY-----","b":"-----BEGIN RSA PRIVATE KEY-----\nMIIB","c":"see -----BEGIN PRIVATE KEY-----","n":1}`), nil)
	if want := `{"c":"see [REDACTED]","n":1}`; string(got) != want {
		t.Errorf("private keys under a floor: %s, want %s", got, want)
	}
}

// TestCategoriesMatchOracle compares the rewriter with the oracle over
// random documents full of personal data and random category policies.
func TestCategoriesMatchOracle(t *testing.T) {
	n := 20000
	if testing.Short() {
		n = 2000
	}
	matchOracle(t, n, randomCategoryRules, randomDoc)
}

// TestExplainSpans: Explain lists what happened to the findings in kept
// and scanned text, as the rewriter did it.
func TestExplainSpans(t *testing.T) {
	e := mustCompile(t, Policy{KeepUnnamed: true, Key: catKey, Rules: []Rule{
		rule(Scan, "notes"), rule(Mask, "@payment", "last4"), rule(Keep, "memo"), floor("@credentials"),
	}})
	ds, err := e.Explain([]byte(`{"notes":"card 4111 1111 1111 1111, mail ann@example.com","memo":"card 4111 1111 1111 1111","x":"token Bearer ` + testJWT + `"}`))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range ds {
		line := d.Path + "=" + d.Rule.Action.String()
		for _, s := range d.Spans {
			line += " " + s.Detector + ":" + s.Rule.Action.String() + ":" + s.Rule.Path
		}
		got = append(got, line)
	}
	want := []string{
		"notes=scan card:mask:@payment email:redact:(scan)",
		"memo=keep card:mask:@payment", // keep memo (1 literal) ties with @payment: mask is stricter
		"x=keep bearer:drop:@credentials",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestFieldCache: the walker's cache of classified member names answers as
// the taxonomy does, whatever names share a set, whatever their length.
func TestFieldCache(t *testing.T) {
	e := mustCompile(t, Policy{Rules: []Rule{floor("@credentials")}})
	w := &walker{e: e}
	names := []string{"email", "Email", "EMAIL", "customerEmail", "password", "passwordHash", "id", "sku", "card_number",
		"a_very_long_field_name_that_is_not_cached_password", "x-forwarded-for", "note", "é-mail", ""}
	for i := range 500 {
		names = append(names, fmt.Sprintf("field%dEmail", i), fmt.Sprintf("k%d", i))
	}
	rng := newRand(7)
	for range 20000 {
		k := names[rng.IntN(len(names))]
		var scratch []byte
		if got, want := w.classify(k, keyHash(k, &scratch)), e.cats.tax.Field(k); got != want {
			t.Fatalf("%q: cache %v, taxonomy %v", k, got, want)
		}
	}
}

// TestDisclosed: a rewrite says which categories it sent in the clear and
// which transformed; what it redacted or dropped counts in neither.
func TestDisclosed(t *testing.T) {
	e := mustCompile(t, Policy{Partner: "x", Key: catKey, KeepUnnamed: true, Rules: []Rule{
		rule(Scan, "notes"), rule(Generalize, "@network", "ip/24"), rule(Pseudonymize, "@contact"), rule(Redact, "ssn"), floor("@credentials"),
	}})
	for _, tt := range []struct{ doc, clear, transformed string }{
		{`{"country":"GB","n":1}`, "[demographic location]", "[]"},
		{`{"lastIp":"198.51.100.23","email":"a@b.co"}`, "[]", "[contact network]"},
		{`{"notes":"from 203.0.113.77, card 4111 1111 1111 1111"}`, "[]", "[network]"}, // the card is redacted
		{`{"memo":"mail ann@example.com","password":"x","ssn":"078-05-1120"}`, "[]", "[contact]"},
		{`{"ips":["203.0.113.7"]}`, "[]", "[network]"},
	} {
		var d Disclosed
		if _, err := e.RewriteDisclosing(nil, []byte(tt.doc), nil, &d); err != nil {
			t.Fatal(err)
		}
		if c, tr := fmt.Sprint(e.Taxonomy().Names(d.Clear)), fmt.Sprint(e.Taxonomy().Names(d.Transformed)); c != tt.clear || tr != tt.transformed {
			t.Errorf("%s: clear %s transformed %s, want %s %s", tt.doc, c, tr, tt.clear, tt.transformed)
		}
	}
}
