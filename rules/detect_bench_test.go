package rules

import (
	"strings"
	"testing"
)

// benchNotes is a few KB of support notes: mostly words, with the personal
// data and look-alikes of supportNote.
var benchNotes = strings.Repeat(supportNote+`The customer asked twice why the parcel was late and whether the
refund would arrive before the weekend; we apologised, explained the carrier's delay and offered a voucher
for the next order. No further action is needed unless she writes again.
`, 4)

// BenchmarkScan measures the scanner on support notes dense with personal
// data: all detectors, then on prose without any, then only the detectors of
// one category, then AppendRewritten, beside appendEscaped alone (what
// writing the same text unscanned costs).
func BenchmarkScan(b *testing.B) {
	contact := testTaxonomy.Scanner(CategorySet(0).With(Contact))
	buf := make([]Finding, 0, 64)
	b.Run("all", func(b *testing.B) {
		b.SetBytes(int64(len(benchNotes)))
		for b.Loop() {
			buf = testScanner.AppendFindings(buf[:0], benchNotes, Field{})
		}
	})
	prose := strings.Repeat("We apologised for the delay, explained what the carrier said and offered a voucher. ", 60)
	b.Run("prose", func(b *testing.B) {
		b.SetBytes(int64(len(prose)))
		for b.Loop() {
			buf = testScanner.AppendFindings(buf[:0], prose, Field{})
		}
	})
	b.Run("contact", func(b *testing.B) {
		b.SetBytes(int64(len(benchNotes)))
		for b.Loop() {
			buf = contact.AppendFindings(buf[:0], benchNotes, Field{})
		}
	})
	dst := make([]byte, 0, 2*len(benchNotes))
	redact := func(dst []byte, _ Finding, _ string) []byte { return append(dst, "[REDACTED]"...) }
	b.Run("rewrite", func(b *testing.B) {
		b.SetBytes(int64(len(benchNotes)))
		for b.Loop() {
			dst = testScanner.AppendRewritten(dst[:0], benchNotes, Field{}, redact)
		}
	})
	b.Run("escape-only", func(b *testing.B) {
		b.SetBytes(int64(len(benchNotes)))
		for b.Loop() {
			dst = appendEscaped(dst[:0], benchNotes)
		}
	})
}

// BenchmarkFieldCategories measures classifying object keys as the walker
// meets them: a mix of names in categories and names in none.
func BenchmarkFieldCategories(b *testing.B) {
	keys := []string{"id", "email", "customerEmailAddress", "shipping_address", "items", "sku", "qty", "price",
		"X-Forwarded-For", "created_at", "dateOfBirth", "notes", "card_number", "order_id", "status", "emailVerified"}
	tx := NewTaxonomy()
	b.ReportAllocs()
	for b.Loop() {
		for _, k := range keys {
			tx.FieldCategories(k)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(keys)), "ns/key")
}
