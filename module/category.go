package module

import (
	"fmt"
	"maps"
	"slices"

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
func (h *Handler) floorRules(t *rules.Taxonomy, base []rules.Rule) ([]rules.Rule, error) {
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
	named := map[string]rules.Rule{}
	for _, r := range base {
		named[displayPath(r.Path)] = r
	}
	var out []rules.Rule
	for _, c := range floors {
		if _, ok := t.Category(c); !ok {
			return nil, fmt.Errorf("floor %q: unknown category (known: %v)", c, t.Categories())
		}
		// The body's bare category rules hold in the query string too.
		for _, path := range []string{"@" + c, "query.@" + c} {
			if r, ok := named[path]; ok && !r.Floor {
				return nil, fmt.Errorf("%s %s: %s is a floor category, which no rule releases (see floor)", r.Action, r.Path, c)
			}
		}
		if r, ok := named["@"+c]; !ok || !r.Floor {
			out = append(out, rules.Rule{Path: "@" + c, Action: rules.Drop, Floor: true})
		}
	}
	return out, nil
}
