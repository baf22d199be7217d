package module

import (
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"
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

// TestHeadersForwarded: headers the policy leaves alone go on as they
// came (the handler keeps them rather than rebuilding them); a value that
// is not UTF-8 goes on as the engine saw it, with U+FFFD, as does every
// header when the policy changed one.
func TestHeadersForwarded(t *testing.T) {
	h := &Handler{Partner: "p", Rules: []RuleConfig{{Action: "keep", Path: "id"}, {Action: "drop", Path: "header.x-drop"}}}
	if err := h.setup(nil); err != nil {
		t.Fatal(err)
	}
	if err := registerMetrics(nil); err != nil {
		t.Fatal(err)
	}
	h.logger, h.audit = zap.NewNop(), zap.NewNop()
	for _, tt := range []struct {
		in, want http.Header
		kept     bool // the request's own header map goes on
	}{
		{
			http.Header{"Accept": {"a/b", "c/d"}, "X-Note": {`say "hi"` + "\t!"}},
			http.Header{"Accept": {"a/b", "c/d"}, "X-Note": {`say "hi"` + "\t!"}}, true,
		},
		{
			http.Header{"Accept": {"a/b"}, "X-Note": {"caf\xe9"}},
			http.Header{"Accept": {"a/b"}, "X-Note": {"caf\ufffd"}}, false,
		},
		{
			http.Header{"Accept": {"a/b"}, "X-Drop": {"x"}, "X-Note": {"caf\xe9"}},
			http.Header{"Accept": {"a/b"}, "X-Note": {"caf\ufffd"}}, false,
		},
		{
			http.Header{"Accept": {"a/b"}, "X-Forwarded-For": {"203.0.113.7"}},
			http.Header{"Accept": {"a/b"}}, false,
		},
	} {
		r := httptest.NewRequest(http.MethodPost, "http://gw/", strings.NewReader(`{"id":1,"x":2}`))
		maps.Copy(r.Header, tt.in)
		r.Header.Set("Content-Type", "application/json")
		orig := reflect.ValueOf(r.Header).Pointer()
		var got http.Header
		var kept bool
		next := caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
			got, kept = r.Header.Clone(), reflect.ValueOf(r.Header).Pointer() == orig
			_, err := io.Copy(io.Discard, r.Body)
			return err
		})
		if err := h.ServeHTTP(httptest.NewRecorder(), r, next); err != nil {
			t.Fatal(err)
		}
		want := maps.Clone(tt.want)
		want["Content-Type"], want["Content-Length"] = []string{"application/json"}, []string{"8"}
		if fmt.Sprint(got) != fmt.Sprint(want) || kept != tt.kept {
			t.Errorf("%q: forwarded %q (the request's map: %v), want %q (%v)", tt.in, got, kept, want, tt.kept)
		}
	}
}
