package e2e

import (
	"cmp"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// consentKeys are the consent service's keys for one test: an Ed25519 and
// an ES256 key published in a JWKS (rotation: two kids), and a second ES256
// key published as PEM (its kid is its thumbprint).
type consentKeys struct {
	ed      ed25519.PrivateKey
	es      *ecdsa.PrivateKey
	pem     *ecdsa.PrivateKey
	pemKid  string
	jwks    string // path
	pemPath string
}

func newConsentKeys(t *testing.T) *consentKeys {
	t.Helper()
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	es, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	pk, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	k := &consentKeys{ed: ed, es: es, pem: pk}
	dir := t.TempDir()
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
		{Key: ed.Public(), KeyID: "ed-2026", Algorithm: string(jose.EdDSA), Use: "sig"},
		{Key: es.Public(), KeyID: "es-2025", Algorithm: string(jose.ES256), Use: "sig"},
	}}
	b, _ := json.Marshal(set)
	k.jwks = filepath.Join(dir, "jwks.json")
	if err := os.WriteFile(k.jwks, b, 0o600); err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(pk.Public())
	k.pemPath = filepath.Join(dir, "consent.pem")
	if err := os.WriteFile(k.pemPath, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	jwk := jose.JSONWebKey{Key: pk.Public()}
	tp, _ := jwk.Thumbprint(0x5) // crypto.SHA256
	k.pemKid = base64.RawURLEncoding.EncodeToString(tp)
	return k
}

// claims is what a test token says; zero fields get sensible values.
type claims struct {
	Aud, Sub, Jti, Iss string
	Purposes, Scope    []string
	Exp, Nbf, Iat      time.Time
}

func (k *consentKeys) mint(t *testing.T, alg jose.SignatureAlgorithm, kid string, c claims) string {
	t.Helper()
	var key any
	switch alg {
	case jose.EdDSA:
		key = k.ed
	case jose.ES256:
		key = k.es
		if kid == k.pemKid {
			key = k.pem
		}
	}
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if kid != "" {
		opts = opts.WithHeader("kid", kid)
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.Signed(s).Claims(c.jwt()).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func (c claims) jwt() map[string]any {
	now := time.Now()
	m := map[string]any{
		"aud": orDefault(c.Aud, "shop"), "sub": orDefault(c.Sub, "cus_8812"), "jti": orDefault(c.Jti, "consent-1"),
		"purposes": c.Purposes, "scope": c.Scope,
		"iat": timeOr(c.Iat, now.Add(-time.Minute)), "exp": timeOr(c.Exp, now.Add(time.Hour)),
	}
	if c.Purposes == nil {
		m["purposes"] = []string{"support"}
	}
	if c.Scope == nil {
		m["scope"] = []string{"*"}
	}
	if !c.Nbf.IsZero() {
		m["nbf"] = c.Nbf.Unix()
	}
	if c.Iss != "" {
		m["iss"] = c.Iss
	}
	return m
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func timeOr(t, d time.Time) int64 {
	if t.IsZero() {
		return d.Unix()
	}
	return t.Unix()
}

// unsigned builds a token by hand, for algorithms no library will sign with.
func unsigned(header string, c claims, sig []byte) string {
	p, _ := json.Marshal(c.jwt())
	return base64.RawURLEncoding.EncodeToString([]byte(header)) + "." + base64.RawURLEncoding.EncodeToString(p) + "." + base64.RawURLEncoding.EncodeToString(sig)
}

const consentPolicy = `
	route /shop {
		minimize shop {
			purposes support marketing
			keep order.id
			never customer.password
			purpose support {
				keep customer.name
			}
			consent {
				keys {{.JWKS}} {{.PEM}}
				subject customer.id
				keep customer.email customer.password
				mask customer.phone last4
			}
		}
		reverse_proxy {{.Upstream}}
	}
	route /required {
		minimize shop {
			purposes support
			keep order.id
			pass text/plain
			consent {
				keys {{.JWKS}}
				subject orders.#.customer.id
				required
				keep orders.#.customer.email
			}
		}
		reverse_proxy {{.Upstream}}
	}
	route /report {
		minimize shop {
			mode report
			purposes support
			keep order.id
		}
		reverse_proxy {{.Upstream}}
	}`

const shopBody = `{"order":{"id":"o-1"},"customer":{"id":"cus_8812","name":"Ann Lee","email":"ann@example.com","phone":"+44 20 7946 0958","password":"hunter2"}}`

func TestConsentWidensExactlyItsScope(t *testing.T) {
	t.Parallel()
	k := newConsentKeys(t)
	u := newUpstream(t)
	g := startGateway(t, globalBlock+site(consentPolicy), map[string]string{"Upstream": u.addr(), "JWKS": k.jwks, "PEM": k.pemPath})
	minimized := `{"order":{"id":"o-1"},"customer":{"name":"Ann Lee"}}`
	all := `{"order":{"id":"o-1"},"customer":{"name":"Ann Lee","email":"ann@example.com","phone":"************0958"}}`
	hour := time.Now().Add(time.Hour)
	cases := []struct {
		name, token, purpose, want, outcome, jti string
		granted                                  []string
	}{
		{"no token", "", "support", minimized, "none", "", nil},
		{"everything consent may release (the floor holds)", k.mint(t, jose.EdDSA, "ed-2026", claims{}), "support", all, "valid", "consent-1", []string{"customer.email", "customer.password", "customer.phone"}},
		{"a scope of one field", k.mint(t, jose.ES256, "es-2025", claims{Scope: []string{"Customer.Email"}, Jti: "c-2"}), "support",
			`{"order":{"id":"o-1"},"customer":{"name":"Ann Lee","email":"ann@example.com"}}`, "valid", "c-2", []string{"customer.email"}},
		{"a PEM key, chosen by thumbprint", k.mint(t, jose.ES256, k.pemKid, claims{Scope: []string{"customer.phone"}}), "support",
			`{"order":{"id":"o-1"},"customer":{"name":"Ann Lee","phone":"************0958"}}`, "valid", "consent-1", []string{"customer.phone"}},
		{"a scope naming nothing the policy releases", k.mint(t, jose.EdDSA, "ed-2026", claims{Scope: []string{"customer.ssn"}}), "support", minimized, "valid", "consent-1", []string{}},
		{"expired", k.mint(t, jose.EdDSA, "ed-2026", claims{Exp: time.Now().Add(-2 * time.Minute)}), "support", minimized, "expired", "consent-1", nil},
		{"not yet valid", k.mint(t, jose.EdDSA, "ed-2026", claims{Nbf: time.Now().Add(10 * time.Minute)}), "support", minimized, "not_yet_valid", "consent-1", nil},
		{"issued in the future", k.mint(t, jose.EdDSA, "ed-2026", claims{Iat: time.Now().Add(10 * time.Minute), Exp: hour}), "support", minimized, "not_yet_valid", "consent-1", nil},
		{"wrong audience", k.mint(t, jose.EdDSA, "ed-2026", claims{Aud: "other-partner"}), "support", minimized, "wrong_audience", "consent-1", nil},
		{"wrong purpose", k.mint(t, jose.EdDSA, "ed-2026", claims{Purposes: []string{"marketing"}}), "support", minimized, "wrong_purpose", "consent-1", nil},
		{"wrong subject", k.mint(t, jose.EdDSA, "ed-2026", claims{Sub: "cus_9999"}), "support", minimized, "wrong_subject", "consent-1", nil},
		{"bad signature", k.mint(t, jose.EdDSA, "ed-2026", claims{})[:0] + tamper(k.mint(t, jose.EdDSA, "ed-2026", claims{})), "support", minimized, "bad_signature", "", nil},
		{"signed by another key", k.mint(t, jose.ES256, "ed-2026", claims{}), "support", minimized, "bad_signature", "", nil},
		{"unknown kid", k.mint(t, jose.EdDSA, "ed-1999", claims{}), "support", minimized, "unknown_key", "", nil},
		{"no kid with several keys", k.mint(t, jose.EdDSA, "", claims{}), "support", minimized, "unknown_key", "", nil},
		{"alg none", unsigned(`{"alg":"none","typ":"JWT","kid":"ed-2026"}`, claims{}, nil), "support", minimized, "unsupported_algorithm", "", nil},
		{"HMAC with the public key as secret", hmacConfused(t, k), "support", minimized, "unsupported_algorithm", "", nil},
		{"garbage", "not.a.token", "support", minimized, "malformed", "", nil},
	}
	for i, c := range cases {
		hdrs := []string{"Data-Purpose", c.purpose}
		if c.token != "" {
			hdrs = append(hdrs, "Data-Consent", c.token)
		}
		status, _, resp := post(t, g.url("/shop"), "application/json", []byte(shopBody), hdrs...)
		if status != 200 || string(resp) != c.want {
			t.Errorf("%s: %d %s\nwant %s", c.name, status, resp, c.want)
		}
		r := u.last(t)
		if v := r.Header.Values("Data-Consent"); len(v) != 0 {
			t.Errorf("%s: the consent header reached the partner: %q", c.name, v)
		}
		a := nthAudit(t, g, i+1)
		if a.Consent.Outcome != c.outcome || a.Consent.JTI != c.jti || fmt.Sprint(a.Consent.Granted) != fmt.Sprint(c.granted) {
			t.Errorf("%s: audit consent %+v, want outcome %s jti %q granted %v", c.name, a.Consent, c.outcome, c.jti, c.granted)
		}
	}
	assertNoCanary(t, g.logs(), "hunter2", "ann@example.com", "Ann Lee", "7946 0958")
}

// TestConsentWidensAResponseOnlyAboutItsSubject: on a route that minimizes
// the upstream's answer too, a consent proven by the request's body widens
// the response only if the response is about the same subject; an answer
// about someone else gets the policy without it.
func TestConsentWidensAResponseOnlyAboutItsSubject(t *testing.T) {
	t.Parallel()
	k := newConsentKeys(t)
	u := newUpstream(t)
	g := startGateway(t, globalBlock+site(`
	route /one {
		minimize shop {
			purposes support
			keep order.id
			response minimize
			consent {
				keys {{.JWKS}}
				subject customer.id
				keep customer.email
			}
		}
		reverse_proxy {{.Upstream}}
	}
	route /list {
		minimize shop {
			purposes support
			response minimize
			consent {
				keys {{.JWKS}}
				subject customers.#.id
				keep customers.#.email
			}
		}
		reverse_proxy {{.Upstream}}
	}`), map[string]string{"Upstream": u.addr(), "JWKS": k.jwks})
	token := k.mint(t, jose.EdDSA, "ed-2026", claims{})
	ann := `{"order":{"id":"o-1"},"customer":{"id":"cus_8812","email":"ann@example.com"}}`
	annList := `{"customers":[{"id":"cus_8812","email":"ann@example.com"}]}`
	annOnly := `{"customers":[{"email":"ann@example.com"}]}`
	cases := []struct {
		name, path, body, token, answer, want, sent, consent string
	}{
		{"an answer about the subject", "/one", ann, token, ann,
			`{"order":{"id":"o-1"},"customer":{"email":"ann@example.com"}}`, `{"order":{"id":"o-1"},"customer":{"email":"ann@example.com"}}`, "valid"},
		{"an answer about someone else", "/one", ann, token, `{"order":{"id":"o-2"},"customer":{"id":"cus_9999","email":"bob@example.com"}}`,
			`{"order":{"id":"o-2"}}`, `{"order":{"id":"o-1"},"customer":{"email":"ann@example.com"}}`, "wrong_subject"},
		{"an answer naming no subject", "/one", ann, token, `{"order":{"id":"o-3"},"customer":{"email":"bob@example.com"}}`,
			`{"order":{"id":"o-3"}}`, `{"order":{"id":"o-1"},"customer":{"email":"ann@example.com"}}`, "wrong_subject"},
		{"no token", "/one", ann, "", ann, `{"order":{"id":"o-1"}}`, `{"order":{"id":"o-1"}}`, ""},
		// A list is widened only if every element names the subject, and only it.
		{"a list about the subject", "/list", annList, token, `{"customers":[{"id":"cus_8812","email":"ann@example.com"},{"id":"cus_8812","email":"ann@work.example"}]}`,
			`{"customers":[{"email":"ann@example.com"},{"email":"ann@work.example"}]}`, annOnly, "valid"},
		{"a list with someone without an id", "/list", annList, token, `{"customers":[{"id":"cus_8812","email":"ann@example.com"},{"email":"bob@example.com"}]}`,
			`{}`, annOnly, "wrong_subject"},
		{"a list with someone whose id is null", "/list", annList, token, `{"customers":[{"id":"cus_8812","email":"ann@example.com"},{"id":null,"email":"bob@example.com"}]}`,
			`{}`, annOnly, "wrong_subject"},
		{"a list with someone whose id is an object", "/list", annList, token, `{"customers":[{"id":"cus_8812","email":"ann@example.com"},{"id":{"v":"cus_9999"},"email":"bob@example.com"}]}`,
			`{}`, annOnly, "wrong_subject"},
		{"a list with someone whose id is a list", "/list", annList, token, `{"customers":[{"id":"cus_8812","email":"ann@example.com"},{"id":["cus_8812"],"email":"bob@example.com"}]}`,
			`{}`, annOnly, "wrong_subject"},
	}
	for i, c := range cases {
		u.respond(200, "application/json", []byte(c.answer))
		hdrs := []string{"Data-Purpose", "support"}
		if c.token != "" {
			hdrs = append(hdrs, "Data-Consent", c.token)
		}
		status, _, resp := post(t, g.url(c.path), "application/json", []byte(c.body), hdrs...)
		if status != 200 || string(resp) != c.want {
			t.Errorf("%s: %d %s\nwant %s", c.name, status, resp, c.want)
		}
		if got := string(u.last(t).Body); got != c.sent {
			t.Errorf("%s: the upstream received %s, want %s", c.name, got, c.sent)
		}
		a := nthAudit(t, g, i+1)
		if a.Response == nil || a.Response.Consent != c.consent {
			t.Errorf("%s: the record's response %+v, want consent %q", c.name, a.Response, c.consent)
		}
	}
	assertNoCanary(t, g.logs(), "ann@example.com", "bob@example.com", "cus_8812", "cus_9999")
}

// TestConsentWidensTheBodyAlone: a consent whose subject sits at the root
// may release a category, which the policy also applies to the query
// string; the token widens the body it was checked against, never the
// query string, whose data nothing ties to the subject.
func TestConsentWidensTheBodyAlone(t *testing.T) {
	t.Parallel()
	k := newConsentKeys(t)
	u := newUpstream(t)
	g := startGateway(t, globalBlock+site(`
	minimize shop {
		purposes support
		consent {
			keys {{.JWKS}}
			subject id
			keep @contact
		}
	}
	reverse_proxy {{.Upstream}}`), map[string]string{"Upstream": u.addr(), "JWKS": k.jwks})
	body := `{"id":"cus_8812","email":"ann@example.com"}`
	for _, c := range []struct{ name, token, body, uri string }{
		{"no token", "", `{}`, "/orders"},
		{"a valid token", k.mint(t, jose.EdDSA, "ed-2026", claims{}), `{"email":"ann@example.com"}`, "/orders"},
	} {
		hdrs := []string{"Data-Purpose", "support"}
		if c.token != "" {
			hdrs = append(hdrs, "Data-Consent", c.token)
		}
		if status, _, resp := post(t, g.url("/orders?email=bob@example.com&n=1"), "application/json", []byte(body), hdrs...); status != 200 {
			t.Fatalf("%s: %d %s", c.name, status, resp)
		}
		if r := u.last(t); string(r.Body) != c.body || r.URI != c.uri {
			t.Errorf("%s: the upstream received %s %s, want %s %s", c.name, r.URI, r.Body, c.uri, c.body)
		}
	}
}

// tamper flips a byte of the signature.
func tamper(tok string) string {
	b := []byte(tok)
	i := len(b) - 5
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

// hmacConfused signs HS256 with the verifier's public key as the secret: a
// verifier that let the token pick its algorithm would accept it.
func hmacConfused(t *testing.T, k *consentKeys) string {
	pub := k.ed.Public().(ed25519.PublicKey)
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: []byte(pub)}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "ed-2026"))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.Signed(s).Claims(claims{}.jwt()).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestConsentRequiredAndSubjects(t *testing.T) {
	t.Parallel()
	k := newConsentKeys(t)
	u := newUpstream(t)
	g := startGateway(t, globalBlock+site(consentPolicy), map[string]string{"Upstream": u.addr(), "JWKS": k.jwks, "PEM": k.pemPath})
	one := `{"orders":[{"customer":{"id":"cus_8812","email":"a@x.io"}},{"customer":{"id":"cus_8812","email":"b@x.io"}}]}`
	two := `{"orders":[{"customer":{"id":"cus_8812","email":"a@x.io"}},{"customer":{"id":"cus_7","email":"b@x.io"}}]}`
	tok := k.mint(t, jose.EdDSA, "ed-2026", claims{})

	status, _, resp := post(t, g.url("/required"), "application/json", []byte(one), "Data-Purpose", "support", "Data-Consent", tok)
	if status != 200 || string(resp) != `{"orders":[{"customer":{"email":"a@x.io"}},{"customer":{"email":"b@x.io"}}]}` {
		t.Errorf("one subject, covered: %d %s", status, resp)
	}
	before := u.count()
	for _, c := range []struct{ name, body, token, detail, ctype string }{
		{"two subjects, one covered: nothing is widened", two, tok, "the consent token was refused: wrong_subject", ""},
		{"an order without a subject: nothing is widened", `{"orders":[{"customer":{"id":"cus_8812","email":"a@x.io"}},{"customer":{"email":"b@x.io"}}]}`, tok, "the consent token was refused: wrong_subject", ""},
		{"a subject that is not a value", `{"orders":[{"customer":{"id":"cus_8812"}},{"customer":{"id":["cus_8812","cus_7"]}}]}`, tok, "the consent token was refused: wrong_subject", ""},
		{"no token", one, "", "this partner's policy requires a consent token", ""},
		{"a passed body without a token", "hello a@x.io", "", "this partner's policy requires a consent token", "text/plain"},
		{"expired", one, k.mint(t, jose.EdDSA, "ed-2026", claims{Exp: time.Now().Add(-time.Hour)}), "the consent token was refused: expired", ""},
	} {
		hdrs := []string{"Data-Purpose", "support"}
		if c.token != "" {
			hdrs = append(hdrs, "Data-Consent", c.token)
		}
		status, hdr, resp := post(t, g.url("/required"), cmp.Or(c.ctype, "application/json"), []byte(c.body), hdrs...)
		var p problemDoc
		_ = json.Unmarshal(resp, &p)
		if status != 403 || p.Type != "urn:caddy-minimize:problem:consent-required" || p.Detail != c.detail || hdr.Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s: %d %s", c.name, status, resp)
		}
	}
	// An empty chunked body is a request without a body: refused too.
	raw := "POST /required HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nData-Purpose: support\r\n" +
		"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n0\r\n\r\n"
	if resp := rawRequest(t, g, raw); !strings.HasPrefix(resp, "HTTP/1.1 403") || !strings.Contains(resp, "consent-required") {
		t.Errorf("an empty chunked body without a token: %q", resp)
	}
	if u.count() != before {
		t.Errorf("refused requests reached the upstream")
	}
	// A purpose is required where the policy lists purposes.
	for _, purpose := range []string{"", "billing"} {
		status, _, resp := post(t, g.url("/shop"), "application/json", []byte(shopBody), "Data-Purpose", purpose)
		if status != 403 || !strings.Contains(string(resp), `"detail":"this partner's policy requires a purpose header naming one of: support, marketing"`) {
			t.Errorf("purpose %q: %d %s", purpose, status, resp)
		}
	}
	if u.count() != before {
		t.Errorf("refused requests reached the upstream")
	}
	// Purpose rules apply only to their purpose.
	_, _, resp = post(t, g.url("/shop"), "application/json", []byte(shopBody), "Data-Purpose", "marketing")
	if string(resp) != `{"order":{"id":"o-1"}}` {
		t.Errorf("marketing: %s", resp)
	}
}

func TestReportModeForwardsTheOriginal(t *testing.T) {
	t.Parallel()
	k := newConsentKeys(t)
	u := newUpstream(t)
	g := startGateway(t, globalBlock+site(consentPolicy), map[string]string{"Upstream": u.addr(), "JWKS": k.jwks, "PEM": k.pemPath})
	status, _, resp := post(t, g.url("/report"), "application/json", []byte(shopBody), "Data-Purpose", "support", "Data-Consent", "x.y.z", "Digest", "sha-256=abc")
	if status != 200 || string(resp) != shopBody || u.last(t).Header.Get("Digest") != "sha-256=abc" || u.last(t).Header.Get("Data-Consent") != "" {
		t.Fatalf("report mode: %d %s %v", status, resp, u.last(t).Header)
	}
	a := nthAudit(t, g, 1)
	if a.Msg != "report only: not enforced, the original was forwarded" || a.Mode != "report" || a.Outcome != "forwarded" ||
		a.BytesIn != len(shopBody) || a.BytesOut != len(shopBody) || fmt.Sprint(a.Fields) != "[{drop (default) 1 false} {keep order.id 1 false} {keep header.(default) 4 false}]" {
		t.Errorf("report audit %+v", a)
	}
	// A body enforce mode would refuse is forwarded too, and recorded.
	bad := `{"a":1,"a":2}`
	if status, _, resp := post(t, g.url("/report"), "application/json", []byte(bad), "Data-Purpose", "support"); status != 200 || string(resp) != bad {
		t.Errorf("report mode, duplicate keys: %d %s", status, resp)
	}
	if a := nthAudit(t, g, 2); a.Problem != "duplicate-key" || a.Outcome != "forwarded" || a.Mode != "report" {
		t.Errorf("report audit of a bad body %+v", a)
	}
}

// audit is one disclosure record as logged.
type audit struct {
	Logger    string `json:"logger"`
	Msg       string `json:"msg"`
	Mode      string `json:"mode"`
	RequestID string `json:"request_id"`
	Partner   string `json:"partner"`
	Purpose   string `json:"purpose"`
	Consent   struct {
		Outcome string   `json:"outcome"`
		JTI     string   `json:"jti"`
		Granted []string `json:"granted"`
	} `json:"consent"`
	Policy   string  `json:"policy"`
	Outcome  string  `json:"outcome"`
	Problem  string  `json:"problem"`
	Status   int     `json:"status"`
	BytesIn  int     `json:"bytes_in"`
	BytesOut int     `json:"bytes_out"`
	Duration float64 `json:"duration"`
	Response *struct {
		Mode     string `json:"mode"`
		Consent  string `json:"consent"`
		Restored int    `json:"tokens_restored"`
		Failed   int    `json:"tokens_failed"`
	} `json:"response"`
	Categories struct {
		Clear       []string `json:"clear"`
		Transformed []string `json:"transformed"`
	} `json:"categories"`
	Fields []struct {
		Action string `json:"action"`
		Path   string `json:"path"`
		Count  int    `json:"count"`
		Floor  bool   `json:"floor"`
	} `json:"fields"`
}

// audits returns the gateway's disclosure records so far, oldest first.
func audits(t *testing.T, g *gateway) []audit {
	t.Helper()
	var out []audit
	for _, line := range strings.Split(g.logs(), "\n") {
		if !strings.Contains(line, `"logger":"http.handlers.minimize.audit"`) {
			continue
		}
		var a audit
		if err := json.Unmarshal([]byte(line), &a); err != nil {
			t.Fatalf("audit line is not JSON: %v: %s", err, line)
		}
		out = append(out, a)
	}
	return out
}

// nthAudit returns the gateway's n-th disclosure record (from 1), waiting
// briefly: a record may be written just after the response reached the
// client.
func nthAudit(t *testing.T, g *gateway, n int) audit {
	t.Helper()
	for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if as := audits(t, g); len(as) >= n {
			return as[n-1]
		} else if time.Now().After(deadline) {
			t.Fatalf("%d audit records, want at least %d", len(as), n)
		}
	}
}
