package e2e

import (
	"bytes"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// testKey is the master key of the e2e gateways: base64 of bytes 0..31.
var testKey = func() string {
	b := make([]byte, 32)
	for i := range b {
		b[i] = byte(i)
	}
	return base64.StdEncoding.EncodeToString(b)
}()

// pseudonym computes the expected pseudonym independently of the module:
// HMAC-SHA256 under HKDF(master, info "caddy-minimize/v1/pseudonymize/"+partner),
// first 16 bytes, unpadded base64url, prefixed "ps_".
func pseudonym(t testing.TB, partner, value string) string {
	t.Helper()
	master, _ := base64.StdEncoding.DecodeString(testKey)
	k, err := hkdf.Key(sha256.New, master, nil, "caddy-minimize/v1/pseudonymize/"+partner, 32)
	if err != nil {
		t.Fatal(err)
	}
	m := hmac.New(sha256.New, k)
	m.Write([]byte(value))
	return "ps_" + base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16])
}

// order is the realistic payload: a customer, an address, items, a card and
// free-text notes.
const order = `{
  "order": {"id": "ord_1042", "created": "2026-11-20T14:03:11Z", "currency": "EUR", "total": 129.90},
  "customer": {
    "id": "cus_8812", "name": "Jane Doe", "email": "jane.doe@example.com", "phone": "+44 20 7946 0958",
    "birthdate": "1987-06-14", "ip": "203.0.113.77", "password": "hunter2",
    "address": {"street": "221B Baker Street", "city": "London", "postcode": "NW1 6XE", "country": "GB"}
  },
  "items": [
    {"sku": "BK-0042", "name": "Caddy in Action", "qty": 1, "price": 39.90},
    {"sku": "MUG-7", "name": "Gopher mug", "qty": 2, "price": 45.00}
  ],
  "payment": {"card": {"number": "4111111111111111", "expiry": "12/29", "cvc": "123", "holder": "Jane Doe"}},
  "notes": "Leave at the door; call Jane on +44 20 7946 0958"
}`

const everyActionPolicy = `
	route /orders {
		minimize fraud {
			key {env.MINIMIZE_KEY}
			keep order.id order.currency order.total items.#.sku items.#.qty
			drop customer.password
			redact notes
			mask payment.card.number last4
			mask customer.email email
			pseudonymize customer.id
			generalize customer.ip ip/24 ip6/48
			generalize customer.birthdate year
			generalize customer.address.postcode prefix/3
			generalize items.#.price bucket/10
		}
		reverse_proxy {{.Upstream}}
	}`

func TestEveryActionOnARealisticOrder(t *testing.T) {
	t.Parallel()
	u := newUpstream(t)
	g := startGateway(t, globalBlock+site(everyActionPolicy), map[string]string{"Upstream": u.addr()}, "MINIMIZE_KEY="+testKey)

	status, hdr, resp := post(t, g.url("/orders"), "application/json", []byte(order),
		"Content-MD5", "Q2hlY2sgSW50ZWdyaXR5IQ==", "Digest", "sha-256=abc", "Content-Digest", "sha-256=:abc:", "Repr-Digest", "sha-256=:abc:")
	want := `{"order":{"id":"ord_1042","currency":"EUR","total":129.90},` +
		`"customer":{"id":"` + pseudonym(t, "fraud", "cus_8812") + `","email":"j*******@example.com","birthdate":"1987","ip":"203.0.113.0",` +
		`"address":{"postcode":"NW1"}},` +
		`"items":[{"sku":"BK-0042","qty":1,"price":30},{"sku":"MUG-7","qty":2,"price":40}],` +
		`"payment":{"card":{"number":"************1111"}},"notes":"[REDACTED]"}`
	if status != 200 || string(resp) != want {
		t.Fatalf("status %d, client got\n%s\nwant\n%s", status, resp, want)
	}
	if hdr.Get("Content-Type") != "application/json" {
		t.Errorf("response Content-Type %q", hdr.Get("Content-Type"))
	}
	r := u.last(t)
	if string(r.Body) != want {
		t.Errorf("upstream got\n%s", r.Body)
	}
	if r.ContentLength != int64(len(want)) || r.Header.Get("Content-Length") != "" && r.Header.Get("Content-Length") != fmt.Sprint(len(want)) {
		t.Errorf("upstream Content-Length %d, header %q, want %d", r.ContentLength, r.Header.Get("Content-Length"), len(want))
	}
	for _, h := range []string{"Content-Md5", "Digest", "Content-Digest", "Repr-Digest"} {
		if v := r.Header.Get(h); v != "" {
			t.Errorf("upstream still got %s: %s", h, v)
		}
	}
	assertNoCanary(t, g.logs(), "Jane", "hunter2", "4111111111111111", "jane.doe", "cus_8812", "Baker", "7946 0958") // not "7946" alone: a log timestamp may hold it
}

// TestChunkedBodyIsForwardedWithALength sends a body of unknown length: the
// partner must get the minimized body with a Content-Length.
func TestChunkedBodyIsForwardedWithALength(t *testing.T) {
	t.Parallel()
	u := newUpstream(t)
	g := startGateway(t, globalBlock+site(everyActionPolicy), map[string]string{"Upstream": u.addr()}, "MINIMIZE_KEY="+testKey)
	raw := "POST /orders HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n" +
		"8\r\n{\"order\"\r\n13\r\n:{\"id\":\"o1\",\"x\":1}}\r\n0\r\n\r\n"
	resp := rawRequest(t, g, raw)
	if !strings.HasPrefix(resp, "HTTP/1.1 200") {
		t.Fatalf("response %q", resp)
	}
	r := u.last(t)
	if string(r.Body) != `{"order":{"id":"o1"}}` || r.ContentLength != 21 || len(r.TransferEncoding) != 0 {
		t.Errorf("upstream got %q, length %d, TE %v", r.Body, r.ContentLength, r.TransferEncoding)
	}
}

func rawRequest(t *testing.T, g *gateway, raw string) string {
	t.Helper()
	c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", g.Port))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write([]byte(raw)); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	_, _ = b.ReadFrom(c)
	return b.String()
}

// TestPrecedenceThroughTheGateway runs the README's precedence table through
// the real binary, one route per row.
func TestPrecedenceThroughTheGateway(t *testing.T) {
	t.Parallel()
	rows := []struct{ rules, in, want string }{
		{"keep customer\n drop customer.ssn", `{"customer":{"name":"Ann","ssn":"1"}}`, `{"customer":{"name":"Ann"}}`},
		{"keep customer.name", `{"customer":{"name":"Ann","ssn":"1"},"z":1}`, `{"customer":{"name":"Ann"}}`},
		{"keep customer\n drop *.ssn", `{"customer":{"name":"Ann","ssn":"1"}}`, `{"customer":{"name":"Ann"}}`},
		{"keep customer.profile\n drop **.ssn", `{"customer":{"profile":{"ssn":"1"},"ssn":"2"}}`, `{"customer":{"profile":{"ssn":"1"}}}`},
		{"default keep\n drop **.password", `{"password":"a","u":{"password":"b","n":1}}`, `{"u":{"n":1}}`},
		{"keep items.#.sku", `{"items":[{"sku":"A","p":1},{"sku":"B"}]}`, `{"items":[{"sku":"A"},{"sku":"B"}]}`},
		{"redact *.number\n mask card.number last4", `{"card":{"number":"4111111111111111"},"acct":{"number":"DE89"}}`, `{"card":{"number":"************1111"},"acct":{"number":"[REDACTED]"}}`},
		{"default keep\n drop email", `{"em\u0061il":"x","EMAIL2":"y"}`, `{"EMAIL2":"y"}`},
		{"keep a.b", `{"a":{"c":1},"d":2}`, `{}`},
	}
	var routes strings.Builder
	for i, r := range rows {
		fmt.Fprintf(&routes, "\troute /p%d {\n\t\tminimize p%d {\n\t\t\t%s\n\t\t}\n\t\treverse_proxy {{.Upstream}}\n\t}\n", i, i, r.rules)
	}
	u := newUpstream(t)
	g := startGateway(t, globalBlock+site(routes.String()), map[string]string{"Upstream": u.addr()})
	for i, r := range rows {
		status, _, resp := post(t, g.url(fmt.Sprintf("/p%d", i)), "application/json", []byte(r.in))
		if status != 200 || string(resp) != r.want || string(u.last(t).Body) != r.want {
			t.Errorf("row %d (%q): status %d, got %s, upstream %s, want %s", i, r.rules, status, resp, u.last(t).Body, r.want)
		}
	}
}

const limitPolicy = `
	route /in {
		minimize p {
			default keep
			max_body 100
			max_depth 8
			pass text/plain
		}
		reverse_proxy {{.Upstream}}
	}`

type problemDoc struct {
	Type, Title, Detail, Partner string
	Status                       int
}

// TestBadInputIsRefusedAndNothingForwarded sends one request per class of
// bad input: each gets its status and problem, and the upstream sees none.
func TestBadInputIsRefusedAndNothingForwarded(t *testing.T) {
	t.Parallel()
	u := newUpstream(t)
	g := startGateway(t, globalBlock+site(limitPolicy), map[string]string{"Upstream": u.addr()})
	cases := []struct {
		name, ctype, body string
		headers           []string
		status            int
		typ, detail       string
	}{
		{"malformed", "application/json", `{"a":1,}`, nil, 400, "malformed", "body is not a single valid JSON document"},
		{"trailing data", "application/json", `{"a":1}{}`, nil, 400, "malformed", "body is not a single valid JSON document"},
		{"NaN", "application/json", `{"a":NaN}`, nil, 400, "malformed", "body is not a single valid JSON document"},
		{"duplicate key", "application/json", `{"a":1,"a":2}`, nil, 400, "duplicate-key", "duplicate key at byte offset 7 (keys are compared decoded and case-insensitively)"},
		{"escaped duplicate", "application/json", `{"x":{"email":1,"em\u0061il":2}}`, nil, 400, "duplicate-key", "duplicate key at byte offset 16 (keys are compared decoded and case-insensitively)"},
		{"too deep", "application/json", `[[[[[[[[[1]]]]]]]]]`, nil, 400, "too-deep", "body nests deeper than 8 levels at byte offset 8"},
		{"invalid utf-8", "application/json", "{\"a\":\"\xc3\x28\"}", nil, 400, "invalid-utf8", "body is not valid UTF-8"},
		{"bom", "application/json", "\xef\xbb\xbf{}", nil, 400, "bom", "body starts with a byte order mark"},
		{"lone surrogate", "application/json", `{"a":"\ud800"}`, nil, 400, "lone-surrogate", "body has an unpaired UTF-16 surrogate escape at byte offset 6"},
		{"no content type", "", `{"a":1}`, nil, 415, "unsupported-media-type", "only JSON and URL-encoded form bodies are minimized, and this route lets no other type through"},
		{"multipart", "multipart/form-data; boundary=x", "--x\r\n\r\na\r\n--x--", nil, 415, "unsupported-media-type", "only JSON and URL-encoded form bodies are minimized, and this route lets no other type through"},
		{"latin-1 json", "application/json; charset=iso-8859-1", `{"a":1}`, nil, 415, "unsupported-media-type", "minimized bodies must be UTF-8"},
		{"utf-16 ndjson", "application/x-ndjson; charset=utf-16", "{\"a\":1}\n", nil, 415, "unsupported-media-type", "minimized bodies must be UTF-8"},
		{"unknown coding", "application/json", `{"a":1}`, []string{"Content-Encoding", "compress"}, 415, "unsupported-content-encoding", `content coding "compress" is not supported (gzip, deflate, zstd, br)`},
		{"not really gzip", "application/json", `{"a":1}`, []string{"Content-Encoding", "gzip"}, 400, "bad-content-coding", "the gzip body could not be decoded"},
		{"over the limit", "application/json", `{"a":"` + strings.Repeat("x", 100) + `"}`, nil, 413, "body-too-large", "the body is larger than this route's limit of 100 bytes"},
	}
	for _, c := range cases {
		status, hdr, resp := post(t, g.url("/in"), c.ctype, []byte(c.body), c.headers...)
		var p problemDoc
		if err := json.Unmarshal(resp, &p); err != nil {
			t.Errorf("%s: response is not JSON: %q", c.name, resp)
			continue
		}
		want := problemDoc{Type: "urn:caddy-minimize:problem:" + c.typ, Detail: c.detail, Partner: "p", Status: c.status}
		p.Title = ""
		if status != c.status || p != want || hdr.Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s: status %d, %s %+v, want %+v", c.name, status, hdr.Get("Content-Type"), p, want)
		}
	}
	if n := u.count(); n != 0 {
		t.Fatalf("upstream received %d requests: %+v", n, u.requests())
	}
	// The chunked form of the oversized body is refused too.
	raw := "POST /in HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n" +
		"64\r\n" + strings.Repeat(" ", 100) + "\r\n1\r\n1\r\n0\r\n\r\n"
	if resp := rawRequest(t, g, raw); !strings.HasPrefix(resp, "HTTP/1.1 413") {
		t.Errorf("chunked oversize: %q", resp)
	}
	// 10 MB of `[` is refused and the process stays healthy.
	status, _, _ := post(t, g.url("/in"), "application/json", bytes.Repeat([]byte("["), 10<<20))
	if status != 413 {
		t.Errorf("10 MB of [ over a 100-byte limit: %d", status)
	}
	if n := u.count(); n != 0 {
		t.Fatalf("upstream received %d requests", n)
	}
	// A listed type passes unchanged; an exact-limit JSON body is accepted.
	if status, _, resp := post(t, g.url("/in"), "text/plain", []byte("hello")); status != 200 || string(resp) != "hello" {
		t.Errorf("pass text/plain: %d %q", status, resp)
	}
	exact := `{"a":"` + strings.Repeat("x", 92) + `"}`
	if status, _, resp := post(t, g.url("/in"), "application/json", []byte(exact)); len(exact) != 100 || status != 200 || string(resp) != exact {
		t.Errorf("body of exactly max_body: %d %q", status, resp)
	}
	if status, _, _ := post(t, g.url("/in"), "application/json", []byte(exact+" ")); status != 413 {
		t.Errorf("body of max_body+1: %d", status)
	}
}

func TestDeepNestingLeavesTheProcessHealthy(t *testing.T) {
	t.Parallel()
	u := newUpstream(t)
	g := startGateway(t, globalBlock+site(`
	route /in {
		minimize p {
			default keep
			max_body 20MB
		}
		reverse_proxy {{.Upstream}}
	}`), map[string]string{"Upstream": u.addr()})
	status, _, resp := post(t, g.url("/in"), "application/json", bytes.Repeat([]byte("["), 10<<20))
	if status != 400 || !bytes.Contains(resp, []byte(`"detail":"body nests deeper than 64 levels at byte offset 64"`)) {
		t.Fatalf("got %d %s", status, resp)
	}
	if status, _, resp := post(t, g.url("/in"), "application/json", []byte(`{"ok":true}`)); status != 200 || string(resp) != `{"ok":true}` {
		t.Fatalf("after the deep body: %d %s", status, resp)
	}
	if u.count() != 1 {
		t.Fatalf("upstream got %d requests, want 1", u.count())
	}
}

func TestEscapedKeysAndBigNumbers(t *testing.T) {
	t.Parallel()
	u := newUpstream(t)
	g := startGateway(t, globalBlock+site(`
	route /in {
		minimize p {
			keep amount id n\u0061me
			drop secret
		}
		reverse_proxy {{.Upstream}}
	}`), map[string]string{"Upstream": u.addr()})
	in := `{"amount":123456789012345678901234567890.000000000000000000001,"id":1e400,"n\u0061me":"Z\u00f6e","s\u0065cret":"x"}`
	want := `{"amount":123456789012345678901234567890.000000000000000000001,"id":1e400}`
	status, _, resp := post(t, g.url("/in"), "application/json", []byte(in))
	if status != 200 || string(resp) != want {
		t.Errorf("got %d %s, want %s", status, resp, want)
	}
}

const twoPartners = `
	route /a {
		minimize alpha {
			key {env.MINIMIZE_KEY}
			pseudonymize user.id user.email
		}
		reverse_proxy {{.Upstream}}
	}
	route /b {
		minimize beta {
			key {env.MINIMIZE_KEY}
			pseudonymize user.id
		}
		reverse_proxy {{.Upstream}}
	}`

// TestPseudonymsAcrossProcessesAndPartners: two gateway processes with the
// same key agree; two partners never do.
func TestPseudonymsAcrossProcessesAndPartners(t *testing.T) {
	t.Parallel()
	u := newUpstream(t)
	data := map[string]string{"Upstream": u.addr()}
	g1 := startGateway(t, globalBlock+site(twoPartners), data, "MINIMIZE_KEY="+testKey)
	g2 := startGateway(t, globalBlock+site(twoPartners), data, "MINIMIZE_KEY="+testKey)
	body := []byte(`{"user":{"id":"u-77","email":"ann@example.com"}}`)
	_, _, a1 := post(t, g1.url("/a"), "application/json", body)
	_, _, a2 := post(t, g2.url("/a"), "application/json", body)
	_, _, b1 := post(t, g1.url("/b"), "application/json", body)
	wantA := `{"user":{"id":"` + pseudonym(t, "alpha", "u-77") + `","email":"` + pseudonym(t, "alpha", "ann@example.com") + `"}}`
	wantB := `{"user":{"id":"` + pseudonym(t, "beta", "u-77") + `"}}`
	if string(a1) != wantA || string(a2) != wantA {
		t.Errorf("alpha: %s and %s, want %s", a1, a2, wantA)
	}
	if string(b1) != wantB || wantA[:40] == wantB[:40] {
		t.Errorf("beta: %s, want %s", b1, wantB)
	}
}

// TestBadPoliciesRefuseToStart: policy errors stop Caddy at load time and
// say why and where.
func TestBadPoliciesRefuseToStart(t *testing.T) {
	t.Parallel()
	cases := []struct{ policy, env, want string }{
		{"frobnicate a", "", `unknown subdirective "frobnicate"`},
		{"keep a..b", "", `keep: path "a..b" has an empty segment, at `},
		{"mask a last", "", `mask: unknown mask style "last"`},
		{"pseudonymize a", "", "pseudonymize a needs the gateway key"},
		{"key {env.MINIMIZE_KEY}\n pseudonymize a", "", "key {env.MINIMIZE_KEY}: "},
		{"key {env.MINIMIZE_KEY}\n pseudonymize a", "MINIMIZE_KEY=c2hvcnQ=", "key is 5 bytes, need at least 32"},
		{"key {file./nonexistent/minimize.key}\n pseudonymize a", "", "key {file./nonexistent/minimize.key}: "},
	}
	for _, c := range cases {
		tmpl := globalBlock + site("\tminimize p {\n\t\t"+c.policy+"\n\t}\n\trespond ok")
		var env []string
		if c.env != "" {
			env = append(env, c.env)
		}
		out, err := startGatewayErr(t, tmpl, nil, env...)
		// Caddy logs the error as a JSON string.
		quoted, _ := json.Marshal(c.want)
		if err == nil || !strings.Contains(out, string(quoted[1:len(quoted)-1])) {
			t.Errorf("%q: err %v, output lacks %q:\n%s", c.policy, err, c.want, out)
		}
		if strings.Contains(out, "c2hvcnQ") {
			t.Errorf("%q: the key's text appears in the output", c.policy)
		}
	}
}

// assertNoCanary fails if any planted value appears in the logs. A short
// canary of digits is refused: log timestamps, durations and ports hold
// such runs by chance ("7777" once matched a timestamp's ".0677779").
func assertNoCanary(t *testing.T, logs string, canaries ...string) {
	t.Helper()
	for _, c := range canaries {
		if len(c) < 8 && strings.Trim(c, "0123456789.+- ") == "" {
			t.Fatalf("canary %q is too short a run of digits to be unique in logs", c)
		}
		if strings.Contains(logs, c) {
			t.Errorf("log output holds body value %q", c)
		}
	}
}

// TestValidateRejectsBadPolicy: `caddy validate` fails on a bad policy and
// names the Caddyfile line.
func TestValidateRejectsBadPolicy(t *testing.T) {
	t.Parallel()
	path := writeCaddyfile(t, globalBlock+site("\tminimize p {\n\t\tkeep a\n\t\tgeneralize ip ip/33\n\t}\n\trespond ok"), nil)
	out, err := exec.Command(caddyBin, "validate", "--config", path, "--adapter", "caddyfile").CombinedOutput()
	want := `generalize: unknown generalization \"ip/33\" (want ip/N, ip6/N, year, month, bucket/W, round/D or prefix/N), at ` + path + `:11`
	if err == nil || !strings.Contains(string(out), want) {
		t.Errorf("err %v, output lacks %s:\n%s", err, want, out)
	}
}

// TestBrokenReloadKeepsTheOldPolicy: a config reload with a broken policy is
// refused with the reason, and the running policy keeps serving.
func TestBrokenReloadKeepsTheOldPolicy(t *testing.T) {
	t.Parallel()
	u := newUpstream(t)
	g := startGateway(t, globalBlock+site(`
	route /in {
		minimize p {
			keep a
		}
		reverse_proxy {{.Upstream}}
	}`), map[string]string{"Upstream": u.addr()})
	broken := strings.Replace(g.Config, "keep a", "keep a..b", 1)
	status, _, resp := post(t, "http://"+g.Admin+"/load", "text/caddyfile", []byte(broken))
	if status == 200 || !strings.Contains(string(resp), `keep: path \"a..b\" has an empty segment`) {
		t.Errorf("broken reload: %d %s", status, resp)
	}
	missingKey := strings.Replace(g.Config, "keep a", "key {env.NO_SUCH_KEY}\n\t\t\tpseudonymize a", 1)
	status, _, resp = post(t, "http://"+g.Admin+"/load", "text/caddyfile", []byte(missingKey))
	if status == 200 || !strings.Contains(string(resp), "key {env.NO_SUCH_KEY}") {
		t.Errorf("reload without the key: %d %s", status, resp)
	}
	if status, _, resp := post(t, g.url("/in"), "application/json", []byte(`{"a":1,"b":2}`)); status != 200 || string(resp) != `{"a":1}` {
		t.Errorf("after the refused reloads: %d %s", status, resp)
	}
}
