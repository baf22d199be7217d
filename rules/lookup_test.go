package rules

import "testing"

// TestSelectorEvery: a path holds for a document only if it reaches at
// least one value and every value it reaches is a scalar the check accepts;
// whatever a document leaves out or reshapes fails it.
func TestSelectorEvery(t *testing.T) {
	is := func(want ...string) func(string) bool {
		return func(v string) bool {
			for _, w := range want {
				if v == w {
					return true
				}
			}
			return false
		}
	}
	for _, tt := range []struct {
		path, doc string
		ok        func(string) bool
		want      bool
	}{
		{"customer.id", `{"customer":{"ID":"c-1"}}`, is("c-1"), true},
		{"customer.id", `{"customer":{"id":"c-2"}}`, is("c-1"), false},
		{"customer.id", `{"customer":{"id":7}}`, is("7"), true},
		{"customer.id", `{"customer":{"id":"c\u002d1"}}`, is("c-1"), true},
		{"orders.#.customer.id", `{"orders":[{"customer":{"id":"c-1"}},{"customer":{"id":"c-1"}}]}`, is("c-1"), true},
		{"orders.#.customer.id", `{"orders":[{"customer":{"id":"c-1"}},{"customer":{"id":"c-2"}}]}`, is("c-1"), false},
		{"orders.1.customer.id", `{"orders":[{"customer":{"id":"c-2"}},{"customer":{"id":"c-1"}}]}`, is("c-1"), true},
		// Nothing found: no subject.
		{"customer.id", `{"other":1}`, is("c-1"), false},
		{"orders.#.customer.id", `{"orders":[]}`, is("c-1"), false},
		{"orders.5.customer.id", `{"orders":[{"customer":{"id":"c-1"}}]}`, is("c-1"), false},
		// A branch that ends early or in the wrong shape fails the whole.
		{"orders.#.customer.id", `{"orders":[{"customer":{"id":"c-1"}},{"customer":{}}]}`, is("c-1"), false},
		{"orders.#.customer.id", `{"orders":[{"customer":{"id":"c-1"}},{"x":1}]}`, is("c-1"), false},
		{"orders.#.customer.id", `{"orders":[{"customer":{"id":"c-1"}},{"customer":{"id":null}}]}`, is("c-1"), false},
		{"orders.#.customer.id", `{"orders":[{"customer":{"id":"c-1"}},{"customer":{"id":{"v":"c-9"}}}]}`, is("c-1"), false},
		{"orders.#.customer.id", `{"orders":[{"customer":{"id":"c-1"}},{"customer":{"id":["c-9"]}}]}`, is("c-1"), false},
		{"orders.#.customer.id", `{"orders":[{"customer":{"id":"c-1"}},{"customer":null}]}`, is("c-1"), false},
		{"orders.#.customer.id", `{"orders":[{"customer":{"id":"c-1"}},[{"customer":{"id":"c-1"}}]]}`, is("c-1"), false},
		{"orders.#.customer.id", `{"orders":{"customer":{"id":"c-1"}}}`, is("c-1"), false},
		{"a.#.b.#.id", `{"a":[{"b":[{"id":"c-1"}]},{"b":[{"id":"c-1"},{"id":"c-1"}]}]}`, is("c-1"), true},
		{"a.#.b.#.id", `{"a":[{"b":[{"id":"c-1"}]},{"b":[]}]}`, is("c-1"), false},
		{"customer.id", `{"customer":[{"id":"c-1"}]}`, is("c-1"), false},
		{"n.id", `{"n":{"id":true}}`, is("true"), false},
		// An index may lead to the value's object, not be the value.
		{"people.0", `{"people":["c-1"]}`, is("c-1"), false},
		{"0", `["c-1"]`, is("c-1"), false},
		{"people.0.id", `{"people":[{"id":"c-1"},{"id":"c-2"}]}`, is("c-1"), true},
	} {
		s, err := NewSelector(tt.path)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.Every([]byte(tt.doc), tt.ok); got != tt.want {
			t.Errorf("%s in %s: %v, want %v", tt.path, tt.doc, got, tt.want)
		}
	}
	for _, bad := range []string{"*.id", "**.id", "a..b", "customer.@identity", "ids.#"} {
		if _, err := NewSelector(bad); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

// TestSelectorCovers: Every vouches for what lies inside the object that
// holds the selector's value, whatever the pattern, and for literal paths
// elsewhere whose every # stands where the selector's path has one.
func TestSelectorCovers(t *testing.T) {
	for _, tt := range []struct {
		subject, path string
		want          bool
	}{
		{"customer.id", "customer.email", true},
		{"customer.id", "Customer.Email", true},
		{"customer.id", "customer", true},
		{"customer.id", "customer.address.*", true},
		{"customer.id", "customer.**.email", true},
		{"customer.id", "customer.@contact", true},
		{"customer.id", "shipping.email", true}, // a literal path: the caller's claim
		{"customer.id", "friends.0.email", true},
		{"customer.id", "friends.#.email", false},
		{"customer.id", "@contact", false},
		{"customer.id", "**.email", false},
		{"customer.id", "*.email", false},
		{"customer.id", "prefs.@contact", false},
		{"orders.#.customer.id", "orders.#.customer.email", true},
		{"orders.#.customer.id", "orders.#.total", true},
		{"orders.#.customer.id", "orders.#.items.#.sku", false},
		{"orders.#.customer.id", "orders.*.customer.email", false},
		{"orders.#.customer.id", "orders.#.*.email", false},
		{"orders.#.customer.id", "orders.0.customer.email", true},
		{"orders.#.customer.id", "refunds.#.customer.email", false},
		{"orders", "@contact", true},
		{"id", "**.email", true},
	} {
		s, err := NewSelector(tt.subject)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := s.Covers(tt.path); err != nil || got != tt.want {
			t.Errorf("%s covers %s: %v %v, want %v", tt.subject, tt.path, got, err, tt.want)
		}
	}
}

// TestArrayIndex: a literal segment indexes an array, for the engine and
// for Every alike, only as digits without a sign or a leading zero.
func TestArrayIndex(t *testing.T) {
	for seg, want := range map[string]int{"0": 0, "12": 12, "01": -1, "+1": -1, "-0": -1, "1e2": -1, "": -1, "x": -1} {
		if got := arrayIndex(seg); got != want {
			t.Errorf("arrayIndex(%q) = %d, want %d", seg, got, want)
		}
	}
}
