package rules

import (
	"bytes"
	"fmt"
	"testing"
)

// BenchmarkCategories measures what category rules add to a rewrite of the
// order documents of BenchmarkRewrite (64 KB): the benchmark policy as it is,
// with the credentials floor every gateway policy gets, and a policy written
// in categories only under default keep.
func BenchmarkCategories(b *testing.B) {
	doc := benchDoc(64 << 10)
	floored := append(append([]Rule{}, benchRules...), Rule{Path: "@credentials", Action: Drop, Floor: true})
	for _, c := range []struct {
		name string
		keep bool
		rs   []Rule
	}{
		{"paths", false, benchRules},
		{"paths+floor", false, floored},
		{"categories", true, []Rule{
			rule(Pseudonymize, "@contact"), rule(Mask, "@payment", "last4"), rule(Generalize, "@network", "ip/24"),
			rule(Generalize, "@demographic", "year"), rule(Redact, "@location"), rule(Scan, "orders.#.notes"),
			{Path: "@credentials", Action: Drop, Floor: true},
		}},
	} {
		e, err := Compile(Policy{Partner: "fraud", Key: bytes.Repeat([]byte{9}, 32), KeepUnnamed: c.keep, Rules: c.rs})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(c.name, func(b *testing.B) { benchRewrite(b, e, doc) })
	}
}

// BenchmarkScanText is the scan action over support tickets whose notes are
// free text dense with personal data, beside the same documents kept as
// they are (the plain rewrite: one raw copy) and kept under the credentials
// floor (every string read for credentials).
func BenchmarkScanText(b *testing.B) {
	var d bytes.Buffer
	d.WriteString(`{"tickets":[`)
	for i := 0; d.Len() < 64<<10; i++ {
		if i > 0 {
			d.WriteByte(',')
		}
		fmt.Fprintf(&d, `{"id":"T-%05d","status":"open","notes":%q}`, i, benchNotes)
	}
	d.WriteString(`]}`)
	doc := d.Bytes()
	for _, c := range []struct {
		name string
		rs   []Rule
	}{
		{"keep", []Rule{rule(Keep, "tickets")}},
		{"keep+floor", []Rule{rule(Keep, "tickets"), {Path: "@credentials", Action: Drop, Floor: true}}},
		{"scan", []Rule{rule(Keep, "tickets"), rule(Scan, "tickets.#.notes")}},
	} {
		e, err := Compile(Policy{Partner: "desk", Rules: c.rs})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(c.name, func(b *testing.B) { benchRewrite(b, e, doc) })
	}
}

func benchRewrite(b *testing.B, e *Engine, doc []byte) {
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	var out []byte
	for b.Loop() {
		var err error
		if out, err = e.Rewrite(out[:0], doc, nil); err != nil {
			b.Fatal(err)
		}
	}
}
