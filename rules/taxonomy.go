package rules

import (
	"fmt"
	"iter"
	"math/bits"
	"slices"
	"strings"
)

// Category is a kind of personal data as privacy policies name them
// (contact, payment, ...): an index into a Taxonomy.
type Category uint8

// The built-in categories, in the order NewTaxonomy defines them. Their
// field patterns and detectors are in taxonomy_builtin.go.
const (
	Contact Category = iota
	Identity
	Credentials
	Payment
	Demographic
	Network
	Device
	Location
	Cookies
	Children
	numBuiltinCategories
)

// MaxCategories is how many categories a taxonomy can hold, built-in ones
// included: a CategorySet is one machine word.
const MaxCategories = 64

// CategorySet is a set of categories.
type CategorySet uint64

// Has reports whether c is in the set.
func (s CategorySet) Has(c Category) bool { return s&(1<<c) != 0 }

// With returns the set with c added.
func (s CategorySet) With(c Category) CategorySet { return s | 1<<c }

// Intersects reports whether the sets share a category.
func (s CategorySet) Intersects(t CategorySet) bool { return s&t != 0 }

// All yields the categories in the set, lowest first.
func (s CategorySet) All() iter.Seq[Category] {
	return func(yield func(Category) bool) {
		for s != 0 {
			c := Category(bits.TrailingZeros64(uint64(s)))
			if !yield(c) {
				return
			}
			s &^= 1 << c
		}
	}
}

// Taxonomy says which field names and which values belong to which
// category. Build one with NewTaxonomy, adjust it with Extend, then share
// it: lookups are safe for concurrent use, Extend is not.
type Taxonomy struct {
	cats    []categoryDef
	byName  map[string]Category
	matcher *fieldMatcher
}

type categoryDef struct {
	name      string
	patterns  []fieldPatternDef
	detectors detectorSet
}

// fieldPatternDef is a pattern with the context-gated detectors that fields
// it matches enable (a "dob" field enables the birth date detector).
type fieldPatternDef struct {
	pat     fieldPattern
	context detectorSet
}

// NewTaxonomy returns the built-in taxonomy.
func NewTaxonomy() *Taxonomy {
	t := &Taxonomy{byName: map[string]Category{}}
	for _, b := range builtinCategories {
		def := categoryDef{name: b.name}
		for _, d := range b.detectors {
			def.detectors |= 1 << detectorByName(d)
		}
		for _, p := range b.fields {
			ctx, text, _ := strings.Cut(p, ":")
			if text == "" {
				ctx, text = "", ctx
			}
			fp, err := parseFieldPattern(text)
			if err != nil {
				panic("rules: built-in taxonomy: " + err.Error())
			}
			var cs detectorSet
			if ctx != "" {
				cs = 1 << detectorByName(ctx)
			}
			def.patterns = append(def.patterns, fieldPatternDef{fp, cs})
		}
		t.byName[b.name] = Category(len(t.cats))
		t.cats = append(t.cats, def)
	}
	t.compile()
	return t
}

// Extend adds field patterns and detectors to the category called name,
// creating it if it does not exist. Patterns are field names in any naming
// style, with an optional trailing "*" (any words may follow) or leading "!"
// (an exclusion); detectors are names from Detectors(). Fields matched by
// these patterns enable the context-gated detectors among these detectors
// (Extend("demographic", []string{"geburtsdatum"}, []string{"birthdate"})).
// On error the taxonomy is unchanged.
func (t *Taxonomy) Extend(name string, fieldPatterns []string, detectors []string) error {
	if err := checkCategoryName(name); err != nil {
		return err
	}
	c, exists := t.byName[name]
	if !exists && len(t.cats) == MaxCategories {
		return fmt.Errorf("category %q: a taxonomy holds at most %d categories", name, MaxCategories)
	}
	if !exists && len(fieldPatterns) == 0 && len(detectors) == 0 {
		return fmt.Errorf("category %q is new and needs field patterns or detectors", name)
	}
	var dets detectorSet
	for _, d := range detectors {
		id, ok := lookupDetector(d)
		if !ok {
			return fmt.Errorf("category %q: unknown detector %q (known: %s)", name, d, strings.Join(Detectors(), ", "))
		}
		dets |= 1 << id
	}
	pats := make([]fieldPatternDef, 0, len(fieldPatterns))
	for _, p := range fieldPatterns {
		fp, err := parseFieldPattern(p)
		if err != nil {
			return fmt.Errorf("category %q: %w", name, err)
		}
		pats = append(pats, fieldPatternDef{fp, dets & contextGated})
	}
	if !exists {
		c = Category(len(t.cats))
		t.cats = append(t.cats, categoryDef{name: name})
		t.byName[name] = c
	}
	def := &t.cats[c]
	def.patterns = append(def.patterns, pats...)
	def.detectors |= dets
	t.compile()
	return nil
}

// checkCategoryName keeps names writable after an @ in a path.
func checkCategoryName(name string) error {
	if name == "" || len(name) > 32 {
		return fmt.Errorf("category name %q: want 1 to 32 characters", name)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || i > 0 && ('0' <= c && c <= '9' || c == '_' || c == '-')) {
			return fmt.Errorf("category name %q: want lower-case letters, then letters, digits, _ or -", name)
		}
	}
	return nil
}

func (t *Taxonomy) compile() {
	m := newFieldMatcher()
	for i, def := range t.cats {
		for _, p := range def.patterns {
			m.add(p.pat, Category(i), p.context)
		}
	}
	t.matcher = m
}

// Category returns the category called name.
func (t *Taxonomy) Category(name string) (Category, bool) {
	c, ok := t.byName[name]
	return c, ok
}

// Name returns the name of category c.
func (t *Taxonomy) Name(c Category) string {
	if int(c) < len(t.cats) {
		return t.cats[c].name
	}
	return fmt.Sprintf("category(%d)", c)
}

// Names returns the names of the categories in s, lowest first.
func (t *Taxonomy) Names(s CategorySet) []string {
	var out []string
	for c := range s.All() {
		out = append(out, t.Name(c))
	}
	return out
}

// Categories returns every category's name, indexed by Category.
func (t *Taxonomy) Categories() []string {
	out := make([]string, len(t.cats))
	for i, def := range t.cats {
		out[i] = def.name
	}
	return out
}

// DetectorsOf returns the names of category c's detectors.
func (t *Taxonomy) DetectorsOf(c Category) []string {
	var out []string
	if int(c) < len(t.cats) {
		for d := range t.cats[c].detectors.all() {
			out = append(out, d.String())
		}
	}
	return slices.Clip(out)
}

// Field is what a taxonomy makes of a field's name.
type Field struct {
	// Categories are the categories the name puts the field's value in.
	Categories CategorySet
	// context holds the context-gated detectors the name enables.
	context detectorSet
}

// Field classifies a field name (an object key, decoded). It allocates
// nothing for ASCII names of up to 128 bytes.
func (t *Taxonomy) Field(key string) Field {
	cats, context, _ := t.matcher.match(key)
	return Field{cats, context}
}

// FieldCategories returns the categories a field name puts its value in.
func (t *Taxonomy) FieldCategories(key string) CategorySet {
	return t.Field(key).Categories
}

// detects reports whether any category in s has value detectors.
func (t *Taxonomy) detects(s CategorySet) bool {
	for c := range s.All() {
		if int(c) < len(t.cats) && t.cats[c].detectors != 0 {
			return true
		}
	}
	return false
}

// all returns the set of every category of the taxonomy.
func (t *Taxonomy) all() CategorySet {
	if len(t.cats) == 0 {
		return 0
	}
	return ^CategorySet(0) >> (MaxCategories - len(t.cats))
}

// FieldPatterns returns category c's field patterns as they are written.
func (t *Taxonomy) FieldPatterns(c Category) []string {
	var out []string
	if int(c) < len(t.cats) {
		for _, p := range t.cats[c].patterns {
			out = append(out, p.pat.String())
		}
	}
	return out
}
