package rules

import (
	"fmt"
	"strings"
	"testing"
)

func TestExplain(t *testing.T) {
	e := mustCompile(t, Policy{Rules: []Rule{
		rule(Keep, "order.id"), rule(Mask, "card.number", "last4"), rule(Keep, "items.#.sku"), rule(Redact, "notes"),
		{Path: "**.password", Action: Drop, Floor: true},
	}})
	ds, err := e.Explain([]byte(`{"order":{"id":1,"x":2},"card":{"number":"4111111111111111"},"items":[{"sku":"A","n":1}],"notes":{"a":1},"pw":{"password":"p"},"a.b":3}`))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range ds {
		got = append(got, fmt.Sprintf("%s=%s %s whole=%v pruned=%v", d.Path, d.Rule.Action, d.Rule.Path, d.Whole, d.Pruned))
	}
	want := []string{
		"order.id=keep order.id whole=false pruned=false",
		"order.x=drop (default) whole=false pruned=false",
		"card.number=mask card.number whole=false pruned=false",
		"items.0.sku=keep items.#.sku whole=false pruned=false",
		"items.0.n=drop (default) whole=false pruned=false",
		"notes=redact notes whole=true pruned=false",
		// Drops below a drop change nothing: pw goes whole.
		"pw=drop (default) whole=true pruned=false",
		"a\\.b=drop (default) whole=false pruned=false",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if _, err := e.Explain([]byte(`{"a":1,"a":2}`)); !IsInputError(err) {
		t.Errorf("bad input: %v", err)
	}
}
