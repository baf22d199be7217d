package module

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/caddy-minimize/caddy-minimize/rules"
)

// taxonomy returns the handler's taxonomy: the built-in one (nil) unless
// the policy defines or extends categories.
func (h *Handler) taxonomy() (*rules.Taxonomy, error) {
	if len(h.Categories) == 0 {
		return nil, nil
	}
	t := rules.NewTaxonomy()
	for _, name := range slices.Sorted(maps.Keys(h.Categories)) {
		c := h.Categories[name]
		if err := t.Extend(name, c.Fields, c.Detectors); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// floorRules returns the drops that hold the floor categories in bodies and
// (as bare category rules) query strings. Headers are left to the built-in
// header rules: a partner's API key travels in Authorization.
// A rule in base or in another layer (a purpose, the consent) that names a
// floor category is an error: it could never apply.
func (h *Handler) floorRules(t *rules.Taxonomy, base []rules.Rule, layers ...[]rules.Rule) ([]rules.Rule, error) {
	floors := h.Floors
	if floors == nil {
		floors = DefaultFloors
	}
	if slices.Contains(floors, "none") {
		if len(floors) > 1 {
			return nil, fmt.Errorf("floor none cannot be listed with categories")
		}
		return nil, nil
	}
	if t == nil {
		t = rules.NewTaxonomy()
	}
	released, floored := map[string]rules.Rule{}, map[string]bool{}
	for _, rs := range append([][]rules.Rule{base}, layers...) {
		for _, r := range rs {
			if n := displayPath(r.Path); r.Floor {
				floored[n] = true
			} else {
				released[n] = r
			}
		}
	}
	var out []rules.Rule
	for _, c := range floors {
		if _, ok := t.Category(c); !ok {
			return nil, fmt.Errorf("floor %q: unknown category (known: %v)", c, t.Categories())
		}
		// Any rule naming the category (`@c`, `query.@c`, `customer.@c`)
		// could never apply.
		for _, path := range slices.Sorted(maps.Keys(released)) {
			if ch, _ := channelOf(path); ch == chHeader || path != "@"+c && !strings.HasSuffix(path, ".@"+c) {
				continue // headers have no category floor
			}
			r := released[path]
			if r.Action == rules.Drop {
				return nil, fmt.Errorf("drop %s: %s is a floor category, dropped already; remove the rule", r.Path, c)
			}
			return nil, fmt.Errorf("%s %s: %s is a floor category, which no rule releases (see floor)", r.Action, r.Path, c)
		}
		if !floored["@"+c] { // unless also written as never
			out = append(out, rules.Rule{Path: "@" + c, Action: rules.Drop, Floor: true})
		}
	}
	return out, nil
}
