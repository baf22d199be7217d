package rules

import (
	"strings"
	"testing"
)

func TestSelector(t *testing.T) {
	doc := []byte(`{"customer":{"ID":"c-1"},"orders":[{"customer":{"id":7}},{"customer":{"id":"c-2"}},{"x":1}],"n":{"id":true}}`)
	for _, tt := range []struct{ path, want string }{
		{"customer.id", "c-1"},
		{"orders.#.customer.id", "7,c-2"},
		{"orders.1.customer.id", "c-2"},
		{"n.id", ""},
		{"missing.id", ""},
	} {
		s, err := NewSelector(tt.path)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		s.Select(doc, func(v string) { got = append(got, v) })
		if strings.Join(got, ",") != tt.want {
			t.Errorf("%s: %q, want %q", tt.path, got, tt.want)
		}
	}
	for _, bad := range []string{"*.id", "**.id", "a..b"} {
		if _, err := NewSelector(bad); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}
