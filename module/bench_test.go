package module

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/caddy-minimize/caddy-minimize/internal/benchdoc"
	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// benchHandler is the load test's handler (loadtest/minimize.Caddyfile):
// the engine benchmark's 20-rule policy, its audit records JSON-encoded to
// w as Caddy's default logger would.
func benchHandler(tb testing.TB, w io.Writer) *Handler {
	tb.Helper()
	h := &Handler{
		Partner: "fraud",
		Key:     "CQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQk=",
		Rules: []RuleConfig{
			{Action: "keep", Path: "orders.#.id"}, {Action: "keep", Path: "orders.#.status"},
			{Action: "keep", Path: "orders.#.currency"}, {Action: "keep", Path: "orders.#.total"},
			{Action: "generalize", Path: "orders.#.created", Args: []string{"month"}},
			{Action: "keep", Path: "orders.#.items.#.sku"}, {Action: "keep", Path: "orders.#.items.#.qty"},
			{Action: "keep", Path: "orders.#.items.#.price"},
			{Action: "pseudonymize", Path: "orders.#.customer.id"}, {Action: "pseudonymize", Path: "orders.#.customer.email"},
			{Action: "redact", Path: "orders.#.customer.name"},
			{Action: "mask", Path: "orders.#.customer.phone", Args: []string{"last4"}},
			{Action: "generalize", Path: "orders.#.customer.ip", Args: []string{"ip/24", "ip6/48"}},
			{Action: "generalize", Path: "orders.#.customer.birthdate", Args: []string{"year"}},
			{Action: "keep", Path: "orders.#.customer.address.country"},
			{Action: "generalize", Path: "orders.#.customer.address.postcode", Args: []string{"prefix/3"}},
			{Action: "mask", Path: "orders.#.payment.card.number", Args: []string{"last4"}},
			{Action: "drop", Path: "orders.#.payment.card.cvc"},
			{Action: "redact", Path: "orders.#.notes"},
			{Action: "drop", Path: "**.password"},
		},
	}
	return loggedHandler(tb, h, w)
}

// loggedHandler provisions h as Caddy would, its logs and audit records
// JSON-encoded to w as Caddy's default logger would.
func loggedHandler(tb testing.TB, h *Handler, w io.Writer) *Handler {
	tb.Helper()
	if err := h.setup(nil); err != nil {
		tb.Fatal(err)
	}
	if err := registerMetrics(nil); err != nil {
		tb.Fatal(err)
	}
	enc := zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig())
	h.logger = zap.New(zapcore.NewCore(enc, zapcore.AddSync(w), zapcore.InfoLevel))
	h.audit = h.logger.Named("audit")
	return h
}

// drain is the next handler: it reads the body whole, as the proxy does,
// and closes it.
var drain = caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
	_, err := io.Copy(io.Discard, r.Body)
	r.Body.Close()
	return err
})

// benchRequest is a request as Caddy hands it to the handler: with its
// replacer in the context, so the request id is looked up as in production.
func benchRequest(body []byte) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "http://gw/fraud/orders?x=1", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Content-Length", strconv.Itoa(len(body)))
	r.Header.Set("User-Agent", "loadtest")
	r.ContentLength = int64(len(body))
	return caddyhttp.PrepareRequest(r, caddy.NewReplacer(), nil, nil)
}

// BenchmarkServeHTTP is one request through the handler, audit record and
// metrics included, without the network: the handler's own cost.
func BenchmarkServeHTTP(b *testing.B) {
	for _, size := range []int{1 << 10, 16 << 10, 256 << 10} {
		body := benchdoc.Orders(size)
		b.Run(fmt.Sprintf("%dKB", size>>10), func(b *testing.B) {
			h := benchHandler(b, io.Discard)
			w := httptest.NewRecorder()
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				r := benchRequest(body)
				if err := h.ServeHTTP(w, r, drain); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkAudit is the disclosure record alone, for a 1 KB body's tally.
func BenchmarkAudit(b *testing.B) {
	h := benchHandler(b, io.Discard)
	body := benchdoc.Orders(1 << 10)
	var d *disclosure
	// Capture one request's record by serving it.
	c := h.policies.engine("")
	be := &c.ch[chBody]
	d = &disclosure{requestID: "0123456789abcdef", partner: h.Partner, policy: h.hash, consent: disclosureConsent{outcome: consentNone}, outcome: "forwarded"}
	d.fields[chBody] = fieldCounts{be, be.engine.NewTally()}
	if _, err := be.engine.Rewrite(nil, body, d.fields[chBody].tally); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		d.log(h.audit)
		d.record(h.stats)
	}
}
