package e2e

import (
	"encoding/base64"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// oldKey is a second master key, for rotation.
var oldKey = base64.StdEncoding.EncodeToString([]byte("an older master key, 32 bytes!!!"))

const tokenPolicy = `
	route /crm {
		minimize crm {
			key {env.MINIMIZE_KEY}
			old_keys {env.OLD_KEY}
			keep note
			tokenize customer.id customer.email
			response detokenize
		}
		reverse_proxy {{.Upstream}}
	}`

// TestTokensRoundTrip: values leave as tokens and come back as originals
// when the partner echoes them; tokens of the rotated-out key still decode.
func TestTokensRoundTrip(t *testing.T) {
	t.Parallel()
	u := newUpstream(t)
	// The old gateway, before rotation, makes tokens under oldKey.
	gOld := startGateway(t, globalBlock+site(strings.Replace(tokenPolicy, "\t\t\told_keys {env.OLD_KEY}\n", "", 1)),
		map[string]string{"Upstream": u.addr()}, "MINIMIZE_KEY="+oldKey)
	body := []byte(`{"customer":{"id":90417253861,"email":"canary-tok@example.com","name":"Ann"},"note":"hi"}`)
	status, _, resp := post(t, gOld.url("/crm"), "application/json", body)
	if status != 200 || string(resp) != `{"customer":{"id":90417253861,"email":"canary-tok@example.com"},"note":"hi"}` {
		t.Fatalf("the echo comes back detokenized: %d %s", status, resp)
	}
	sent := string(u.last(t).Body)
	m := regexp.MustCompile(`^\{"customer":\{"id":"(tk_[\w-]{4}_[\w-]+)","email":"(tk_[\w-]{4}_[\w-]+)"\},"note":"hi"\}$`).FindStringSubmatch(sent)
	if m == nil {
		t.Fatalf("the partner got %s", sent)
	}

	// After rotation, a partner's response carries the old tokens, moved
	// around, beside one forged token.
	g := startGateway(t, globalBlock+site(tokenPolicy), map[string]string{"Upstream": u.addr()}, "MINIMIZE_KEY="+testKey, "OLD_KEY="+oldKey)
	forged := "tk_" + m[1][3:7] + "_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	u.respond(200, "application/json", []byte(`{"match":{"customer":"`+m[1]+`","contact":"`+m[2]+`"},"forged":"`+forged+`"}`))
	status, hdr, resp := post(t, g.url("/crm"), "application/json", body)
	if status != 200 || string(resp) != `{"match":{"customer":90417253861,"contact":"canary-tok@example.com"},"forged":"`+forged+`"}` ||
		hdr.Get("Content-Length") != strconv.Itoa(len(resp)) {
		t.Errorf("detokenized response: %d %s", status, resp)
	}
	// New tokens are made under the new key.
	if sentNew := string(u.last(t).Body); !strings.Contains(sentNew, `"tk_`) || strings.Contains(sentNew, m[1]) {
		t.Errorf("new tokens: %s", sentNew)
	}
	a := nthAudit(t, g, 1)
	if a.Response == nil || a.Response.Mode != "detokenize" || a.Response.Restored != 2 || a.Response.Failed != 1 {
		t.Errorf("audit response %+v", a.Response)
	}
	assertNoCanary(t, gOld.logs()+g.logs(), "canary-tok", "90417253861")
}

const apiPolicy = `
	route /api {
		minimize partner-api {
			keep order.id order.status
			max_body 4KiB
			response minimize
		}
		reverse_proxy {{.Upstream}}
	}`

// TestResponsesAreMinimized: a partner calling an internal API through the
// gateway gets minimized responses, or a 502, never the raw body.
func TestResponsesAreMinimized(t *testing.T) {
	t.Parallel()
	u := newUpstream(t)
	g := startGateway(t, globalBlock+site(apiPolicy), map[string]string{"Upstream": u.addr()})
	full := `{"order":{"id":"o-9","status":"shipped","customer":{"email":"canary-resp@example.com"}}}`
	for _, c := range []struct {
		name, ctype, coding, body string
		status                    int
		want                      string
	}{
		{"json", "application/json", "", full, 200, `{"order":{"id":"o-9","status":"shipped"}}`},
		{"gzip although identity was asked", "application/json", "gzip", full, 200, `{"order":{"id":"o-9","status":"shipped"}}`},
		{"an error body is minimized too", "application/problem+json", "", `{"detail":"canary-resp@example.com not found","order":{"id":"o-9"}}`, 200, `{"order":{"id":"o-9"}}`},
		{"html", "text/html", "", "<p>canary-resp@example.com</p>", 502, "the upstream's response is not JSON, and this route lets no other type through"},
		{"malformed", "application/json", "", `{"order":{"id":"canary-resp"}`, 502, "the upstream's response could not be minimized: body is not a single valid JSON document"},
		{"too large", "application/json", "", `{"pad":"` + strings.Repeat("canary-resp ", 400) + `"}`, 502, "the upstream's response is larger than this route's limit of 4096 bytes"},
		{"bad gzip", "application/json", "gzip", "canary-resp", 502, "the upstream's gzip response could not be decoded"},
	} {
		body := []byte(c.body)
		if c.coding != "" && c.name != "bad gzip" {
			body = compress(t, c.coding, body)
		}
		coding := c.coding
		u.setHandler(func(w http.ResponseWriter, r *http.Request, _ []byte) {
			if r.Header.Get("Accept-Encoding") != "identity" {
				t.Errorf("upstream was asked for %q", r.Header.Get("Accept-Encoding"))
			}
			w.Header().Set("Content-Type", c.ctype)
			w.Header().Set("Etag", `"v1"`)
			if coding != "" {
				w.Header().Set("Content-Encoding", coding)
			}
			_, _ = w.Write(body)
		})
		status, hdr, resp := doRequest(t, "GET", g.url("/api"), nil)
		got := string(resp)
		if c.status == 502 {
			if !strings.Contains(got, `"type":"urn:caddy-minimize:problem:unminimizable-response"`) {
				t.Errorf("%s: %d %s", c.name, status, resp)
			}
			got = regexp.MustCompile(`"detail":"((?:[^"\\]|\\.)*)"`).FindStringSubmatch(got)[1]
			got = strings.ReplaceAll(got, `\u0027`, "'")
		}
		if status != c.status || got != c.want || hdr.Get("Content-Encoding") != "" || hdr.Get("Etag") != "" {
			t.Errorf("%s: %d %q %v, want %d %q", c.name, status, got, hdr, c.status, c.want)
		}
	}
	assertNoCanary(t, g.logs(), "canary-resp")
}
