package rules

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/caddy-minimize/caddy-minimize/rules/internal/corpusgen"
)

// credentialSecrets are the corpus's valid credentials: what the default
// floor must keep from any partner.
var credentialSecrets = sync.OnceValue(func() []string {
	cred := NewTaxonomy()
	c, _ := cred.Category("credentials")
	dets := cred.DetectorsOf(c)
	var out []string
	readJSONLFile("values.jsonl", func(v corpusgen.Value) {
		for _, d := range dets {
			if v.Want == d {
				out = append(out, v.Text)
			}
		}
	})
	return out
})

// FuzzFloorNoLeak plants credentials from the corpus in random documents
// (as whole values under innocent keys, inside sentences, some characters
// escaped; the document itself may be one) beside passwords under
// credential-named keys, and rewrites them under random path rules (every
// action, masks and prefixes long enough to show a secret, either default)
// with the credentials floor: no secret, nor any 12 characters of one, nor a planted
// password may reach the output, raw or decoded.
func FuzzFloorNoLeak(f *testing.F) {
	for _, seed := range []uint64{1, 2, 3, 42, 1 << 40} {
		f.Add(seed)
	}
	secrets := credentialSecrets()
	if len(secrets) < 100 {
		f.Fatalf("only %d credentials in the corpus", len(secrets))
	}
	f.Fuzz(func(t *testing.T, seed uint64) {
		rng := newRand(seed)
		rs := append(revealingRules(rng), Rule{Path: "@credentials", Action: Drop, Floor: true})
		e, err := Compile(Policy{Partner: "fuzz", Key: catKey, KeepUnnamed: rng.IntN(3) > 0, Rules: rs})
		if err != nil {
			return
		}
		var planted []string
		doc := plantDoc(rng, secrets, &planted, 0)
		if rng.IntN(8) == 0 { // a document that is one value
			planted = planted[:0]
			var b bytes.Buffer
			s := secrets[rng.IntN(len(secrets))]
			planted = append(planted, s)
			writeJSONString(&b, rng, s)
			doc = b.Bytes()
		}
		out, err := e.Rewrite(nil, doc, nil)
		if err != nil {
			t.Fatalf("%v on %s", err, doc)
		}
		var v any
		if err := json.Unmarshal(out, &v); err != nil {
			t.Fatalf("invalid output %s", out)
		}
		var decoded strings.Builder
		collectText(v, &decoded)
		for _, p := range planted {
			for _, frag := range fragments(p) {
				if bytes.Contains(out, []byte(frag)) || strings.Contains(decoded.String(), frag) {
					t.Fatalf("%q of a planted credential leaked\nrules %v\ndoc %s\nout %s", frag, rs, doc, out)
				}
			}
		}
	})
}

// revealingRules are randomRules with every action, masks and prefixes
// long enough to show a whole secret, and scan.
func revealingRules(rng *rand.Rand) []Rule {
	rs := randomRules(rng)
	for i := range rs {
		switch rng.IntN(6) {
		case 0:
			rs[i].Action, rs[i].Args = Mask, []string{[]string{"first40", "last40", "first64"}[rng.IntN(3)]}
		case 1:
			rs[i].Action, rs[i].Args = Generalize, []string{"prefix/64"}
		case 2:
			rs[i].Action, rs[i].Args = []Action{Tokenize, Scan}[rng.IntN(2)], nil
		}
	}
	return rs
}

// fragments are the pieces of a planted value that must not leak: a
// password whole, a secret's every 12 characters.
func fragments(p string) []string {
	if strings.HasPrefix(p, "pw-") || len(p) <= 12 {
		return []string{p}
	}
	var out []string
	for i := 0; i+12 <= len(p); i += 6 {
		out = append(out, p[i:i+12])
	}
	return out
}

func collectText(v any, b *strings.Builder) {
	switch x := v.(type) {
	case map[string]any:
		for k, m := range x {
			b.WriteString(k + "\x00")
			collectText(m, b)
		}
	case []any:
		for _, m := range x {
			collectText(m, b)
		}
	case string:
		b.WriteString(x + "\x00")
	}
}

var (
	plainKeys  = []string{"a", "b", "id", "note", "trace", "ref", "meta", "items", "0"}
	secretKeys = []string{"password", "apiKey", "client_secret", "accessToken", "pin", "PRIVATE-KEY", "devicePassword", "childPin"}
)

// plantDoc writes a random object holding planted values, recording them.
func plantDoc(rng *rand.Rand, secrets []string, planted *[]string, depth int) []byte {
	var b bytes.Buffer
	b.WriteByte('{')
	n := 1 + rng.IntN(4)
	used := map[string]bool{}
	for i := 0; i < n; i++ {
		k := plainKeys[rng.IntN(len(plainKeys))]
		if rng.IntN(4) == 0 {
			k = secretKeys[rng.IntN(len(secretKeys))]
		}
		if used[foldString(k)] {
			continue
		}
		used[foldString(k)] = true
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%q:", k)
		switch {
		case slices.Contains(secretKeys, k):
			pw := fmt.Sprintf("pw-%d-%d", depth, i)
			*planted = append(*planted, pw)
			writeJSONString(&b, rng, pw)
		case depth < 3 && rng.IntN(3) == 0:
			b.Write(plantDoc(rng, secrets, planted, depth+1))
		case rng.IntN(4) == 0:
			b.WriteByte('[')
			s := secrets[rng.IntN(len(secrets))]
			*planted = append(*planted, s)
			writeJSONString(&b, rng, s)
			b.WriteString(`,"plain"]`)
		default:
			s := secrets[rng.IntN(len(secrets))]
			*planted = append(*planted, s)
			if rng.IntN(2) == 0 {
				s = "please use " + s + " for the call"
			}
			writeJSONString(&b, rng, s)
		}
	}
	b.WriteByte('}')
	return b.Bytes()
}

// writeJSONString writes s as a JSON string, escaping some characters that
// need no escape, as a client may.
func writeJSONString(b *bytes.Buffer, rng *rand.Rand, s string) {
	q, _ := json.Marshal(s)
	if rng.IntN(3) > 0 {
		b.Write(q)
		return
	}
	b.WriteByte('"')
	for _, c := range []byte(q[1 : len(q)-1]) {
		if c >= 'a' && c <= 'z' && rng.IntN(4) == 0 {
			fmt.Fprintf(b, `\u%04x`, c)
			continue
		}
		b.WriteByte(c)
	}
	b.WriteByte('"')
}
