package rules

import (
	"strings"
	"sync"
	"unsafe"

	"github.com/tidwall/gjson"
)

// builtinTaxonomy is the taxonomy of policies that bring none. It is never
// extended: a policy that extends categories brings its own.
var builtinTaxonomy = sync.OnceValue(NewTaxonomy)

// categoryRules is what an engine's category rules (`pseudonymize @contact`,
// `scan notes`) need while rewriting.
type categoryRules struct {
	tax *Taxonomy
	// values finds whether a whole value is of a category some category
	// segment names; nil when none of those categories has detectors.
	values   *Scanner
	detected CategorySet // the categories values detects
	// spans finds, in text the policy keeps, the spans of the categories
	// whose bare rules (`@contact`) do not keep; nil if there are none.
	spans *Scanner
	// text finds every category's spans for the scan action; nil without
	// scan rules.
	text *Scanner
	// spanRule is, per category, the priority of its bare rule, or none:
	// what a span of that category becomes.
	spanRule [MaxCategories]int32
	spanMax  int32 // the best spanRule of the spans scanner's categories
}

func newCategoryRules(tax *Taxonomy, rs []compiledRule, pats []pattern) categoryRules {
	c := categoryRules{tax: tax, spanMax: none}
	for i := range c.spanRule {
		c.spanRule[i] = none
	}
	var named, spanCats CategorySet
	scan := false
	for i, p := range pats {
		scan = scan || rs[i].Action == Scan
		seg, ok := p.category()
		if !ok {
			continue
		}
		named = named.With(seg.id)
		if p.floating() {
			c.spanRule[seg.id] = int32(i)
			if rs[i].Action != Keep {
				spanCats = spanCats.With(seg.id)
				c.spanMax = max(c.spanMax, int32(i))
			}
		}
	}
	for cat := range named.All() {
		if tax.detects(CategorySet(0).With(cat)) {
			c.detected = c.detected.With(cat)
		}
	}
	if c.detected != 0 {
		c.values = tax.Scanner(c.detected)
	}
	if tax.detects(spanCats) {
		c.spans = tax.Scanner(spanCats)
	}
	if scan {
		c.text = tax.Scanner(tax.all())
	}
	return c
}

// ruleFor returns the bare rule that decides finding f in text that rule
// eff keeps (none: scanned text), or none if no rule outranks eff.
func (c *categoryRules) ruleFor(f Finding, eff int32) int32 {
	best := int32(none)
	for cat := range f.Categories.All() {
		if r := c.spanRule[cat]; r > eff {
			best = max(best, r)
		}
	}
	return best
}

// redactedText replaces a span of free text.
const redactedText = "[REDACTED]"

// replaceSpan writes what replaces one finding in text: the action of the
// bare rule of its categories (the best, when it has several). In kept text
// (w.spanEff is the rule that kept it) only a rule that outranks the keep
// acts; in scanned text (w.spanEff is none) a span no rule names is redacted.
func (w *walker) replaceSpan(dst []byte, f Finding, span string) []byte {
	best := w.e.cats.ruleFor(f, w.spanEff)
	if best == none {
		if w.spanEff != none {
			// The span stays, under the action of the rule that decided
			// the text (keep, or a mask or prefix applied next).
			w.disclose(f.Categories, w.e.rules[w.spanEff].Action)
			return append(dst, span...)
		}
		return append(dst, redactedText...)
	}
	r := &w.e.rules[best]
	w.disclose(f.Categories, r.Action)
	switch r.Action {
	case Keep, Scan:
		return append(dst, span...)
	case Drop, Redact:
		w.count(best)
		return append(dst, redactedText...)
	}
	w.count(best)
	w.spanVal = gjson.Result{Type: gjson.String, Str: span}
	var ok bool
	if w.spanBuf, ok = r.tf.appendTo(w.spanBuf[:0], &w.spanVal); !ok {
		return append(dst, redactedText...)
	}
	if b := w.spanBuf; len(b) >= 2 && b[0] == '"' {
		return appendUnescaped(dst, unsafe.String(&b[1], len(b)-2))
	}
	return append(dst, w.spanBuf...)
}

// spans writes the string or number s[start:end] with the findings of sc
// replaced (a number that is a finding as a whole becomes a string); a value
// with no findings is copied as it came.
func (w *walker) spans(start, end int, esc bool, sc *Scanner) {
	raw := w.s[start:end]
	text := raw
	switch {
	case raw[0] == '"':
		text = w.strText(start, end, esc)
	case raw[0] == '-' || raw[0] >= '0' && raw[0] <= '9':
		text = numberText(raw)
	default:
		w.write(raw) // true, false, null
		return
	}
	w.finds = sc.AppendFindings(w.finds[:0], text, w.field)
	if len(w.finds) == 0 {
		w.write(raw)
		return
	}
	w.out = append(w.out, '"')
	w.wrote(appendReplaced(w.out, text, w.finds, w.replace))
	w.out = append(w.out, '"')
}

// fieldCache remembers what the taxonomy made of recent member names: a
// document repeats its keys, and classifying a name costs far more than a
// lookup. Names are kept by value, so the cache allocates only once.
type fieldCache struct {
	keys   [fieldCacheSize][maxCachedKey]byte
	lens   [fieldCacheSize]uint8 // 0: empty
	fields [fieldCacheSize]Field
	next   [fieldCacheSize / fieldCacheWays]uint8 // per set, the slot a miss replaces
}

const (
	fieldCacheBits = 6 // the remixed hash's top bits that pick a set
	fieldCacheWays = 4
	fieldCacheSize = fieldCacheWays << fieldCacheBits
	maxCachedKey   = 32
)

// classify returns the taxonomy's reading of the member name key, whose
// keyHash is h.
func (w *walker) classify(key string, h uint64) Field {
	if len(key) == 0 || len(key) > maxCachedKey {
		return w.e.cats.tax.Field(key)
	}
	if w.fields == nil {
		w.fields = new(fieldCache)
	}
	// Four ways: a name lives in one of four slots of its set; a miss
	// replaces them in turn.
	c := w.fields
	set := (h * 0x9e3779b97f4a7c15 >> (64 - fieldCacheBits)) * fieldCacheWays
	for j := set; j < set+fieldCacheWays; j++ {
		if int(c.lens[j]) == len(key) && string(c.keys[j][:len(key)]) == key {
			return c.fields[j]
		}
	}
	f := w.e.cats.tax.Field(key)
	j := set + uint64(c.next[set/fieldCacheWays])
	c.next[set/fieldCacheWays] = (c.next[set/fieldCacheWays] + 1) % fieldCacheWays
	copy(c.keys[j][:], key)
	c.lens[j], c.fields[j] = uint8(len(key)), f
	return f
}

// numberText is the text detectors read in a JSON number: its digits
// without a sign or an all-zero fraction, so -4111111111111111 and
// 4111111111111111.00 are read as the card number they hold.
func numberText(raw string) string {
	raw = strings.TrimPrefix(raw, "-")
	if i := strings.IndexByte(raw, '.'); i >= 0 && strings.Trim(raw[i+1:], "0") == "" {
		raw = raw[:i]
	}
	return raw
}

// revealsText reports whether an action sends part of a string's text (a
// mask's first characters, a prefix): spans in it are replaced first, as in
// kept text.
func revealsText(a Action) bool { return a == Mask || a == Generalize }

// withoutSpans returns text, decided by rule eff, with the spans that a
// bare category rule outranking eff decides replaced (valid until the next
// call); text itself when there are none.
func (w *walker) withoutSpans(text string, eff int32) string {
	c := &w.e.cats
	if c.spans == nil || c.spanMax <= eff {
		return text
	}
	w.finds = c.spans.AppendFindings(w.finds[:0], text, w.field)
	if len(w.finds) == 0 {
		return text
	}
	w.spanEff = eff
	b, last := w.plain[:0], 0
	for _, x := range w.finds {
		b = append(b, text[last:x.Start]...)
		b = w.replace(b, x, text[x.Start:x.End])
		last = x.End
	}
	w.plain = append(b, text[last:]...)
	return unsafe.String(unsafe.SliceData(w.plain), len(w.plain))
}

// disclose records that data of categories cs went out under action a.
func (w *walker) disclose(cs CategorySet, a Action) {
	if d := w.disclosed; d != nil {
		switch a {
		case Keep, Scan:
			d.Clear |= cs
		case Drop, Redact:
		default:
			d.Transformed |= cs
		}
	}
}
