package module

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/caddy-minimize/caddy-minimize/rules"
)

// policySet holds a handler's compiled engines: one per purpose, and the
// variants a consent widens, compiled on first use and cached. Everything a
// policy can get wrong is found when the set is built.
type policySet struct {
	tmpl         rules.Policy         // partner, key, limits; no rules
	base         []sourced            // the policy's rules and floors
	purposes     map[string][]sourced // rules for one purpose only ("" when the policy has no purposes)
	consent      []sourced            // what a consent may release
	consentPaths []string             // consent rules' display paths
	engines      map[string]*compiled // by purpose, without consent
	widened      sync.Map             // purpose + "\x00" + granted paths → *compiled
	nWidened     atomic.Int32
}

// channel is where a rule applies: the body (paths as written), the query
// string (paths starting "query.") or the request headers ("header.").
type channel int

const (
	chBody channel = iota
	chQuery
	chHeader
	nChannels
)

var channelPrefix = [nChannels]string{"", "query.", "header."}

// channelOf splits a rule path into its channel and the path within it. The
// prefix is read as written, without regard to case like the rest of a
// path, so `Header.x` is a header and `\header.x` the body's key "header".
func channelOf(path string) (channel, string) {
	for ch := chQuery; ch < nChannels; ch++ {
		if p := channelPrefix[ch]; len(path) >= len(p) && strings.EqualFold(path[:len(p)], p) {
			return ch, path[len(p):]
		}
	}
	return chBody, path
}

// compiled is one variant of a policy: an engine per channel.
type compiled struct{ ch [nChannels]channelEngine }

// channelEngine is an engine with its rules in tally order and their paths
// as the disclosure record names them.
type channelEngine struct {
	engine *rules.Engine
	rules  []rules.Rule
	paths  []string // normalized, with the channel's prefix; "(default)" for the default rule
}

// maxWidened bounds the cache of consent variants; past it, variants are
// compiled per request rather than kept.
const maxWidened = 256

// layerError is a policy error located in one list of rules.
type layerError struct {
	layer string // "", "built-in", "purpose NAME" or "consent"
	index int    // into that layer's rules, or -1
	err   error
}

func (e *layerError) Error() string {
	if e.layer == "" {
		return e.err.Error()
	}
	return e.layer + ": " + e.err.Error()
}

func (e *layerError) Unwrap() error { return e.err }

// sourced is a rule with where it was written, for error messages.
type sourced struct {
	rules.Rule
	layer string // "", "built-in", "purpose NAME" or "consent"
	index int    // into that layer's rules
}

func layer(name string, rs []rules.Rule) []sourced {
	out := make([]sourced, len(rs))
	for i, r := range rs {
		out[i] = sourced{r, name, i}
	}
	return out
}

func newPolicySet(tmpl rules.Policy, base []rules.Rule, purposes map[string][]rules.Rule, consent []rules.Rule, subject *rules.Selector) (*policySet, error) {
	ps := &policySet{
		tmpl:     tmpl,
		base:     merge(layer("built-in", builtinRules()), layer("", base)),
		purposes: map[string][]sourced{},
		consent:  layer("consent", consent),
		engines:  map[string]*compiled{},
	}
	for name, rs := range purposes {
		ps.purposes[name] = layer("purpose "+name, rs)
	}
	if len(ps.purposes) == 0 {
		ps.purposes[""] = nil
	}
	for i, r := range consent {
		ch, rest := channelOf(r.Path)
		if ch != chBody {
			// A token's subject is proven from the body alone.
			return nil, &layerError{"consent", i, fmt.Errorf("%s %s: a consent releases body paths only, since its subject is checked in the body", r.Action, r.Path)}
		}
		if _, err := rules.NormalizePath(rest); err != nil {
			return nil, &layerError{"consent", i, err}
		}
		// What the subject check did not see may be someone else's.
		if ok, _ := subject.Covers(rest); !ok {
			return nil, &layerError{"consent", i, fmt.Errorf("%s %s: outside the object that holds its subject %s, a consent releases only literal paths, with # only where the subject's path has it", r.Action, r.Path, subject)}
		}
		ps.consentPaths = append(ps.consentPaths, displayPath(r.Path))
	}
	if _, err := ps.compile(ps.base); err != nil {
		return nil, err
	}
	for name, extra := range ps.purposes {
		c, err := ps.compile(merge(ps.base, extra))
		if err != nil {
			return nil, err
		}
		ps.engines[name] = c
		if len(consent) > 0 {
			// Compiling every consent rule at once proves each subset compiles.
			if _, err := ps.compile(merge(merge(ps.base, extra), ps.consent)); err != nil {
				return nil, err
			}
		}
	}
	return ps, nil
}

// compile builds one variant, locating a rule's error where it was written.
// Headers are kept unless a rule says otherwise (the identifying ones are
// dropped by built-in rules); the body and query follow the policy's default.
func (ps *policySet) compile(rs []sourced) (*compiled, error) {
	var split [nChannels][]sourced
	for _, r := range rs {
		ch, rest := channelOf(r.Path)
		r.Path = rest
		split[ch] = append(split[ch], r)
	}
	// A bare category (`pseudonymize @contact`) holds wherever such data
	// sits: in the query string too, unless a query rule says otherwise.
	// Not in headers, where a partner's own API key travels.
	named := map[string]bool{}
	for _, r := range split[chQuery] {
		named[normalized(r.Path)] = true
	}
	for _, r := range split[chBody] {
		if n := normalized(r.Path); strings.HasPrefix(n, "@") && !named[n] {
			split[chQuery] = append(split[chQuery], r)
		}
	}
	c := &compiled{}
	for ch := range nChannels {
		p := ps.tmpl
		if ch == chHeader {
			p.KeepUnnamed = true
		}
		p.Rules = make([]rules.Rule, len(split[ch]))
		for i, r := range split[ch] {
			p.Rules[i] = r.Rule
		}
		e, err := rules.Compile(p)
		if err != nil {
			var re *rules.RuleError
			if errors.As(err, &re) && re.Index < len(split[ch]) {
				r := split[ch][re.Index]
				return nil, &layerError{r.layer, r.index, re.Err}
			}
			return nil, &layerError{"", -1, err}
		}
		ce := channelEngine{engine: e, rules: e.Rules()}
		ce.paths = make([]string, len(ce.rules))
		ce.paths[0] = "(default)"
		for i := 1; i < len(ce.rules); i++ {
			ce.paths[i] = channelPrefix[ch] + normalized(ce.rules[i].Path)
		}
		c.ch[ch] = ce
	}
	return c, nil
}

// merge returns base with extra laid over it: an extra rule replaces a base
// rule on the same path, except a floor, which nothing replaces.
func merge(base, extra []sourced) []sourced {
	if len(extra) == 0 {
		return base
	}
	over, floors := map[string]bool{}, map[string]bool{}
	for _, r := range base {
		if r.Floor {
			floors[ruleKey(r.Path)] = true
		}
	}
	for _, r := range extra {
		over[ruleKey(r.Path)] = true
	}
	out := make([]sourced, 0, len(base)+len(extra))
	for _, r := range base {
		if r.Floor || !over[ruleKey(r.Path)] {
			out = append(out, r)
		}
	}
	for _, r := range extra {
		if !floors[ruleKey(r.Path)] {
			out = append(out, r)
		}
	}
	return out
}

func normalized(path string) string {
	n, err := rules.NormalizePath(path)
	if err != nil {
		return path // Compile reports the error
	}
	return n
}

// displayPath is a rule path as records and scopes name it: the channel's
// prefix and the normalized path within the channel.
func displayPath(path string) string {
	ch, rest := channelOf(path)
	return channelPrefix[ch] + normalized(rest)
}

// ruleKey identifies the value a rule addresses: rules with one key replace
// each other when layers merge.
func ruleKey(path string) string {
	ch, rest := channelOf(path)
	return string(rune('0'+ch)) + normalized(rest)
}

// engine returns the engine for a purpose (already checked to be listed).
func (ps *policySet) engine(purpose string) *compiled {
	if c, ok := ps.engines[purpose]; ok {
		return c
	}
	return ps.engines[""]
}

// grant returns the consent rules' paths a token's scope releases, in
// policy order. Scope entries that name no consent rule release nothing.
func (ps *policySet) grant(scope []string) []string {
	all := slices.Contains(scope, "*")
	var granted []string
	for _, p := range ps.consentPaths {
		if all || slices.ContainsFunc(scope, func(s string) bool { return displayPath(s) == p }) {
			granted = append(granted, p)
		}
	}
	return granted
}

// widen returns the engine for purpose with the granted consent rules.
func (ps *policySet) widen(purpose string, granted []string) (*compiled, error) {
	key := purpose + "\x00" + strings.Join(granted, "\x00")
	if c, ok := ps.widened.Load(key); ok {
		return c.(*compiled), nil
	}
	var extra []sourced
	for i, p := range ps.consentPaths {
		if slices.Contains(granted, p) {
			extra = append(extra, ps.consent[i])
		}
	}
	c, err := ps.compile(merge(merge(ps.base, ps.purposes[purpose]), extra))
	if err != nil {
		return nil, fmt.Errorf("widening for consent: %w", err)
	}
	// A consent widens the body alone: a category rule also applies to the
	// query string (compile), where nothing proves whose data it is.
	narrow := ps.engine(purpose)
	c.ch[chQuery], c.ch[chHeader] = narrow.ch[chQuery], narrow.ch[chHeader]
	if ps.nWidened.Add(1) <= maxWidened {
		ps.widened.Store(key, c)
	}
	return c, nil
}
