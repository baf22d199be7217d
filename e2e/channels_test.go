package e2e

import (
	"fmt"
	"strings"
	"testing"
)

const channelPolicy = `
	route /c {
		minimize p {
			key {env.MINIMIZE_KEY}
			keep name query.page query.sort header.cookie
			pseudonymize query.user header.x-customer
			mask email email
			generalize query.age bucket/10
			drop header.x-trace-secret
		}
		reverse_proxy {{.Upstream}}
	}`

// TestQueryHeadersAndForms: one policy covers the query string, the
// headers and form bodies, deny by default for the query, identifying
// headers dropped unless kept.
func TestQueryHeadersAndForms(t *testing.T) {
	t.Parallel()
	u := newUpstream(t)
	g := startGateway(t, globalBlock+site(channelPolicy), map[string]string{"Upstream": u.addr()}, "MINIMIZE_KEY="+testKey)

	status, _, _ := doRequest(t, "GET", g.url("/c?page=2&email=canary-q%40example.com&user=u-1&age=37&sort=a&sort=b&token=canary-tok"), nil,
		"Cookie", "sid=kept", "X-Forwarded-For", "198.51.100.7", "X-Real-IP", "198.51.100.7", "X-User-Email", "canary-h@example.com",
		"X-Customer", "cus_42", "X-Trace-Secret", "canary-secret", "Accept", "application/json")
	if status != 200 {
		t.Fatalf("GET: %d", status)
	}
	r := u.last(t)
	wantURI := "/c?page=2&user=" + pseudonym(t, "p", "u-1") + "&age=30&sort=a&sort=b"
	if r.URI != wantURI {
		t.Errorf("upstream URI %s, want %s", r.URI, wantURI)
	}
	if r.Header.Get("Cookie") != "sid=kept" || r.Header.Get("X-Customer") != pseudonym(t, "p", "cus_42") || r.Header.Get("Accept") != "application/json" ||
		r.Header.Get("X-Real-Ip") != "" || r.Header.Get("X-User-Email") != "" || r.Header.Get("X-Trace-Secret") != "" {
		t.Errorf("upstream headers %v", r.Header)
	}
	// reverse_proxy adds X-Forwarded-For itself, after minimize: the client
	// is the app next door, and the README says how to remove it.
	if xff := r.Header.Values("X-Forwarded-For"); fmt.Sprint(xff) != "[127.0.0.1]" {
		t.Errorf("X-Forwarded-For %v", xff)
	}

	form := "name=Ann+Lee&email=canary-f%40example.com&ssn=canary-ssn&name2=x"
	status, _, resp := post(t, g.url("/c"), "application/x-www-form-urlencoded", []byte(form))
	want := "name=Ann+Lee&email=c%2A%2A%2A%2A%2A%2A%2A%40example.com"
	if status != 200 || string(resp) != want || string(u.last(t).Body) != want || u.last(t).ContentLength != int64(len(want)) {
		t.Errorf("form: %d %s, want %s", status, resp, want)
	}

	for _, c := range []struct{ name, target, ctype, body, detail string }{
		{"bad query escape", "/c?q=%zz", "", "", "the query string is not valid URL encoding, or not minimizable"},
		{"case-variant query keys", "/c?Email=a&email=b", "", "", "the query string is not valid URL encoding, or not minimizable"},
		{"bad form escape", "/c", "application/x-www-form-urlencoded", "a=%zz", "the form body is not valid URL encoding"},
		{"form with case-variant keys", "/c", "application/x-www-form-urlencoded", "Name=a&name=b", "duplicate key at byte offset 12 (keys are compared decoded and case-insensitively)"},
	} {
		n := u.count()
		var body []byte
		var hdrs []string
		if c.ctype != "" {
			body, hdrs = []byte(c.body), []string{"Content-Type", c.ctype}
		}
		status, _, resp := doRequest(t, "POST", g.url(c.target), body, hdrs...)
		if status != 400 || !strings.Contains(string(resp), `"detail":"`+c.detail+`"`) || u.count() != n {
			t.Errorf("%s: %d %s", c.name, status, resp)
		}
	}
	a := nthAudit(t, g, 1)
	fields := fmt.Sprint(a.Fields)
	for _, f := range []string{"{drop query.(default) 2 false}", "{pseudonymize query.user 1 false}", "{generalize query.age 1 false}", "{keep query.sort 2 false}",
		"{drop header.x-real-ip 1 false}", "{drop header.x-user-email 1 false}", "{drop header.x-trace-secret 1 false}", "{keep header.cookie 1 false}",
		"{pseudonymize header.x-customer 1 false}"} {
		if !strings.Contains(fields, f) {
			t.Errorf("audit fields %s lack %s", fields, f)
		}
	}
	assertNoCanary(t, g.logs(), "canary-")
}

// TestChannelPrefixIgnoresCase: `Header.` and `Query.` name the header and
// query channels, as the rest of a path ignores case.
func TestChannelPrefixIgnoresCase(t *testing.T) {
	t.Parallel()
	u := newUpstream(t)
	g := startGateway(t, globalBlock+site(`
	route /x {
		minimize p {
			default keep
			drop Header.X-Trace Query.trace
		}
		reverse_proxy {{.Upstream}}
	}`), map[string]string{"Upstream": u.addr()})
	status, _, _ := post(t, g.url("/x?trace=canary-q&n=1"), "application/json", []byte(`{"header":{"x-trace":"b"},"n":1}`), "X-Trace", "canary-h")
	r := u.last(t)
	if status != 200 || r.URI != "/x?n=1" || r.Header.Get("X-Trace") != "" || string(r.Body) != `{"header":{"x-trace":"b"},"n":1}` {
		t.Errorf("%d %s %v %s", status, r.URI, r.Header, r.Body)
	}
}
