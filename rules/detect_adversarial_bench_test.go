package rules

import (
	"strings"
	"testing"
)

// BenchmarkScanAdversarial runs every detector over 1 MB texts built to
// make them work: endless anchors, digit groups and candidate prefixes.
// Each stays linear; the slowest are the digit clusters and '_' runs.
func BenchmarkScanAdversarial(b *testing.B) {
	s := testTaxonomy.Scanner(testTaxonomy.all())
	for _, c := range []struct{ name, unit string }{
		{"at-signs", "a@"}, {"dotted-at", "a.b@c."}, {"digit-groups", "12 "}, {"dashed-digits", "1-"},
		{"dotted-digits", "1."}, {"plus", "+1 "}, {"colons", "ab:"}, {"jwt-heads", "eyJ."}, {"bearer", "Bearer "},
		{"pem", "-----BEGIN "}, {"underscores", "_"}, {"slack", "xoxb-"}, {"aws", "AKIA"}, {"dob", "dob 1987-06-05 "},
	} {
		text := strings.Repeat(c.unit, (1<<20)/len(c.unit))
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(text)))
			var fs []Finding
			for b.Loop() {
				fs = s.AppendFindings(fs[:0], text, Field{})
			}
		})
	}
}
