package rules

import (
	"bytes"
	"fmt"
	"runtime"
	"testing"

	"github.com/tidwall/gjson"

	"github.com/caddy-minimize/caddy-minimize/internal/benchdoc"
)

// The benchmark policy: 20 rules of the kinds a payment-fraud partner
// would get, over an array of realistic orders.
var benchRules = []Rule{
	rule(Keep, "orders.#.id"),
	rule(Keep, "orders.#.status"),
	rule(Keep, "orders.#.currency"),
	rule(Keep, "orders.#.total"),
	rule(Generalize, "orders.#.created", "month"),
	rule(Keep, "orders.#.items.#.sku"),
	rule(Keep, "orders.#.items.#.qty"),
	rule(Keep, "orders.#.items.#.price"),
	rule(Pseudonymize, "orders.#.customer.id"),
	rule(Pseudonymize, "orders.#.customer.email"),
	rule(Redact, "orders.#.customer.name"),
	rule(Mask, "orders.#.customer.phone", "last4"),
	rule(Generalize, "orders.#.customer.ip", "ip/24", "ip6/48"),
	rule(Generalize, "orders.#.customer.birthdate", "year"),
	rule(Keep, "orders.#.customer.address.country"),
	rule(Generalize, "orders.#.customer.address.postcode", "prefix/3"),
	rule(Mask, "orders.#.payment.card.number", "last4"),
	rule(Drop, "orders.#.payment.card.cvc"),
	rule(Redact, "orders.#.notes"),
	rule(Drop, "**.password"),
}

// benchDoc returns an {"orders":[...]} document of about size bytes.
func benchDoc(size int) []byte { return benchdoc.Orders(size) }

var benchSizes = []struct {
	name string
	size int
}{{"1KB", 1 << 10}, {"64KB", 64 << 10}, {"1MB", 1 << 20}}

func benchEngine(b *testing.B, rs []Rule) *Engine {
	e, err := Compile(Policy{Partner: "fraud", Key: bytes.Repeat([]byte{9}, 32), Rules: rs})
	if err != nil {
		b.Fatal(err)
	}
	return e
}

// BenchmarkRewrite is the engine: validation, rewrite and output together.
func BenchmarkRewrite(b *testing.B) {
	e := benchEngine(b, benchRules)
	for _, s := range benchSizes {
		doc := benchDoc(s.size)
		b.Run(s.name, func(b *testing.B) { benchRewrite(b, e, doc) })
	}
}

// BenchmarkRewriteOneCore is BenchmarkRewrite without a helper
// (scan_split.go): what one core does, to compare with gjson.Valid's one.
func BenchmarkRewriteOneCore(b *testing.B) {
	e := benchEngine(b, benchRules)
	e.splitMin = 0
	for _, s := range benchSizes {
		doc := benchDoc(s.size)
		b.Run(s.name, func(b *testing.B) { benchRewrite(b, e, doc) })
	}
}

// BenchmarkRewriteWhileMarking is BenchmarkRewriteOneCore at 64 KB while
// a goroutine keeps the garbage collector marking, as it is a fifth of the
// time in a busy gateway (GODEBUG=gctrace=1): every pointer the walker
// stores into the heap then goes through the write barrier. Its allocs/op
// are walkers made anew after collections emptied their pool.
func BenchmarkRewriteWhileMarking(b *testing.B) {
	e := benchEngine(b, benchRules)
	e.splitMin = 0
	doc := benchDoc(64 << 10)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
				runtime.GC()
			}
		}
	}()
	b.Cleanup(func() { close(stop); <-done })
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	var out []byte
	var err error
	for b.Loop() {
		if out, err = e.Rewrite(out[:0], doc, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWalk is BenchmarkRewrite with each transforming rule (generalize,
// pseudonymize, redact, mask) turned into keep: the single pass (validation,
// duplicate keys, matcher, output) without the per-value work of the
// transformations, to show which of the two a rewrite spends its time on.
func BenchmarkWalk(b *testing.B) {
	var rs []Rule
	for _, r := range benchRules {
		if r.Action != Drop {
			r = rule(Keep, r.Path)
		}
		rs = append(rs, r)
	}
	e := benchEngine(b, rs)
	for _, s := range benchSizes {
		doc := benchDoc(s.size)
		b.Run(s.name, func(b *testing.B) { benchRewrite(b, e, doc) })
	}
}

// BenchmarkWhole is a policy that keeps every document whole: validation,
// the duplicate-key check and one copy, the least any rewrite does.
func BenchmarkWhole(b *testing.B) {
	e, err := Compile(Policy{Partner: "fraud", KeepUnnamed: true})
	if err != nil {
		b.Fatal(err)
	}
	for _, s := range benchSizes {
		doc := benchDoc(s.size)
		b.Run(s.name, func(b *testing.B) { benchRewrite(b, e, doc) })
	}
}

// BenchmarkBaseline is the same policy through encoding/json:
// Unmarshal into any, rewrite the tree, Marshal.
func BenchmarkBaseline(b *testing.B) {
	o := oracle{benchEngine(b, benchRules)}
	for _, s := range benchSizes {
		doc := benchDoc(s.size)
		b.Run(s.name, func(b *testing.B) {
			b.SetBytes(int64(len(doc)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := o.rewrite(doc); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkValid is gjson.Valid alone: the floor any validating rewriter
// is measured against.
func BenchmarkValid(b *testing.B) {
	for _, s := range benchSizes {
		doc := benchDoc(s.size)
		b.Run(s.name, func(b *testing.B) {
			b.SetBytes(int64(len(doc)))
			b.ReportAllocs()
			for b.Loop() {
				if !gjson.ValidBytes(doc) {
					b.Fatal("invalid")
				}
			}
		})
	}
}

// BenchmarkRuleCount shows the matcher's cost hardly grows with the rule
// count: one rule against 32 that write the same output (the extra 31 name
// fields the document lacks, 10 of them at any depth), on the same 64 KB.
func BenchmarkRuleCount(b *testing.B) {
	doc := benchDoc(64 << 10)
	for _, rs := range [][]Rule{benchRules[:1], ruleCountRules()} {
		e := benchEngine(b, rs)
		b.Run(fmt.Sprintf("rules=%d", len(rs)), func(b *testing.B) {
			b.SetBytes(int64(len(doc)))
			b.ReportAllocs()
			var out []byte
			for b.Loop() {
				out, _ = e.Rewrite(out[:0], doc, nil)
			}
		})
	}
}

func ruleCountRules() []Rule {
	rs := []Rule{benchRules[0]}
	for i := 1; i < 32; i++ {
		if i%3 == 0 {
			rs = append(rs, rule(Drop, fmt.Sprintf("**.absent%d", i)))
		} else {
			rs = append(rs, rule(Redact, fmt.Sprintf("orders.#.customer.absent%d", i)))
		}
	}
	return rs
}

// TestBenchPolicy keeps the benchmark honest: the engine and the baseline
// produce the same document from the benchmark input.
func TestBenchPolicy(t *testing.T) {
	e := benchEngine(&testing.B{}, benchRules)
	doc := benchDoc(4 << 10)
	got, err := e.Rewrite(nil, doc, nil)
	if err != nil {
		t.Fatal(err)
	}
	want, err := oracle{e}.rewrite(doc)
	if err != nil {
		t.Fatal(err)
	}
	if canonical(got) != canonical(want) {
		t.Fatalf("engine and baseline differ:\n%s\n%s", got, want)
	}
	one, _ := benchEngine(&testing.B{}, benchRules[:1]).Rewrite(nil, doc, nil)
	many, _ := benchEngine(&testing.B{}, ruleCountRules()).Rewrite(nil, doc, nil)
	if !bytes.Equal(one, many) || !bytes.HasPrefix(one, []byte(`{"orders":[{"id":"ord_000000"},`)) {
		t.Errorf("rule-count policies differ:\n%s\n%s", one, many)
	}
	if bytes.Contains(got, []byte("hunter2")) || bytes.Contains(got, []byte("Jane Doe")) || bytes.Contains(got, []byte("4111111111111111")) {
		t.Errorf("benchmark output leaks: %s", got)
	}
}
