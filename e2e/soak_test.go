package e2e

// A bounded soak: many concurrent clients, three partners with different
// policies (JSON with pseudonyms and masks, JSON under default keep with a
// query string, NDJSON streams), for a fixed time on loopback. Every body,
// request line and header the upstream receives is compared with the exact
// bytes the test computes from the policy; the gateway's goroutines (admin
// /metrics) and resident set must not grow across two rounds.
//
//	go test -race -run TestSoak ./e2e                     # 10 s
//	go test -race -run TestSoak ./e2e -soak 2m            # longer
//	SOAK_DURATION=10m go test -race -run TestSoak ./e2e
//
// The test binary runs under -race; to run the gateway itself under the
// race detector, build it so and point SOAK_CADDY_BIN at it:
//
//	go build -race -o bin/caddy-race ./cmd/caddy
//	SOAK_CADDY_BIN=$PWD/bin/caddy-race go test -race -run TestSoak ./e2e
//
// A race-enabled gateway that reports a data race fails the test.

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var soakFlag = flag.Duration("soak", 10*time.Second, "how long TestSoak runs (two rounds of half each)")

const soakClients = 32

const soakPolicy = `
	route /fraud {
		minimize fraud {
			key {env.MINIMIZE_KEY}
			keep order.id order.total items.#.sku
			pseudonymize customer.id
			mask payment.card last4
			generalize customer.ip ip/24
		}
		reverse_proxy {{.Upstream}}
	}
	route /support {
		minimize support {
			default keep
			drop customer.password **.ssn query.email
			redact notes
			mask customer.email email
		}
		reverse_proxy {{.Upstream}}
	}
	route /analytics {
		minimize analytics {
			key {env.MINIMIZE_KEY}
			keep event ts
			pseudonymize customer.id
			generalize customer.birthdate year
			max_body 4KiB
		}
		reverse_proxy {{.Upstream}}
	}`

// soakReq is one request and what the upstream must receive for it.
type soakReq struct {
	path, query, ctype string
	body               string
	wantURI, wantBody  string
}

// soakGen builds requests with random personal data and computes the
// minimized result independently of the gateway: pseudonyms with the
// harness's own HKDF/HMAC, masks and generalizations by hand.
type soakGen struct {
	t  *testing.T
	ps sync.Map // partner + "\x00" + value -> pseudonym (HKDF per call is slow under -race)
}

func (s *soakGen) pseudonym(partner, v string) string {
	if p, ok := s.ps.Load(partner + "\x00" + v); ok {
		return p.(string)
	}
	p := pseudonym(s.t, partner, v)
	s.ps.Store(partner+"\x00"+v, p)
	return p
}

func soakMaskEmail(e string) string {
	local, domain, _ := strings.Cut(e, "@")
	return local[:1] + strings.Repeat("*", len(local)-1) + "@" + domain
}

func (s *soakGen) request(rng *rand.Rand, client, seq int) soakReq {
	rid := fmt.Sprintf("%d-%d", client, seq)
	cus := fmt.Sprintf("cus_%d", rng.IntN(500)) // repeats, so pseudonyms repeat
	email := fmt.Sprintf("u%d@example.com", rng.IntN(100000))
	a, b, c, d := rng.IntN(256), rng.IntN(256), rng.IntN(256), rng.IntN(256)
	card := fmt.Sprintf("4%015d", rng.Int64N(1e15))
	total := fmt.Sprintf("%d.%02d", rng.IntN(1000), rng.IntN(100))
	birth := fmt.Sprintf("19%02d-%02d-%02d", 40+rng.IntN(60), 1+rng.IntN(12), 1+rng.IntN(28))
	switch rng.IntN(3) {
	case 0:
		var items, want []string
		for i := range 1 + rng.IntN(3) {
			sku := fmt.Sprintf("SKU-%d", rng.IntN(99))
			items = append(items, fmt.Sprintf(`{"sku":%q,"name":"%sitem-%d","price":%d}`, sku, hardCanary, i, rng.IntN(90)))
			want = append(want, fmt.Sprintf(`{"sku":%q}`, sku))
		}
		body := fmt.Sprintf(`{"order":{"id":%q,"created":"2026-11-20","total":%s},"customer":{"id":%q,"name":"%sname","email":%q,"ip":"%d.%d.%d.%d","password":"%spw","ssn":"%sssn"},"items":[%s],"payment":{"card":%q,"cvc":"%scvc"},"notes":"%snotes"}`,
			rid, total, cus, hardCanary, email, a, b, c, d, hardCanary, hardCanary, strings.Join(items, ","), card, hardCanary, hardCanary)
		want2 := fmt.Sprintf(`{"order":{"id":%q,"total":%s},"customer":{"id":%q,"ip":"%d.%d.%d.0"},"items":[%s],"payment":{"card":"************%s"}}`,
			rid, total, s.pseudonym("fraud", cus), a, b, c, strings.Join(want, ","), card[12:])
		return soakReq{path: "/fraud", query: "trace=" + hardCanary + "q", ctype: "application/json", body: body, wantURI: "/fraud", wantBody: want2}
	case 1:
		body := fmt.Sprintf(`{"order":{"id":%q,"total":%s},"customer":{"id":%q,"name":"Ann %d","email":%q,"password":"%spw","address":{"ssn":"%sssn","city":"London"}},"notes":"%snotes","tags":["a",%d]}`,
			rid, total, cus, seq, email, hardCanary, hardCanary, hardCanary, seq)
		want := fmt.Sprintf(`{"order":{"id":%q,"total":%s},"customer":{"id":%q,"name":"Ann %d","email":%q,"address":{"city":"London"}},"notes":"[REDACTED]","tags":["a",%d]}`,
			rid, total, cus, seq, soakMaskEmail(email), seq)
		page := rng.IntN(9)
		return soakReq{path: "/support", query: fmt.Sprintf("page=%d&email=%s", page, hardCanary+"q%40example.com"), ctype: "application/json", body: body,
			wantURI: fmt.Sprintf("/support?page=%d", page), wantBody: want}
	default:
		var in, out strings.Builder
		for i := range 1 + rng.IntN(5) {
			fmt.Fprintf(&in, `{"event":"view","ts":%d,"customer":{"id":%q,"birthdate":%q,"email":%q},"ssn":"%sssn","rid":%q}`+"\n", i, cus, birth, email, hardCanary, rid)
			fmt.Fprintf(&out, `{"event":"view","ts":%d,"customer":{"id":%q,"birthdate":%q}}`+"\n", i, s.pseudonym("analytics", cus), birth[:4])
		}
		return soakReq{path: "/analytics", ctype: "application/x-ndjson", body: in.String(), wantURI: "/analytics", wantBody: out.String()}
	}
}

// soakStart is startGateway with another caddy binary (SOAK_CADDY_BIN),
// without touching the harness's global one (other tests run in parallel).
func soakStart(t *testing.T, bin, tmpl string, data map[string]string, env ...string) *gateway {
	t.Helper()
	if bin == "" {
		return startGateway(t, tmpl, data, env...)
	}
	for attempt := 1; attempt <= startAttempts; attempt++ {
		g := newGateway(t, tmpl, data, env)
		g.cmd.Path, g.cmd.Args[0] = bin, bin
		if err := g.cmd.Start(); err != nil {
			t.Fatalf("starting %s: %v", bin, err)
		}
		go func() { g.waitErr = g.cmd.Wait(); close(g.done) }()
		if err := g.waitReady(readyTimeout); err == nil {
			t.Cleanup(func() { g.cleanup(t) })
			return g
		}
		g.stop()
		if !strings.Contains(g.logs(), "address already in use") || attempt == startAttempts {
			t.Fatalf("gateway did not start:\n%s", g.logs())
		}
	}
	panic("unreachable")
}

func TestSoak(t *testing.T) {
	t.Parallel()
	total := *soakFlag
	if v := os.Getenv("SOAK_DURATION"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("SOAK_DURATION=%q: %v", v, err)
		}
		total = d
	}
	bin := os.Getenv("SOAK_CADDY_BIN")
	if bin != "" {
		abs, err := filepath.Abs(bin)
		if err != nil {
			t.Fatal(err)
		}
		bin = abs
	}
	u := newUpstream(t)
	g := soakStart(t, bin, globalBlock+site(soakPolicy), map[string]string{"Upstream": u.addr()}, "MINIMIZE_KEY="+testKey)

	transport := &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		DisableCompression:  true,
		MaxIdleConnsPerHost: soakClients,
	}
	client := &http.Client{Timeout: 30 * time.Second, Transport: transport}
	gen := &soakGen{t: t}

	var (
		mu       sync.Mutex
		expected = map[string]soakReq{} // by X-Request-Id
		sent     atomic.Int64
		failures atomic.Int64
	)
	run := func(d time.Duration, round int) {
		deadline := time.Now().Add(d)
		var wg sync.WaitGroup
		for c := range soakClients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rng := rand.New(rand.NewPCG(uint64(round), uint64(c)))
				for seq := 0; time.Now().Before(deadline); seq++ {
					r := gen.request(rng, c+round*soakClients, seq)
					rid := fmt.Sprintf("r%d-%d-%d", round, c, seq)
					mu.Lock()
					expected[rid] = r
					mu.Unlock()
					url := g.url(r.path)
					if r.query != "" {
						url += "?" + r.query
					}
					req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(r.body))
					req.Header.Set("Content-Type", r.ctype)
					req.Header.Set("X-Request-Id", rid)
					req.Header.Set("X-User-Email", hardCanary+"hdr@example.com")
					req.Header.Set("Cookie", "sid="+hardCanary+"cookie")
					resp, err := client.Do(req)
					sent.Add(1)
					if err != nil {
						if failures.Add(1) <= 5 {
							t.Errorf("%s %s: %v", rid, r.path, err)
						}
						continue
					}
					b, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 || string(b) != r.wantBody {
						if failures.Add(1) <= 5 {
							t.Errorf("%s %s: %d\n got %s\nwant %s", rid, r.path, resp.StatusCode, b, r.wantBody)
						}
					}
				}
			}()
		}
		wg.Wait()
	}
	// quiesce closes idle connections on both sides of the gateway, so
	// what is left running in it is what leaked.
	quiesce := func() {
		transport.CloseIdleConnections()
		u.srv.CloseClientConnections()
		time.Sleep(500 * time.Millisecond)
	}

	run(500*time.Millisecond, 0) // warm up: pools, caches, connections
	quiesce()
	gBefore := metric(t, g, "go_goroutines")
	rssWarm := settledRSS(t, g)

	run(total/2, 1)
	quiesce()
	rss1 := settledRSS(t, g)
	run(total/2, 2)
	quiesce()
	rss2 := settledRSS(t, g)
	var gAfter float64
	for range 10 { // goroutines of closed connections take a moment to end
		if gAfter = metric(t, g, "go_goroutines"); gAfter <= gBefore+5 {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}

	// Every request the upstream received, against the policy, exactly.
	reqs := u.requests()
	mu.Lock()
	defer mu.Unlock()
	perPath := map[string]int{}
	var bodyBytes int
	for i, r := range reqs {
		rid := r.Header.Get("X-Request-Id")
		want, ok := expected[rid]
		switch {
		case !ok:
			t.Errorf("upstream request %d has an unknown id %q", i, rid)
		case string(r.Body) != want.wantBody || r.URI != want.wantURI:
			t.Errorf("upstream request %s: %s %q\nwant %s %q", rid, r.URI, r.Body, want.wantURI, want.wantBody)
		case r.Header.Get("X-User-Email") != "" || r.Header.Get("Cookie") != "":
			t.Errorf("upstream request %s kept identifying headers: %v", rid, r.Header)
		case bytes.Contains(r.Body, []byte(hardCanary)) || strings.Contains(fmt.Sprint(r.Header), hardCanary) || strings.Contains(r.URI, hardCanary):
			t.Errorf("LEAK: upstream request %s holds a canary", rid)
		}
		perPath[strings.SplitN(r.URI, "?", 2)[0]]++
		bodyBytes += len(r.Body)
	}
	if int64(len(reqs)) != sent.Load() {
		t.Errorf("%d requests sent, %d received upstream", sent.Load(), len(reqs))
	}
	t.Logf("soak: %s with %d clients, %d requests (%v), %d minimized bytes upstream checked byte for byte, %d failures",
		total, soakClients, len(reqs), perPath, bodyBytes, failures.Load())
	t.Logf("goroutines: %.0f after warm-up, %.0f after the soak; resident set: %d MB warm, %d MB after round 1, %d MB after round 2",
		gBefore, gAfter, rssWarm>>20, rss1>>20, rss2>>20)
	if gAfter > gBefore+5 {
		t.Errorf("goroutine leak: %.0f goroutines after the soak, %.0f before", gAfter, gBefore)
	}
	if rss2 > rss1+rss1/4+(8<<20) {
		t.Errorf("the resident set grew from %d MB to %d MB in the second round", rss1>>20, rss2>>20)
	}
	if strings.Contains(g.logs(), "WARNING: DATA RACE") {
		t.Errorf("the gateway reported a data race:\n%s", g.logs())
	}
	if strings.Contains(g.logs(), hardCanary) {
		t.Errorf("LEAK: a canary is in the gateway's logs")
	}
}
