package rules

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// Engine is a compiled policy. It is safe for concurrent use.
type Engine struct {
	dfa       *dfa
	rules     []compiledRule // by priority, ascending; rules[0] is the default
	patterns  []pattern      // rules' parsed paths, indexed like rules
	maxDepth  int
	splitMin  int  // the least document a helper may share (scan_split.go); 0: never
	splitSync bool // tests: every split offered runs and is waited for
	walkers   sync.Pool
	tokens    *tokenKeys // nil without a key
	cats      categoryRules
}

type compiledRule struct {
	Rule
	tf transformer // for Mask, Generalize, Pseudonymize and Tokenize
}

// CheckRule reports what is wrong with one rule on its own: its path, its
// action's arguments. Compile checks the rest (keys, conflicts).
func CheckRule(r Rule) error {
	_, err := checkRule(r)
	return err
}

func checkRule(r Rule) (pattern, error) {
	pat, err := parsePath(r.Path)
	if err != nil {
		return pat, err
	}
	if r.Floor && r.Action != Drop {
		return pat, fmt.Errorf("a floor rule drops; %s %s cannot be one", r.Action, r.Path)
	}
	switch r.Action {
	case Keep, Drop, Redact, Pseudonymize, Tokenize, Scan:
		if len(r.Args) > 0 {
			return pat, fmt.Errorf("%s takes paths only; %q is not allowed after %q", r.Action, r.Args[0], r.Path)
		}
	case Mask:
		if len(r.Args) != 1 {
			return pat, fmt.Errorf("mask takes one path and one style, e.g. mask card.number last4")
		}
		_, err = newMask(r.Args[0])
	case Generalize:
		if len(r.Args) == 0 {
			return pat, fmt.Errorf("generalize takes one path and at least one method, e.g. generalize client.ip ip/24 ip6/48")
		}
		_, err = newGeneralize(r.Args)
	default:
		err = fmt.Errorf("unknown action %v", r.Action)
	}
	return pat, err
}

// Compile checks a policy and builds its engine. Every error a policy can
// have is found here, never while rewriting.
func Compile(p Policy) (*Engine, error) {
	if p.MaxDepth < 0 {
		return nil, fmt.Errorf("max_depth must not be negative")
	}
	type ranked struct {
		r     Rule
		pat   pattern
		order int
	}
	rs := make([]ranked, 0, len(p.Rules))
	seen := map[string]string{}
	for i, r := range p.Rules {
		pat, err := checkRule(r)
		if err != nil {
			return nil, &RuleError{i, err}
		}
		norm := pat.normalized()
		if prev, ok := seen[norm]; ok {
			return nil, &RuleError{i, fmt.Errorf("path %q is already named by %s %q: one rule per path", r.Path, prev, norm)}
		}
		seen[norm] = r.Action.String()
		if r.Action.Keyed() && len(p.Key) == 0 {
			return nil, &RuleError{i, fmt.Errorf("%s %s needs the gateway key: add `key {env.MINIMIZE_KEY}` (or {file.PATH})", r.Action, r.Path)}
		}
		rs = append(rs, ranked{r, pat, i})
	}
	for _, k := range append([][]byte{p.Key}, p.OldKeys...) {
		if len(k) > 0 && len(k) < MinKeyLen {
			return nil, fmt.Errorf("key is %d bytes, need at least %d", len(k), MinKeyLen)
		}
	}
	// Priority: floors first, then more literal segments, then the stricter
	// action, then the earlier rule. The default rule sits below all of them.
	slices.SortStableFunc(rs, func(a, b ranked) int {
		return cmp.Or(
			cmp.Compare(boolInt(a.r.Floor), boolInt(b.r.Floor)),
			cmp.Compare(a.pat.literals, b.pat.literals),
			cmp.Compare(a.r.Action.strictness(), b.r.Action.strictness()),
			cmp.Compare(b.order, a.order))
	})
	tax := cmp.Or(p.Taxonomy, builtinTaxonomy())
	for _, x := range rs {
		if c, ok := x.pat.category(); ok {
			id, known := tax.Category(c.cat)
			if !known {
				return nil, &RuleError{x.order, fmt.Errorf("path %q: unknown category %q (known: %s); to name a key that starts with @, write \\@%s",
					x.r.Path, c.cat, strings.Join(tax.Categories(), ", "), c.cat)}
			}
			c.id = id
		}
	}
	e := &Engine{maxDepth: cmp.Or(p.MaxDepth, DefaultMaxDepth), splitMin: splitMin}
	if len(p.Key) > 0 {
		var err error
		if e.tokens, err = newTokenKeys(p.Key, p.OldKeys, p.Partner); err != nil {
			return nil, err
		}
	}
	pats := make([]pattern, 1, len(rs)+1)
	def := Drop
	if p.KeepUnnamed {
		def = Keep
	}
	e.rules = append(e.rules, compiledRule{Rule: Rule{Path: "**", Action: def}})
	for _, x := range rs {
		cr := compiledRule{Rule: x.r}
		var err error
		switch x.r.Action {
		case Mask:
			cr.tf, err = newMask(x.r.Args[0])
		case Generalize:
			cr.tf, err = newGeneralize(x.r.Args)
		case Pseudonymize:
			cr.tf, err = newPseudonymizer(p.Key, p.Partner)
		case Tokenize:
			cr.tf, err = e.tokens.tokenizer(x.pat.normalized())
		}
		if err != nil {
			return nil, err
		}
		e.rules = append(e.rules, cr)
		pats = append(pats, x.pat)
	}
	drops := make([]bool, len(e.rules))
	for i, r := range e.rules {
		drops[i] = r.Action == Drop
	}
	d, err := buildDFA(pats, drops)
	if err != nil {
		return nil, err
	}
	e.dfa, e.patterns = d, pats
	e.cats = newCategoryRules(tax, e.rules, pats)
	e.walkers.New = func() any {
		w := &walker{e: e}
		w.replace = w.replaceSpan
		return w
	}
	return e, nil
}

// Taxonomy returns the taxonomy the engine's categories come from.
func (e *Engine) Taxonomy() *Taxonomy { return e.cats.tax }

// Rules returns the rules in priority order, lowest first; index 0 is the
// policy's default. A Tally is indexed the same way.
func (e *Engine) Rules() []Rule {
	out := make([]Rule, len(e.rules))
	for i, r := range e.rules {
		out[i] = r.Rule
	}
	return out
}

// Tally counts, per rule (indexed as Rules), the values that rule decided. A
// container decided whole (kept, dropped, or an object under a transformation,
// redacted) counts once; otherwise each value inside counts.
type Tally []uint32

// NewTally returns a zeroed tally sized for this engine.
func (e *Engine) NewTally() Tally { return make(Tally, len(e.rules)) }

// RuleError is a policy error caused by one rule, so a configuration
// adapter can point at the line that wrote it.
type RuleError struct {
	Index int // into Policy.Rules
	Err   error
}

func (e *RuleError) Error() string { return e.Err.Error() }
func (e *RuleError) Unwrap() error { return e.Err }

// InputError is a document the engine refuses to rewrite. Its text names the
// problem and a byte offset, never a value from the document.
type InputError struct {
	Kind   string // malformed, duplicate-key, too-deep, invalid-utf8, lone-surrogate, bom
	Detail string
}

func (e *InputError) Error() string { return e.Detail }

// IsInputError reports whether err is the document's fault.
func IsInputError(err error) bool {
	var ie *InputError
	return errors.As(err, &ie)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// NormalizePath returns the canonical text of a path (literals case-folded,
// `**.**` collapsed), so two spellings of one path compare equal.
func NormalizePath(path string) (string, error) {
	p, err := parsePath(path)
	if err != nil {
		return "", err
	}
	return p.normalized(), nil
}

func (p pattern) normalized() string {
	if p.floating() {
		return "@" + p.segs[1].cat // `**.@contact` is written `@contact`
	}
	var b []byte
	for i, s := range p.segs {
		if i > 0 {
			b = append(b, '.')
		}
		switch s.kind {
		case segElem:
			b = append(b, '#')
		case segAny:
			b = append(b, '*')
		case segDeep:
			b = append(b, "**"...)
		case segCat:
			b = append(b, '@')
			b = append(b, s.cat...)
		default:
			b = appendLiteral(b, s.lit)
		}
	}
	return string(b)
}

// appendLiteral appends a key as a path segment, escaping what the path
// language would otherwise read as syntax.
func appendLiteral(b []byte, key string) []byte {
	if key != "" && key[0] == '@' {
		b = append(b, '\\')
	}
	for j := 0; j < len(key); j++ {
		if c := key[j]; c == '.' || c == '\\' || c == '*' || c == '#' {
			b = append(b, '\\')
		}
		b = append(b, key[j])
	}
	return b
}
