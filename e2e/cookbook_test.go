package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// The cookbook tests run each caddyfile/<partner>.Caddyfile exactly as it is
// checked in (as TestDemo runs the demo): free ports through the same
// environment variables an operator sets, the recording upstream as
// PARTNER_UPSTREAM, and the realistic payload in testdata/cookbook. Each
// asserts the exact bytes the partner received, and that what the policy
// keeps back is nowhere in them nor in anything Caddy logged.

// cookbookGateway starts caddyfile/<name>.Caddyfile with the e2e master key,
// the gateway and admin ports of the harness, and env on top.
func cookbookGateway(t *testing.T, name string, env ...string) *gateway {
	t.Helper()
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	conf, err := os.ReadFile(filepath.Join(root, "caddyfile", name+".Caddyfile"))
	if err != nil {
		t.Fatal(err)
	}
	port, admin := freePort(t), freePort(t)
	env = append([]string{"MINIMIZE_KEY=" + testKey, "GATEWAY_PORT=" + strconv.Itoa(port), "ADMIN_PORT=" + strconv.Itoa(admin)}, env...)
	return startGateway(t, string(conf), map[string]string{"Port": strconv.Itoa(port), "Admin": "127.0.0.1:" + strconv.Itoa(admin)}, env...)
}

// cookbookPayload reads testdata/cookbook/<name>.json.
func cookbookPayload(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "cookbook", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// tokenRE matches one token as `tokenize` writes it: tk_, a 4-character key
// id, _, base64url.
const tokenRE = `(tk_[A-Za-z0-9_-]{4}_[A-Za-z0-9_-]+)`

// matchTokens checks got against want, in which each TOKEN stands for one
// token, and returns the tokens in order. Everything else must match byte
// for byte.
func matchTokens(t *testing.T, what, got, want string) []string {
	t.Helper()
	parts := strings.Split(want, "TOKEN")
	for i, p := range parts {
		parts[i] = regexp.QuoteMeta(p)
	}
	m := regexp.MustCompile("^" + strings.Join(parts, tokenRE) + "$").FindStringSubmatch(got)
	if m == nil {
		t.Fatalf("%s:\n got  %s\n want %s", what, got, want)
	}
	return m[1:]
}

// assertAbsent fails if any canary appears in text (what names the text).
func assertAbsent(t *testing.T, what, text string, canaries ...string) {
	t.Helper()
	for _, c := range canaries {
		if strings.Contains(text, c) {
			t.Errorf("%s holds %q", what, c)
		}
	}
}

// assertNotLogged is assertNoCanary for the cookbook's canaries, leaving out
// short numeric ones ("1987", "0.12", "+44"): Caddy's timestamps, request
// ids, durations and random ports are full of digits, and would match them
// by chance. Those are checked in what the partner received, which is
// deterministic.
func assertNotLogged(t *testing.T, logs string, canaries ...string) {
	t.Helper()
	var long []string
	for _, c := range canaries {
		if len(c) >= 8 || strings.Trim(c, "0123456789abcdefABCDEF.+-/: ") != "" {
			long = append(long, c)
		}
	}
	assertNoCanary(t, logs, long...)
}

// assertRefused checks a problem answer and that the upstream saw nothing
// new since it had seen before requests.
func assertRefused(t *testing.T, what string, u *upstream, before, status int, resp []byte, wantStatus int, wantType, wantDetail string) {
	t.Helper()
	var p problemDoc
	_ = json.Unmarshal(resp, &p)
	if status != wantStatus || p.Type != "urn:caddy-minimize:problem:"+wantType || p.Detail != wantDetail {
		t.Errorf("%s: %d %s\n want %d %s %q", what, status, resp, wantStatus, wantType, wantDetail)
	}
	if u.count() != before {
		t.Errorf("%s: the refused request reached the upstream", what)
	}
}

func TestCookbookPaymentProcessor(t *testing.T) {
	t.Parallel()
	u := newUpstream(t)
	// The processor answers with a charge that refers to our customer by the
	// token it was given.
	u.setHandler(func(w http.ResponseWriter, r *http.Request, body []byte) {
		var in struct {
			Customer struct{ ID string } `json:"customer"`
		}
		_ = json.Unmarshal(body, &in)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"id":"ch_3QfX2bLkdIwHu7ix0Zr8Yq1M","object":"charge","amount":12990,"status":"succeeded",` +
			`"metadata":{"order":"ord_1042","customer":"` + in.Customer.ID + `"}}`))
	})
	g := cookbookGateway(t, "payment-processor", "PARTNER_UPSTREAM="+u.addr())
	charge := cookbookPayload(t, "payment-processor")
	hdrs := []string{"Data-Purpose", "charge", "Authorization", "Bearer sk_test_cookbook", "Idempotency-Key", "ord_1042-charge-1",
		"Accept", "application/json", "Cookie", "session=canary-cookie", "X-User-Email", "jane.doe@example.com",
		"User-Agent", "shop-backend/1.0 (canary-agent)"}

	status, _, resp := post(t, g.url("/v1/charges"), "application/json", charge, hdrs...)
	r := u.last(t)
	toks := matchTokens(t, "charge, as the processor received it", string(r.Body),
		`{"order":{"id":"ord_1042","amount":12990,"currency":"EUR"},"payment":{"method":"pm_1QfX2aLkdIwHu7ixq3pE9sD2"},`+
			`"customer":{"id":"TOKEN","ip":"203.0.113.0"},"billing":{"postcode":"NW1 6XE","country":"GB"}}`)
	// The token comes back as the customer id for the application.
	want := `{"id":"ch_3QfX2bLkdIwHu7ix0Zr8Yq1M","object":"charge","amount":12990,"status":"succeeded","metadata":{"order":"ord_1042","customer":"cus_8812"}}`
	if status != 200 || string(resp) != want {
		t.Errorf("charge response: %d %s\n want %s", status, resp, want)
	}
	// Headers leave on a list: our API key, the idempotency key, the types.
	for name, want := range map[string]string{
		"Authorization": "Bearer sk_test_cookbook", "Idempotency-Key": "ord_1042-charge-1", "Content-Type": "application/json",
		"Accept": "application/json", "Cookie": "", "X-User-Email": "", "User-Agent": "", "Data-Purpose": "",
	} {
		if got := r.Header.Get(name); got != want {
			t.Errorf("upstream header %s: %q, want %q", name, got, want)
		}
	}

	// A refund: the charge it refunds, the amount and reason; the same
	// customer token (deterministic), no network address, no free-text note.
	before := u.count()
	status, _, _ = post(t, g.url("/v1/refunds"), "application/json", cookbookPayload(t, "payment-processor-refund"),
		"Data-Purpose", "refund", "Authorization", "Bearer sk_test_cookbook", "Idempotency-Key", "ord_1042-refund-1")
	if status != 200 || u.count() != before+1 {
		t.Fatalf("refund: %d", status)
	}
	refund := string(u.last(t).Body)
	rt := matchTokens(t, "refund, as the processor received it", refund,
		`{"order":{"id":"ord_1042","amount":12990,"currency":"EUR"},"payment":{"charge":"ch_3QfX2bLkdIwHu7ix0Zr8Yq1M","method":"pm_1QfX2aLkdIwHu7ixq3pE9sD2"},`+
			`"refund":{"amount":4500,"reason":"requested_by_customer"},"customer":{"id":"TOKEN"}}`)
	if rt[0] != toks[0] {
		t.Errorf("the refund's customer token %s differs from the charge's %s", rt[0], toks[0])
	}

	// A purpose the policy does not list: refused, nothing sent.
	before = u.count()
	status, _, resp = post(t, g.url("/v1/charges"), "application/json", charge, "Data-Purpose", "marketing")
	assertRefused(t, "unlisted purpose", u, before, status, resp, 403, "purpose-required",
		"this partner's policy requires a purpose header naming one of: charge, refund")

	sensitive := []string{"4111111111111111", "correct-horse", "jane.doe", "Jane", "Doe", "Baker", "7946", "cus_8812", "1987", "203.0.113.77", "canary-", "Mug arrived"}
	assertAbsent(t, "what the processor received", string(r.Body)+refund+r.URI, sensitive...)
	assertAbsent(t, "what the processor received", string(r.Body), `"cvc"`, `"expiry"`, `"password"`)
	assertNotLogged(t, g.logs(), append(sensitive, "sk_test_cookbook")...)
}

func TestCookbookSupportDesk(t *testing.T) {
	t.Parallel()
	u := newUpstream(t)
	g := cookbookGateway(t, "support-desk", "PARTNER_UPSTREAM="+u.addr())
	ticket := cookbookPayload(t, "support-desk")
	ps := pseudonym(t, "support-desk", "cus_8812")

	wantTicket := `{"ticket":{"subject":"Parcel not delivered","message":"Hello, my order ord_1042 has not arrived yet. Could you check where it is? My card [REDACTED] was charged twice; call me on [REDACTED].",` +
		`"channel":"email","priority":"normal","tags":["delivery","uk"]},` +
		`"customer":{"id":"` + ps + `","name":"Jane Doe","email":"jane.doe@example.com","phone":"************0958","language":"en-GB"},` +
		`"order":{"id":"ord_1042","created":"2026-11-20T14:03:11Z","status":"shipped",` +
		`"items":[{"name":"Caddy in Action","qty":1},{"name":"Gopher mug","qty":2}],` +
		`"shipping":{"carrier":"Royal Mail","tracking":"RM123456789GB","instructions":"[REDACTED]","address":{"city":"London","postcode":"NW1","country":"GB"}}}}`
	wantRefund := `{"ticket":{"subject":"Parcel not delivered","message":"Hello, my order ord_1042 has not arrived yet. Could you check where it is? My card [REDACTED] was charged twice; call me on [REDACTED].",` +
		`"channel":"email","priority":"normal","tags":["delivery","uk"]},` +
		`"customer":{"id":"` + ps + `","name":"Jane Doe","email":"jane.doe@example.com","phone":"************0958","language":"en-GB"},` +
		`"order":{"id":"ord_1042","created":"2026-11-20T14:03:11Z","status":"shipped","total":129.90,"currency":"EUR",` +
		`"items":[{"name":"Caddy in Action","qty":1,"price":39.90},{"name":"Gopher mug","qty":2,"price":45.00}],` +
		`"shipping":{"carrier":"Royal Mail","tracking":"RM123456789GB","instructions":"[REDACTED]","address":{"city":"London","postcode":"NW1","country":"GB"}}},` +
		`"payment":{"card":{"number":"************1111"}}}`
	var received string
	for _, c := range []struct{ purpose, want string }{{"ticket", wantTicket}, {"refund", wantRefund}} {
		status, _, _ := post(t, g.url("/api/v2/tickets"), "application/json", ticket, "Data-Purpose", c.purpose)
		got := string(u.last(t).Body)
		if status != 200 || got != c.want {
			t.Errorf("%s: %d\n got  %s\n want %s", c.purpose, status, got, c.want)
		}
		received += got
	}
	before := u.count()
	status, _, resp := post(t, g.url("/api/v2/tickets"), "application/json", ticket)
	assertRefused(t, "no purpose", u, before, status, resp, 403, "purpose-required",
		"this partner's policy requires a purpose header naming one of: ticket, refund")

	sensitive := []string{"correct-horse", "533401876", "passport", "4111111111111111", "4111 1111", "737", "12/29", "Baker", "6XE", "Key safe", "4096", "1987", "new_device", "cus_8812", "7946"}
	assertAbsent(t, "what the support desk received", received, sensitive...)
	assertNotLogged(t, g.logs(), append(sensitive, "jane.doe", "Jane Doe")...)
	if a := nthAudit(t, g, 2); a.Partner != "support-desk" || a.Purpose != "refund" || a.Outcome != "forwarded" {
		t.Errorf("disclosure record %+v", a)
	}
}

func TestCookbookAnalyticsProvider(t *testing.T) {
	t.Parallel()
	u := newUpstream(t)
	g := cookbookGateway(t, "analytics-provider", "PARTNER_UPSTREAM="+u.addr())
	ps := func(v string) string { return pseudonym(t, "analytics-provider", v) }

	query := "?v=2&tid=G-SHOP42&cid=c0ffee-5e55-4a1d&uid=cus_8812&uip=203.0.113.77" +
		"&dl=https%3A%2F%2Fshop.example%2Fcheckout%3Femail%3Djane.doe%2540example.com&ua=Mozilla%2F5.0%20(iPhone)"
	status, _, _ := post(t, g.url("/collect"+query), "application/json", cookbookPayload(t, "analytics-provider"),
		"User-Agent", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X)", "Accept-Language", "en-GB,en;q=0.9",
		"Referer", "https://mail.example/inbox/jane.doe", "X-Forwarded-For", "203.0.113.77", "Cookie", "_ga=GA1.2.canary")
	if status != 200 {
		t.Fatalf("collect: %d", status)
	}
	r := u.last(t)
	wantURI := "/collect?v=2&tid=G-SHOP42&cid=" + ps("c0ffee-5e55-4a1d") + "&uid=" + ps("cus_8812") + "&uip=203.0.113.0"
	if r.URI != wantURI {
		t.Errorf("URI:\n got  %s\n want %s", r.URI, wantURI)
	}
	want := `{"user":{"id":"` + ps("cus_8812") + `","birthdate":"1987","country":"GB","language":"en-GB"},` +
		`"device":{"type":"mobile","os":"iOS","os_version":"17"},` +
		`"session":{"id":"` + ps("sess_7f3a9c21") + `","ip":"2001:db8:abcd::"},` +
		`"events":[{"name":"page_view","ts":"2026-11-20T14:01:05Z","page":{"path":"/products/caddy-in-action"}},` +
		`{"name":"add_to_cart","ts":"2026-11-20T14:02:40Z","page":{"path":"/products/caddy-in-action"},"params":{"sku":"BK-0042","qty":1,"value":39.90,"currency":"EUR"}},` +
		`{"name":"purchase","ts":"2026-11-20T14:03:11Z","page":{"path":"/checkout/done"},"params":{"order_id":"` + ps("ord_1042") + `","value":129.90,"currency":"EUR"}}]}`
	if string(r.Body) != want {
		t.Errorf("body:\n got  %s\n want %s", r.Body, want)
	}
	// The same person in the query and in the body: one pseudonym, so the
	// provider can join its own data, and it is this partner's alone.
	if ps("cus_8812") == pseudonym(t, "support-desk", "cus_8812") {
		t.Error("pseudonyms of two partners agree")
	}
	// Device and browsing headers stay here; so do the forwarding headers
	// reverse_proxy would add.
	for _, h := range []string{"User-Agent", "Accept-Language", "Referer", "X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "Via", "Cookie"} {
		if v := r.Header.Values(h); len(v) != 0 && v[0] != "" {
			t.Errorf("upstream header %s: %q", h, v)
		}
	}
	sensitive := []string{"jane.doe", "Jane", "cus_8812", "c0ffee", "356938035643809", "00:1A:2B", "6D92078A", "iPhone15", "female", "06-14",
		"203.0.113.77", "2001:db8:abcd:12::1", "sess_7f3a9c21", "ord_1042", "baker street", "mail.example", "canary", "17.1.2"}
	assertAbsent(t, "what the analytics provider received", string(r.Body)+r.URI+headerText(r.Header), sensitive...)
	assertNotLogged(t, g.logs(), sensitive...)
}

// headerText flattens headers for canary checks.
func headerText(h http.Header) string {
	var b strings.Builder
	for k, vs := range h {
		b.WriteString(k + ": " + strings.Join(vs, ", ") + "\n")
	}
	return b.String()
}

func TestCookbookDataCentreOperator(t *testing.T) {
	t.Parallel()
	u := newUpstream(t)
	g := cookbookGateway(t, "data-centre-operator", "PARTNER_UPSTREAM="+u.addr())
	status, _, _ := post(t, g.url("/incidents"), "application/json", cookbookPayload(t, "data-centre-operator"),
		"Authorization", "Bearer dc-ticket-api-key")
	if status != 200 {
		t.Fatalf("incident: %d", status)
	}
	r := u.last(t)
	ps := func(v string) string { return pseudonym(t, "data-centre-operator", v) }
	want := `{"incident":{"id":"INC-20931","severity":"sev2","opened":"2026-11-20T14:07:00Z",` +
		`"summary":"502s from web-07 behind lb-2 since 14:03 UTC; PSU alarm on the same chassis","site":"LON1","rack":"R12",` +
		`"hosts":[{"hostname":"web-07.lon1.internal","serial":"CZ2931XK7","mgmt_ip":"10.20.12.7","psu":"degraded"}],` +
		`"reported_by":{"name":"Sam Okafor","phone":"+44 20 7946 0000"}},` +
		`"logs":[{"ts":"2026-11-20T14:03:11.482Z","host":"web-07.lon1.internal","client_ip":"203.0.113.0","method":"GET","route":"/account/orders",` +
		`"status":502,"latency_ms":30012,"bytes":0,"user_id":"` + ps("cus_8812") + `",` +
		`"headers":{"x-request-id":"f70c2725-00ea-4dee-ab30-b186b7683032","accept":"application/json"}},` +
		`{"ts":"2026-11-20T14:03:12.007Z","host":"web-07.lon1.internal","client_ip":"2001:db8:abcd::","method":"POST","route":"/checkout",` +
		`"status":502,"latency_ms":30001,"bytes":0,"user_id":"` + ps("cus_9001") + `",` +
		`"headers":{"x-request-id":"0b7e0c1e-6a53-4f0c-9d0e-2f8f6c1b9a77","content-type":"application/json"}}]}`
	if string(r.Body) != want {
		t.Errorf("body:\n got  %s\n want %s", r.Body, want)
	}
	// Our own credential for the operator's API is a header, and kept.
	if r.Header.Get("Authorization") != "Bearer dc-ticket-api-key" {
		t.Errorf("Authorization %q", r.Header.Get("Authorization"))
	}
	// The floor holds below `keep logs.#.headers`, and the record says so.
	a := nthAudit(t, g, 1)
	var floors []string
	for _, f := range a.Fields {
		if f.Floor {
			floors = append(floors, f.Path+"="+strconv.Itoa(f.Count))
		}
	}
	slices.Sort(floors)
	if strings.Join(floors, " ") != "**.authorization=1 **.cookie=1 **.x-api-key=1" {
		t.Errorf("floors in the disclosure record: %v (%+v)", floors, a.Fields)
	}
	sensitive := []string{"canary-", "jane.doe", "cus_8812", "cus_9001", "sam.okafor", "iPhone", "Linux x86_64", "203.0.113.77", "2001:db8:abcd:12::1", "email%40", "eyJhbGci"}
	assertAbsent(t, "what the data-centre operator received", string(r.Body)+headerText(r.Header), sensitive...)
	assertNotLogged(t, g.logs(), sensitive...)
}

func TestCookbookEmailMarketing(t *testing.T) {
	t.Parallel()
	k := newConsentKeys(t)
	u := newUpstream(t)
	g := cookbookGateway(t, "email-marketing", "PARTNER_UPSTREAM="+u.addr(), "CONSENT_KEYS="+k.jwks)
	body := cookbookPayload(t, "email-marketing")
	const iss = "https://consent.shop.example"
	consent := func(c claims) string {
		c.Aud, c.Iss = orDefault(c.Aud, "email-marketing"), orDefault(c.Iss, iss)
		if c.Purposes == nil {
			c.Purposes = []string{"newsletter"}
		}
		return k.mint(t, jose.EdDSA, "ed-2026", c)
	}
	ps := pseudonym(t, "email-marketing", "cus_8812")

	var received string
	var tokens []string
	for _, c := range []struct {
		name  string
		scope []string
		want  string
	}{
		{"consent to email and first name", []string{"subscriber.email", "subscriber.first_name"},
			`{"list":"newsletter-en","subscriber":{"id":"` + ps + `","email":"jane.doe@example.com","first_name":"Jane"}}`},
		// Everything consent may release; the floors (birth date, phone,
		// history, password) stay dropped whatever the token says.
		{"consent to all a consent may release", []string{"*"},
			`{"list":"newsletter-en","subscriber":{"id":"` + ps + `","email":"jane.doe@example.com","first_name":"Jane","language":"en-GB"},` +
				`"preferences":{"topics":["books","kitchen"]}}`},
	} {
		tok := consent(claims{Scope: c.scope})
		tokens = append(tokens, tok)
		status, _, _ := post(t, g.url("/v3/contacts"), "application/json", body, "Data-Purpose", "newsletter", "Data-Consent", tok)
		r := u.last(t)
		if status != 200 || string(r.Body) != c.want {
			t.Errorf("%s: %d\n got  %s\n want %s", c.name, status, r.Body, c.want)
		}
		if v := r.Header.Values("Data-Consent"); len(v) != 0 {
			t.Errorf("%s: the consent token reached the mailer", c.name)
		}
		received += string(r.Body)
	}

	// Without a valid consent for this person, this purpose and this
	// mailer, nothing leaves.
	for _, c := range []struct{ name, purpose, token, typ, detail string }{
		{"no consent", "newsletter", "", "consent-required", "this partner's policy requires a consent token"},
		{"another person's consent", "newsletter", consent(claims{Sub: "cus_9999", Scope: []string{"*"}}), "consent-required", "the consent token was refused: wrong_subject"},
		{"consent given to another partner", "newsletter", consent(claims{Aud: "analytics-provider"}), "consent-required", "the consent token was refused: wrong_audience"},
		{"consent for another purpose", "newsletter", consent(claims{Purposes: []string{"surveys"}}), "consent-required", "the consent token was refused: wrong_purpose"},
		{"a token not from our consent service", "newsletter", consent(claims{Iss: "https://evil.example"}), "consent-required", "the consent token was refused: wrong_issuer"},
		{"withdrawn long ago (expired)", "newsletter", consent(claims{Exp: time.Now().Add(-time.Hour)}), "consent-required", "the consent token was refused: expired"},
		{"not a marketing purpose", "profiling", consent(claims{}), "purpose-required", "this partner's policy requires a purpose header naming one of: newsletter"},
	} {
		before := u.count()
		hdrs := []string{"Data-Purpose", c.purpose}
		if c.token != "" {
			hdrs = append(hdrs, "Data-Consent", c.token)
			tokens = append(tokens, c.token)
		}
		status, _, resp := post(t, g.url("/v3/contacts"), "application/json", body, hdrs...)
		assertRefused(t, c.name, u, before, status, resp, 403, c.typ, c.detail)
	}

	sensitive := []string{"cus_8812", "Doe", "1987", "+44", "correct-horse", "1290.50", "203.0.113.77", "ord_1042", "BK-0042", "newsletter\":true"}
	assertAbsent(t, "what the mailer received", received, sensitive...)
	// The access log is on in this file; its filter keeps the tokens (which
	// name the subject) out of it.
	if !strings.Contains(g.logs(), `"logger":"http.log.access`) {
		t.Error("the access log is not on")
	}
	for _, tok := range tokens {
		assertNotLogged(t, g.logs(), tok[strings.LastIndexByte(tok, '.')+1:])
	}
	assertNotLogged(t, g.logs(), append(sensitive, "jane.doe")...)
}

func TestCookbookAffiliate(t *testing.T) {
	t.Parallel()
	u := newUpstream(t)
	// The upstream is our customer API: it answers with the full record.
	u.respond(200, "application/json", cookbookPayload(t, "affiliate"))
	disclosures := filepath.Join(t.TempDir(), "disclosures.jsonl")
	g := cookbookGateway(t, "affiliate", "CUSTOMER_API="+u.addr(), "DISCLOSURE_LOG="+disclosures)
	ps := func(v string) string { return pseudonym(t, "affiliate", v) }
	target := "/customers/cus_8812?expand=orders&email=jane.doe%40example.com"

	support := `{"customer":{"id":"cus_8812","name":"Jane Doe","email":"jane.doe@example.com","phone":"************0958","country":"GB","language":"en-GB",` +
		`"address":{"postcode":"NW1"}},` +
		`"orders":[{"id":"ord_1042","created":"2026-11-20T14:03:11Z","status":"shipped","total":129.90,"currency":"EUR",` +
		`"items":[{"sku":"BK-0042","name":"Caddy in Action","qty":1},{"sku":"MUG-7","name":"Gopher mug","qty":2}],` +
		`"payment":{"card":{"number":"************1111"}},"shipping":{"carrier":"Royal Mail","tracking":"RM123456789GB"}}]}`
	analysis := `{"customer":{"id":"` + ps("cus_8812") + `","birthdate":"1987","country":"GB","language":"en-GB","address":{"postcode":"NW1"}},` +
		`"orders":[{"id":"` + ps("ord_1042") + `","created":"2026-11-20T14:03:11Z","status":"shipped","total":129.90,"currency":"EUR",` +
		`"items":[{"sku":"BK-0042","qty":1},{"sku":"MUG-7","qty":2}]}]}`
	var received string
	for _, c := range []struct{ purpose, want string }{{"support", support}, {"analysis", analysis}} {
		status, hdr, resp := doRequest(t, "GET", g.url(target), nil, "Data-Purpose", c.purpose, "Authorization", "Bearer affiliate-client")
		if status != 200 || string(resp) != c.want || hdr.Get("Content-Length") != strconv.Itoa(len(c.want)) {
			t.Errorf("%s: %d\n got  %s\n want %s", c.purpose, status, resp, c.want)
		}
		// Our API sees the call without the email filter.
		if r := u.last(t); r.URI != "/customers/cus_8812?expand=orders" || r.Header.Get("Authorization") != "Bearer affiliate-client" {
			t.Errorf("%s: our API got %s %v", c.purpose, r.URI, r.Header)
		}
		received += string(resp)
	}
	before := u.count()
	status, _, resp := doRequest(t, "GET", g.url(target), nil, "Data-Purpose", "marketing")
	assertRefused(t, "joint marketing is not a purpose here", u, before, status, resp, 403, "purpose-required",
		"this partner's policy requires a purpose header naming one of: support, analysis")

	sensitive := []string{"argon2", "canaryHashValue", "533401876", "passport", "4111111111111111", "12/29", "Baker", "6XE", "0.12", "chargebacks", "new_device", "marketing_opt_in"}
	assertAbsent(t, "what the affiliate received", received, sensitive...)
	assertAbsent(t, "what the affiliate received for analysis", analysis, "cus_8812", "ord_1042", "Jane", "jane.doe", "0958", "Caddy in Action", "RM123456789GB")

	// The disclosure record goes to its own file, one line per call, and
	// not to the process log. A GET has no body (outcome "passed"); what
	// the affiliate got is in the record of the response.
	type record struct {
		audit
		Response struct {
			Mode   string `json:"mode"`
			Fields []struct {
				Action string `json:"action"`
				Path   string `json:"path"`
				Count  int    `json:"count"`
				Floor  bool   `json:"floor"`
			} `json:"fields"`
		} `json:"response"`
	}
	var records []record
	for deadline := time.Now().Add(3 * time.Second); len(records) < 3 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		records = nil
		b, _ := os.ReadFile(disclosures)
		for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			var a record
			if line != "" && json.Unmarshal([]byte(line), &a) == nil {
				records = append(records, a)
			}
		}
	}
	if len(records) != 3 {
		t.Fatalf("%d disclosure records in %s, want 3", len(records), disclosures)
	}
	for i, w := range []struct{ purpose, outcome, mode, field string }{
		{"support", "passed", "minimize", "{mask orders.#.payment.card.number 1 false}"},
		{"analysis", "passed", "minimize", "{pseudonymize customer.id 1 false}"},
		{"(invalid)", "rejected", "", ""},
	} {
		a := records[i]
		if a.Logger != "http.handlers.minimize.audit" || a.Partner != "affiliate" || a.Purpose != w.purpose || a.Outcome != w.outcome ||
			a.Response.Mode != w.mode || !strings.Contains(fmt.Sprint(a.Response.Fields), w.field) {
			t.Errorf("record %d: %+v", i+1, a)
		}
	}
	if f := fmt.Sprint(records[0].Response.Fields); !strings.Contains(f, "{drop customer.identity 1 true}") || !strings.Contains(f, "{drop **.password_hash 1 true}") {
		t.Errorf("the record of the support response does not show the floors: %s", f)
	}
	if strings.Contains(g.logs(), `"logger":"http.handlers.minimize.audit"`) {
		t.Error("disclosure records also went to the process log")
	}
	b, _ := os.ReadFile(disclosures)
	assertNotLogged(t, g.logs()+string(b), append(sensitive, "jane.doe", "Jane Doe", "cus_8812", "0958")...)
}
