package rules

import (
	"bytes"
	"fmt"
	"math/rand/v2"
)

// Random documents and policies over a small vocabulary, so that rules and
// keys collide often.

var (
	randKeys  = []string{"a", "b", "email", "Email", "id", "0", "x.y", "password", "note"}
	randSegs  = []string{"a", "b", "email", "id", "0", `x\.y`, "#", "*", "**"}
	randMasks = []string{"last2", "first1", "email", "all"}
	randHows  = []string{"prefix/2", "year", "bucket/10", "ip/24"}
)

// randStrings hold personal data whole, inside text, and look-alikes.
var randStrings = []string{`"jane@example.com"`, `"203.0.113.9"`, `"1987-06-14"`, `"héllo wörld"`, `""`,
	`"write to jane@example.com or call +1 415 555 0132"`, `"card 4111 1111 1111 1111, order 1234-5678"`,
	`"` + testJWT + `"`, `"auth: Bearer ` + testJWT + `"`, `"order A-1042 shipped"`}

// randCats are the categories random policies name.
var randCats = []string{"@contact", "@credentials", "@payment", "@network"}

// randomCategoryRules is randomRules with category segments, scan rules and
// a credentials floor mixed in.
func randomCategoryRules(rng *rand.Rand) []Rule {
	rs := randomRules(rng)
	for i := range rs {
		switch rng.IntN(4) {
		case 0:
			rs[i].Path = randCats[rng.IntN(len(randCats))] // bare: any depth, and spans
		case 1:
			rs[i].Path += "." + randCats[rng.IntN(len(randCats))]
		}
		if rng.IntN(8) == 0 {
			rs[i].Action, rs[i].Args = Scan, nil
		}
	}
	if rng.IntN(3) == 0 {
		rs = append(rs, Rule{Path: "@credentials", Action: Drop, Floor: true})
	}
	return rs
}

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, seed)) }

func randomRules(rng *rand.Rand) []Rule {
	rs := make([]Rule, rng.IntN(6))
	for i := range rs {
		segs := make([]string, 1+rng.IntN(3))
		for j := range segs {
			segs[j] = randSegs[rng.IntN(len(randSegs))]
		}
		r := Rule{Path: joinSegs(segs), Action: Action(rng.IntN(int(Drop) + 1))}
		switch r.Action {
		case Mask:
			r.Args = []string{randMasks[rng.IntN(len(randMasks))]}
		case Generalize:
			r.Args = []string{randHows[rng.IntN(len(randHows))]}
		}
		rs[i] = r
	}
	return rs
}

func joinSegs(segs []string) string {
	var b bytes.Buffer
	for i, s := range segs {
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(s)
	}
	return b.String()
}

func randomDoc(rng *rand.Rand) []byte {
	var b bytes.Buffer
	writeRandom(&b, rng, 0)
	return b.Bytes()
}

func writeRandom(b *bytes.Buffer, rng *rand.Rand, depth int) {
	n := rng.IntN(10)
	if depth > 4 {
		n = 5 + rng.IntN(5)
	}
	switch {
	case n < 3:
		b.WriteByte('{')
		used := map[string]bool{}
		for range rng.IntN(4) {
			k := randKeys[rng.IntN(len(randKeys))]
			if used[foldString(k)] {
				continue
			}
			if len(used) > 0 {
				b.WriteByte(',')
			}
			used[foldString(k)] = true
			fmt.Fprintf(b, "%q:", k)
			writeRandom(b, rng, depth+1)
		}
		b.WriteByte('}')
	case n < 5:
		b.WriteByte('[')
		for i := range rng.IntN(4) {
			if i > 0 {
				b.WriteByte(',')
			}
			writeRandom(b, rng, depth+1)
		}
		b.WriteByte(']')
	case n < 7:
		b.WriteString(randStrings[rng.IntN(len(randStrings))])
	case n < 9:
		b.WriteString([]string{`42`, `-3.5`, `1e3`, `0`}[rng.IntN(4)])
	default:
		b.WriteString([]string{`true`, `false`, `null`}[rng.IntN(3)])
	}
}
