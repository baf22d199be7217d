package module

import (
	"maps"
	"mime"
	"net/http"
	"slices"
	"testing"
)

// TestParseMediaTypeFastPath: the shortcut answers as mime.ParseMediaType.
func TestParseMediaTypeFastPath(t *testing.T) {
	for _, v := range []string{"application/json", "Application/JSON", "application/json; charset=utf-8", "application/json ", "", "text/plain"} {
		mt, params, err := parseMediaType(v)
		wmt, wparams, werr := mime.ParseMediaType(v)
		if mt != wmt || !maps.Equal(params, wparams) || (err == nil) != (werr == nil) {
			t.Errorf("parseMediaType(%q) = %q %v %v, want %q %v %v", v, mt, params, err, wmt, wparams, werr)
		}
	}
}

// TestHeaderFromJSONValues: headers rebuilt from one backing array keep
// their values apart; appending to one header does not touch the next.
func TestHeaderFromJSONValues(t *testing.T) {
	orig := http.Header{"A": {"1", "2"}, "B": {"3"}, "C": {"4", "5", "6"}, "Content-Length": {"9"}}
	h := headerFromJSON([]byte(`{"A":["1","2"],"B":"3","C":["4","5","6"]}`), orig)
	want := http.Header{"A": {"1", "2"}, "B": {"3"}, "C": {"4", "5", "6"}, "Content-Length": {"9"}}
	if !maps.EqualFunc(h, want, slices.Equal) {
		t.Fatalf("headerFromJSON = %v, want %v", h, want)
	}
	h.Add("A", "x")
	h.Add("B", "y")
	if !slices.Equal(h["B"], []string{"3", "y"}) || !slices.Equal(h["C"], []string{"4", "5", "6"}) {
		t.Errorf("after Add: %v", h)
	}
}
