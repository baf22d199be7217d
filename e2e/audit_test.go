package e2e

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// canaryBody plants a unique value in every field; none may appear in any
// log line, at any level.
const canaryBody = `{"order":{"id":"canary-order-1"},"customer":{"id":"cus_8812","name":"canary-name-2","email":"canary-email-3@example.com",` +
	`"phone":"canary-phone-4","password":"canary-password-5"},"notes":"canary-notes-6","items":[{"sku":"canary-sku-7","qty":73901846251}]}`

var canaries = []string{"canary-order-1", "canary-name-2", "canary-email-3", "canary-phone-4", "canary-password-5", "canary-notes-6", "canary-sku-7", "73901846251", "cus_8812"}

// TestDisclosureRecordAndMetrics checks the audit record field by field,
// the metrics on the admin endpoint (also across a config reload), and that
// no body value reaches any log line with debug logging and access logs on.
func TestDisclosureRecordAndMetrics(t *testing.T) {
	t.Parallel()
	k := newConsentKeys(t)
	u := newUpstream(t)
	conf := globalOptions("debug") + site(`
	log {
		format filter {
			request>headers>Data-Consent delete
		}
	}
	route /shop {
		minimize shop {
			purposes support
			keep order.id items.#.sku
			redact notes
			never customer.password
			consent {
				keys {{.JWKS}}
				subject customer.id
				keep customer.email customer.password
			}
		}
		reverse_proxy {{.Upstream}}
	}`)
	g := startGateway(t, conf, map[string]string{"Upstream": u.addr(), "JWKS": k.jwks})
	tok := k.mint(t, jose.EdDSA, "ed-2026", claims{Jti: "jti-audit-1"})

	status, _, resp := post(t, g.url("/shop"), "application/json", []byte(canaryBody), "Data-Purpose", "support", "Data-Consent", tok)
	want := `{"order":{"id":"canary-order-1"},"customer":{"email":"canary-email-3@example.com"},"notes":"[REDACTED]","items":[{"sku":"canary-sku-7"}]}`
	if status != 200 || string(resp) != want {
		t.Fatalf("%d %s", status, resp)
	}
	a := nthAudit(t, g, 1)
	// In priority order (default, then by literal count and strictness,
	// floors last), then the headers: Content-Type, Data-Purpose, User-Agent.
	fields := "[{drop (default) 4 false} {redact notes 1 false} {keep customer.email 1 false} {keep items.#.sku 1 false} {keep order.id 1 false} {drop customer.password 1 true} {keep header.(default) 3 false}]"
	if a.Msg != "disclosure" || a.Mode != "enforce" || a.Partner != "shop" || a.Purpose != "support" ||
		!regexp.MustCompile(`^[0-9a-f-]{36}$`).MatchString(a.RequestID) || !regexp.MustCompile(`^sha256:[0-9a-f]{32}$`).MatchString(a.Policy) ||
		a.Consent.Outcome != "valid" || a.Consent.JTI != "jti-audit-1" || fmt.Sprint(a.Consent.Granted) != "[customer.email customer.password]" ||
		a.Outcome != "forwarded" || a.Problem != "" || a.Status != 0 ||
		a.BytesIn != len(canaryBody) || a.BytesOut != len(want) || fmt.Sprint(a.Fields) != fields ||
		fmt.Sprint(a.Categories.Clear, a.Categories.Transformed) != "[contact] []" {
		t.Errorf("audit record %+v\nfields want %s", a, fields)
	}

	dup := strings.Replace(canaryBody, `"notes"`, `"NOTES":"canary-dup-8","notes"`, 1)
	if status, _, _ := post(t, g.url("/shop"), "application/json", []byte(dup), "Data-Purpose", "support"); status != 400 {
		t.Errorf("duplicate: %d", status)
	}
	a = nthAudit(t, g, 2)
	if a.Outcome != "rejected" || a.Problem != "duplicate-key" || a.Status != 400 || a.Consent.Outcome != "none" || a.Fields != nil || a.BytesOut != 0 ||
		a.Categories.Clear != nil || a.Categories.Transformed != nil {
		t.Errorf("rejected record %+v", a)
	}
	if status, _, _ := post(t, g.url("/shop"), "application/json", []byte(canaryBody), "Data-Purpose", "canary-purpose-9"); status != 403 {
		t.Errorf("bad purpose: %d", status)
	}
	a = nthAudit(t, g, 3)
	if a.Purpose != "(invalid)" || a.Problem != "purpose-required" || a.Status != 403 {
		t.Errorf("purpose record %+v", a)
	}

	m := scrape(t, g)
	for _, line := range []string{
		`caddy_minimize_requests_total{outcome="forwarded",partner="shop",purpose="support"} 1`,
		`caddy_minimize_requests_total{outcome="rejected",partner="shop",purpose="support"} 1`,
		`caddy_minimize_requests_total{outcome="rejected",partner="shop",purpose="(invalid)"} 1`,
		`caddy_minimize_fields_total{action="drop",partner="shop"} 5`,
		`caddy_minimize_fields_total{action="keep",partner="shop"} 6`, // 3 body fields, 3 headers
		`caddy_minimize_fields_total{action="redact",partner="shop"} 1`,
		`caddy_minimize_consent_total{outcome="valid",partner="shop"} 1`,
		`caddy_minimize_consent_total{outcome="none",partner="shop"} 2`,
		`caddy_minimize_rewrite_duration_seconds_count{partner="shop"} 2`,
	} {
		if !strings.Contains(m, "\n"+line+"\n") {
			t.Errorf("metrics lack %s", line)
		}
	}

	// Reload the same config through the admin API: metrics stay registered
	// and keep counting.
	cfg := adaptCaddyfile(t, g.Path)
	if status, _, resp := post(t, "http://"+g.Admin+"/load", "application/json", cfg); status != 200 {
		t.Fatalf("reload: %d %s", status, resp)
	}
	if status, _, _ := post(t, g.url("/shop"), "application/json", []byte(canaryBody), "Data-Purpose", "support"); status != 200 {
		t.Fatalf("after reload: %d", status)
	}
	if m := scrape(t, g); !strings.Contains(m, `caddy_minimize_requests_total{outcome="forwarded",partner="shop",purpose="support"} 2`) {
		t.Errorf("after reload the forwarded count is not 2:\n%s", grepLines(m, "caddy_minimize_requests_total"))
	}
	nthAudit(t, g, 4)
	// The consent token carries the subject's id: with the access log's
	// filter (as the README shows), it appears nowhere either.
	assertNoCanary(t, g.logs(), append(canaries, "canary-dup-8", tok[strings.LastIndexByte(tok, '.')-20:])...)
	if !strings.Contains(g.logs(), `"logger":"http.log.access`) {
		t.Error("access logging was not on")
	}
	if !strings.Contains(g.logs(), `"level":"debug"`) {
		t.Error("debug logging was not on; the canary check proves less than it says")
	}
}

func scrape(t *testing.T, g *gateway) string {
	t.Helper()
	status, _, body := doRequest(t, "GET", "http://"+g.Admin+"/metrics", nil)
	if status != 200 {
		t.Fatalf("metrics: %d", status)
	}
	return "\n" + string(body)
}

func grepLines(s, substr string) string {
	var b bytes.Buffer
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		if strings.Contains(sc.Text(), substr) {
			b.WriteString(sc.Text() + "\n")
		}
	}
	return b.String()
}

// TestRecordedWhenSent: the record of a disclosure is on the log as soon as
// the proxy has read the minimized body to send it, while the partner is
// still answering, over HTTP/1 and HTTP/2 and with request_buffers; its
// duration is the gateway's own time, not the partner's. A route that
// rewrites responses records once the response is rewritten, since the
// record holds what the response carried.
func TestRecordedWhenSent(t *testing.T) {
	t.Parallel()
	u := newUpstream(t)
	h2 := httptest.NewUnstartedServer(nil) // binds 127.0.0.1:0
	h2.Config.Protocols = new(http.Protocols)
	h2.Config.Protocols.SetUnencryptedHTTP2(true)
	var g *gateway
	count := func(partner string) int {
		n := 0
		for _, line := range strings.Split(g.logs(), "\n") {
			if strings.Contains(line, `"logger":"http.handlers.minimize.audit"`) && strings.Contains(line, `"partner":"`+partner+`"`) {
				n++
			}
		}
		return n
	}
	const partnerTime = 300 * time.Millisecond
	var waited sync.Map // partner → how long it waited for the record
	answer := func(w http.ResponseWriter, r *http.Request, body []byte) {
		start := time.Now()
		partner := strings.TrimPrefix(r.URL.Path, "/")
		if partner == "api" {
			partner = "partner-api"
		}
		if partner != "partner-api" {
			for count(partner) == 0 && time.Since(start) < 10*time.Second {
				time.Sleep(5 * time.Millisecond)
			}
			waited.Store(partner, time.Since(start))
		}
		time.Sleep(partnerTime)
		if partner == "partner-api" {
			if n := count(partner); n != 0 {
				t.Errorf("a route that rewrites responses recorded %d disclosures before the response", n)
			}
			body = []byte(`{"order":{"id":"o-9","status":"shipped","customer":{"email":"canary-resp@example.com"}}}`)
		}
		echoHandler(w, r, body)
	}
	u.setHandler(answer)
	h2.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ProtoMajor != 2 {
			t.Errorf("the h2c upstream was asked over %s", r.Proto)
		}
		body, _ := io.ReadAll(r.Body)
		answer(w, r, body)
	})
	h2.Start()
	t.Cleanup(h2.Close)
	g = startGateway(t, globalBlock+site(`
	route /shop {
		minimize shop {
			keep order.id
		}
		reverse_proxy {{.Upstream}}
	}
	route /shop-h2 {
		minimize shop-h2 {
			keep order.id
		}
		reverse_proxy h2c://{{.H2}}
	}
	route /shop-buffered {
		minimize shop-buffered {
			keep order.id
		}
		reverse_proxy {{.Upstream}} {
			request_buffers 64KiB
		}
	}`+apiPolicy), map[string]string{"Upstream": u.addr(), "H2": strings.TrimPrefix(h2.URL, "http://")})

	for i, partner := range []string{"shop", "shop-h2", "shop-buffered"} {
		status, _, resp := post(t, g.url("/"+partner), "application/json", []byte(`{"order":{"id":"o-1","email":"canary-sent@example.com"}}`))
		if status != 200 || string(resp) != `{"order":{"id":"o-1"}}` {
			t.Fatalf("%s: %d %s", partner, status, resp)
		}
		if w, _ := waited.Load(partner); w == nil || w.(time.Duration) >= 10*time.Second {
			t.Errorf("%s: the disclosure was not recorded while the partner answered (waited %v)", partner, w)
		}
		a := nthAudit(t, g, i+1)
		if a.Partner != partner || a.Outcome != "forwarded" || a.BytesOut != len(`{"order":{"id":"o-1"}}`) || a.Duration <= 0 || a.Duration >= partnerTime.Seconds() {
			t.Errorf("%s: record %+v: want forwarded, its bytes, and a duration of the gateway's alone (under %v)", partner, a, partnerTime)
		}
	}

	status, _, resp := post(t, g.url("/api"), "application/json", []byte(`{"order":{"id":"o-9"}}`))
	if status != 200 || string(resp) != `{"order":{"id":"o-9","status":"shipped"}}` {
		t.Fatalf("api: %d %s", status, resp)
	}
	a := nthAudit(t, g, 4)
	if a.Partner != "partner-api" || a.Response == nil || a.Response.Mode != "minimize" || a.Duration <= 0 || a.Duration >= partnerTime.Seconds() {
		t.Errorf("api record %+v (response %+v): want the response's record, and a duration of the gateway's alone", a, a.Response)
	}
	for _, partner := range []string{"shop", "shop-h2", "shop-buffered", "partner-api"} {
		if n := count(partner); n != 1 {
			t.Errorf("%s: %d records, want one", partner, n)
		}
	}
	assertNoCanary(t, g.logs(), "canary-sent", "canary-resp")
}
