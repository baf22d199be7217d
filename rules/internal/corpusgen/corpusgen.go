// Package corpusgen generates the labelled corpus that measures the
// detectors in package rules: synthetic personal data that is valid by
// construction (Luhn, mod-97, number plans, SSA ranges, signed JWTs), the
// look-alikes that a detector must not flag (order numbers, UUIDs,
// timestamps, prices, versions, tracking numbers, ISBNs, hashes, numbers that
// fail a check), and support notes that mix both. It is independent of the
// detectors on purpose: a shared bug would pass unnoticed.
//
// The output is deterministic: the same code gives the same bytes, which a
// test in package rules checks against the committed files.
package corpusgen

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
)

// Value is one labelled value: a field's text and, if it holds personal
// data, the detector that must find all of it ("none" otherwise).
type Value struct {
	Field string `json:"field,omitempty"`
	Text  string `json:"text"`
	Want  string `json:"want"`
	Kind  string `json:"kind"`
}

// Note is a free text and the spans of personal data in it, in order.
type Note struct {
	Text  string `json:"text"`
	Spans []Span `json:"spans"`
}

// Span is one expected finding in a note.
type Span struct {
	Detector string `json:"detector"`
	Text     string `json:"text"`
}

// Files returns the corpus files by name: values.jsonl and notes.jsonl.
func Files() map[string][]byte {
	g := &gen{r: rand.New(rand.NewPCG(20261123, 5))}
	values := append(g.positives(), g.lookalikes()...)
	notes := g.notes(400)
	return map[string][]byte{
		"values.jsonl": jsonl(values),
		"notes.jsonl":  jsonl(notes),
	}
}

func jsonl[T any](items []T) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	for _, it := range items {
		if err := enc.Encode(it); err != nil {
			panic(err)
		}
	}
	return b.Bytes()
}

// gen holds the random source; every choice goes through it.
type gen struct{ r *rand.Rand }

func (g *gen) pick(xs ...string) string { return xs[g.r.IntN(len(xs))] }

func (g *gen) digits(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('0' + g.r.IntN(10))
	}
	return string(b)
}

func (g *gen) from(alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[g.r.IntN(len(alphabet))]
	}
	return string(b)
}

const (
	upper    = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	lower    = "abcdefghijklmnopqrstuvwxyz"
	digitSet = "0123456789"
	alnum    = upper + lower + digitSet
	hexSet   = "0123456789abcdef"
	b64url   = alnum + "-_"
)

// between returns an int in [lo, hi].
func (g *gen) between(lo, hi int) int { return lo + g.r.IntN(hi-lo+1) }
