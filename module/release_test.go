package module

import (
	"bytes"
	"cmp"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/klauspost/compress/gzip"

	"github.com/caddy-minimize/caddy-minimize/internal/benchdoc"
)

// TestReleasedBuffersAreNotRead: the body's buffers go back to the pool
// as soon as the rewrite is done, before the upstream's round trip, and are
// overwritten there (poisonReleased). Whatever still read them would show
// it: the body the upstream gets, the query and headers, the problem, the
// response and the disclosure record are each compared whole, on every path
// that runs after the release (enforce, report, forms, compressed bodies,
// consent granted and refused, refusals, responses), with the requests
// running side by side so that buffers pass from one to the next.
func TestReleasedBuffersAreNotRead(t *testing.T) {
	poisonReleased.Store(true)
	t.Cleanup(func() { poisonReleased.Store(false) })

	pemFile, sign := releaseConsentKey(t)
	shop := func(mode string, required bool, response string) *Handler {
		return &Handler{
			Partner: "shop", Mode: mode, Response: response,
			Rules: []RuleConfig{
				{Action: "keep", Path: "order.id"}, {Action: "keep", Path: "items.#.sku"},
				{Action: "mask", Path: "customer.phone", Args: []string{"last4"}},
				{Action: "redact", Path: "notes"}, {Action: "keep", Path: "sku"},
				{Action: "keep", Path: "query.page"}, {Action: "drop", Path: "header.x-secret"},
			},
			Purposes: []string{"support"},
			Consent: &Consent{
				Keys: []string{pemFile}, Subject: "customer.id", Required: required,
				Rules: []RuleConfig{{Action: "keep", Path: "customer.email"}},
			},
		}
	}
	var log lockedBuffer
	setup := func(h *Handler) *Handler { return loggedHandler(t, h, &log) }
	enforce, report := setup(shop("", false, "")), setup(shop("report", false, ""))
	required, reportRequired := setup(shop("", true, "")), setup(shop("report", true, ""))
	responses := setup(shop("", false, "minimize"))
	big := benchHandler(t, &log)

	const order = `{"order":{"id":"o-1","total":12.5},"customer":{"id":"c-7","email":"jane@example.com","phone":"+44 20 7946 0958"},"items":[{"sku":"A-1","qty":2}],"notes":"call me"}`
	const minimized = `{"order":{"id":"o-1"},"customer":{"phone":"************0958"},"items":[{"sku":"A-1"}],"notes":"[REDACTED]"}`
	const consented = `{"order":{"id":"o-1"},"customer":{"email":"jane@example.com","phone":"************0958"},"items":[{"sku":"A-1"}],"notes":"[REDACTED]"}`
	const duplicate = `{"order":{"id":"o-1","id":"o-2"}}`
	gz := releaseGzip(t, order)
	bigBody := benchdoc.Orders(256 << 10)
	bigWant, err := big.policies.engine("").ch[chBody].engine.Rewrite(nil, bigBody, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The fields of the record that differ from case to case, besides
	// request_id, ts and duration.
	const (
		query           = `{"action":"drop","count":1,"path":"query.(default)"},{"action":"keep","count":1,"path":"query.page"}`
		headers         = `{"action":"keep","count":2,"path":"header.(default)"},{"action":"drop","count":1,"path":"header.x-secret"},{"action":"drop","count":1,"path":"header.x-forwarded-for"}`
		body            = `{"action":"drop","count":4,"path":"(default)"},{"action":"redact","count":1,"path":"notes"},{"action":"keep","count":1,"path":"items.#.sku"},{"action":"keep","count":1,"path":"order.id"},{"action":"mask","count":1,"path":"customer.phone"}`
		minimizedRecord = `"bytes_in":163,"bytes_out":107,"categories":{"transformed":["contact"]},"fields":[` + body + `,` + query + `,` + headers + `]`
	)
	type want struct {
		status              int
		body, query         string
		reply               string // what the client gets, when not the upstream's answer
		record              string // members of the record besides the common ones
		upstreamNeverCalled bool
	}
	cases := []struct {
		name     string
		h        *Handler
		body     []byte
		ctype    string
		encoding string
		consent  string
		upstream string // the upstream's response body, when not "ok"
		want     want
	}{
		{name: "enforce", h: enforce, body: []byte(order), want: want{status: 200, body: minimized, query: "page=2",
			record: `"outcome":"forwarded",` + minimizedRecord}},
		{name: "enforce gzip", h: enforce, body: gz, encoding: "gzip", want: want{status: 200, body: minimized, query: "page=2",
			record: `"outcome":"forwarded",` + minimizedRecord}},
		{name: "enforce consent", h: enforce, body: []byte(order), consent: sign("c-7"), want: want{status: 200, body: consented, query: "page=2",
			record: `"outcome":"forwarded","bytes_in":163,"bytes_out":134,"consent":{"outcome":"valid","jti":"jti-c-7","granted":["customer.email"]},` +
				`"categories":{"clear":["contact"],"transformed":["contact"]},"fields":[{"action":"drop","count":3,"path":"(default)"},{"action":"redact","count":1,"path":"notes"},` +
				`{"action":"keep","count":1,"path":"customer.email"},{"action":"keep","count":1,"path":"items.#.sku"},{"action":"keep","count":1,"path":"order.id"},` +
				`{"action":"mask","count":1,"path":"customer.phone"},` + query + `,` + headers + `]`}},
		{name: "enforce form", h: enforce, body: []byte("sku=A-1&notes=call+me&email=jane%40example.com"), ctype: "application/x-www-form-urlencoded",
			want: want{status: 200, body: "sku=A-1&notes=%5BREDACTED%5D", query: "page=2",
				record: `"outcome":"forwarded","bytes_in":46,"bytes_out":28,"fields":[{"action":"drop","count":1,"path":"(default)"},` +
					`{"action":"keep","count":1,"path":"sku"},{"action":"redact","count":1,"path":"notes"},` + query + `,` + headers + `]`}},
		{name: "enforce duplicate", h: enforce, body: []byte(duplicate), want: want{status: 400, upstreamNeverCalled: true,
			reply:  `{"type":"urn:caddy-minimize:problem:duplicate-key","title":"Request body rejected","status":400,"detail":"duplicate key at byte offset 21 (keys are compared decoded and case-insensitively)","partner":"shop"}`,
			record: `"outcome":"rejected","problem":"duplicate-key","status":400,"bytes_in":33,"bytes_out":0`}},
		{name: "enforce consent required", h: required, body: []byte(order), want: want{status: 403, upstreamNeverCalled: true,
			reply:  `{"type":"urn:caddy-minimize:problem:consent-required","title":"Consent required","status":403,"detail":"this partner's policy requires a consent token","partner":"shop"}`,
			record: `"outcome":"rejected","problem":"consent-required","status":403,"bytes_in":163,"bytes_out":0`}},
		{name: "report", h: report, body: []byte(order), want: want{status: 200, body: order, query: "page=2&email=x",
			record: `"outcome":"forwarded","bytes_in":163,"bytes_out":163,"categories":{"transformed":["contact"]},"fields":[` + body + `,` + query + `,` + headers + `]`}},
		{name: "report gzip", h: report, body: gz, encoding: "gzip", want: want{status: 200, body: string(gz), query: "page=2&email=x",
			record: fmt.Sprintf(`"outcome":"forwarded","bytes_in":163,"bytes_out":%d,"categories":{"transformed":["contact"]},"fields":[`, len(gz)) + body + `,` + query + `,` +
				strings.Replace(headers, `"count":2`, `"count":3`, 1) + `]`}}, // and Content-Encoding
		// A refusal in report mode forwards the original at once: the query
		// and headers are not looked at.
		{name: "report duplicate", h: report, body: []byte(duplicate), want: want{status: 200, body: duplicate, query: "page=2&email=x",
			record: `"outcome":"forwarded","problem":"duplicate-key","bytes_in":33,"bytes_out":0`}},
		{name: "report consent required", h: reportRequired, body: []byte(order), want: want{status: 200, body: order, query: "page=2&email=x",
			record: `"outcome":"forwarded","problem":"consent-required","bytes_in":163,"bytes_out":0`}},
		{name: "response", h: responses, body: []byte(order), upstream: `{"order":{"id":"o-9","total":3}}`, want: want{status: 200, body: minimized, query: "page=2",
			reply: `{"order":{"id":"o-9"}}`,
			record: `"outcome":"forwarded",` + minimizedRecord +
				`,"response":{"fields":[{"action":"drop","count":1,"path":"(default)"},{"action":"keep","count":1,"path":"order.id"}],"mode":"minimize"}`}},
	}

	type seen struct {
		called      bool
		body, query string
		header      string // the forwarded headers, printed sorted
	}
	run := func(t *testing.T, h *Handler, body []byte, ctype, encoding, consent, upstream string) (*httptest.ResponseRecorder, seen, string) {
		r := httptest.NewRequest(http.MethodPost, "http://gw/shop?page=2&email=x", bytes.NewReader(body))
		r.Header.Set("Content-Type", cmp.Or(ctype, "application/json"))
		r.Header.Set("Data-Purpose", "support")
		r.Header.Set("X-Secret", "s3cr3t")
		r.Header.Set("X-Forwarded-For", "203.0.113.7")
		if encoding != "" {
			r.Header.Set("Content-Encoding", encoding)
		}
		if consent != "" {
			r.Header.Set("Data-Consent", consent)
		}
		r = caddyhttp.PrepareRequest(r, caddy.NewReplacer(), nil, nil)
		var s seen
		next := caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
			// As the transport does, on a goroutine of its own: reading
			// the minimized body to its end writes the record there.
			var b []byte
			var err error
			sending := make(chan struct{})
			go func() {
				defer close(sending)
				b, err = io.ReadAll(r.Body)
				r.Body.Close()
			}()
			<-sending
			s = seen{called: true, body: string(b), query: r.URL.RawQuery, header: fmt.Sprint(r.Header)}
			w.Header().Set("Content-Type", "application/json")
			_, werr := io.WriteString(w, cmp.Or(upstream, "ok"))
			return cmp.Or(err, werr)
		})
		w := httptest.NewRecorder()
		if err := h.ServeHTTP(w, r, next); err != nil {
			t.Error(err) // from the requests' goroutines: no Fatal
		}
		return w, s, requestID(r)
	}

	const rounds = 6
	var wg sync.WaitGroup
	ids := make([][]string, len(cases))
	var bigIDs []string
	var mu sync.Mutex
	for i, tc := range cases {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range rounds {
				w, s, id := run(t, tc.h, tc.body, tc.ctype, tc.encoding, tc.consent, tc.upstream)
				mu.Lock()
				ids[i] = append(ids[i], id)
				mu.Unlock()
				reply := cmp.Or(tc.want.reply, cmp.Or(tc.upstream, "ok"))
				if w.Code != tc.want.status || w.Body.String() != reply {
					t.Errorf("%s: answered %d %q, want %d %q", tc.name, w.Code, w.Body.String(), tc.want.status, reply)
				}
				if tc.want.upstreamNeverCalled {
					if s.called {
						t.Errorf("%s: the upstream was called with %q", tc.name, s.body)
					}
					continue
				}
				// The headers as the upstream gets them: in enforce mode,
				// what the policy kept and the new length.
				header := http.Header{"Content-Type": {cmp.Or(tc.ctype, "application/json")}, "Data-Purpose": {"support"}}
				if tc.h.Mode == "report" {
					header["X-Secret"], header["X-Forwarded-For"] = []string{"s3cr3t"}, []string{"203.0.113.7"}
					if tc.encoding != "" {
						header["Content-Encoding"] = []string{tc.encoding}
					}
				} else {
					header["Content-Length"] = []string{fmt.Sprint(len(tc.want.body))}
				}
				if tc.h.Response != "" {
					header["Accept-Encoding"] = []string{"identity"}
				}
				if s.body != tc.want.body || s.query != tc.want.query || s.header != fmt.Sprint(header) {
					t.Errorf("%s: the upstream got body %q query %q headers %s,\nwant %q %q %s", tc.name, s.body, s.query, s.header, tc.want.body, tc.want.query, header)
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for range rounds {
			w, s, id := run(t, big, bigBody, "", "", "", "")
			mu.Lock()
			bigIDs = append(bigIDs, id)
			mu.Unlock()
			header := http.Header{"Content-Type": {"application/json"}, "Data-Purpose": {"support"}, "X-Secret": {"s3cr3t"}, "Content-Length": {fmt.Sprint(len(bigWant))}}
			if w.Code != 200 || s.body != string(bigWant) || s.header != fmt.Sprint(header) {
				t.Errorf("256 KB: answered %d, the upstream got %d bytes and headers %s, want %d bytes as the engine writes them and %s", w.Code, len(s.body), s.header, len(bigWant), header)
			}
		}
	}()
	wg.Wait()

	records := map[string]map[string]any{}
	for _, line := range strings.Split(strings.TrimSpace(log.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if rec["logger"] != "audit" {
			continue
		}
		id, _ := rec["request_id"].(string)
		if _, dup := records[id]; dup || id == "" {
			t.Fatalf("record for request %q twice or without an id: %s", id, line)
		}
		records[id] = rec
	}
	for i, tc := range cases {
		for _, id := range ids[i] {
			rec := records[id]
			if rec == nil {
				t.Errorf("%s: no record for request %s", tc.name, id)
				continue
			}
			msg, mode := "disclosure", "enforce"
			if tc.h.Mode == "report" {
				msg, mode = "report only: not enforced, the original was forwarded", "report"
			}
			var want map[string]any
			common := fmt.Sprintf(`{"level":"info","logger":"audit","msg":%q,"mode":%q,"request_id":%q,"partner":"shop","purpose":"support","consent":{"outcome":"none"},"policy":%q,`,
				msg, mode, id, tc.h.hash)
			if err := json.Unmarshal([]byte(common+tc.want.record+`}`), &want); err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			got := maps.Clone(rec)
			delete(got, "ts")
			if d, ok := got["duration"].(float64); !ok || d < 0 {
				t.Errorf("%s: duration %v", tc.name, got["duration"])
			}
			delete(got, "duration")
			gj, _ := json.Marshal(got)
			wj, _ := json.Marshal(want)
			if !bytes.Equal(gj, wj) {
				t.Errorf("%s: record\n got %s\nwant %s", tc.name, gj, wj)
			}
		}
	}
	for _, id := range bigIDs {
		if rec := records[id]; rec == nil || rec["bytes_in"] != float64(len(bigBody)) || rec["bytes_out"] != float64(len(bigWant)) || rec["outcome"] != "forwarded" {
			t.Errorf("256 KB: record %v", rec)
		}
	}
}

// lockedBuffer collects log lines written from several goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func releaseGzip(t *testing.T, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := io.WriteString(zw, s); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// releaseConsentKey writes an Ed25519 public key as PEM and returns its
// path and a signer of consent tokens for subject sub (purpose support,
// every consent rule, jti "jti-"+sub).
func releaseConsentKey(t *testing.T) (string, func(sub string) string) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "consent.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.EdDSA, Key: priv}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	return path, func(sub string) string {
		now := time.Now()
		tok, err := jwt.Signed(signer).Claims(consentClaims{
			Claims: jwt.Claims{
				Subject: sub, Audience: jwt.Audience{"shop"}, ID: "jti-" + sub,
				IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(time.Hour)),
			},
			Purposes: []string{"support"},
			Scope:    []string{"*"},
		}).Serialize()
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
}

// TestLateReadRecordsOnce: a partner that answers before it has the whole
// body leaves the transport reading it after the handler returned. The
// handler has written the record then; the late end of the body must not
// write another, and reads what was minimized, not a released buffer.
func TestLateReadRecordsOnce(t *testing.T) {
	poisonReleased.Store(true)
	t.Cleanup(func() { poisonReleased.Store(false) })
	var log lockedBuffer
	h := loggedHandler(t, &Handler{Partner: "shop", Rules: []RuleConfig{{Action: "keep", Path: "order.id"}}}, &log)
	const requests = 100
	var handlers, transports sync.WaitGroup
	for range requests {
		handlers.Go(func() {
			r := httptest.NewRequest(http.MethodPost, "http://gw/shop", strings.NewReader(`{"order":{"id":"o-1","email":"a@b.c"},"x":[1,2,3]}`))
			r.Header.Set("Content-Type", "application/json")
			r = caddyhttp.PrepareRequest(r, caddy.NewReplacer(), nil, nil)
			next := caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
				body := r.Body
				transports.Go(func() {
					b, err := io.ReadAll(body)
					body.Close()
					if string(b) != `{"order":{"id":"o-1"}}` || err != nil {
						t.Errorf("the transport read %q, %v", b, err)
					}
				})
				return nil // the partner answered early
			})
			if err := h.ServeHTTP(httptest.NewRecorder(), r, next); err != nil {
				t.Error(err)
			}
		})
	}
	handlers.Wait()
	transports.Wait()
	records := strings.Split(strings.TrimSpace(log.String()), "\n")
	if len(records) != requests {
		t.Fatalf("%d records for %d requests", len(records), requests)
	}
	for _, rec := range records {
		if !strings.Contains(rec, `"outcome":"forwarded","bytes_in":50,"bytes_out":22,`) {
			t.Fatalf("record %s", rec)
		}
	}
}
