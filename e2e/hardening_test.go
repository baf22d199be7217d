package e2e

// Hardening through the real binary: protocol abuse over HTTP/1.1 (raw TCP,
// so the requests can lie) and HTTP/2 (h2c, with a raw framer for the lies
// HTTP/2 allows), upstream faults, and key files at startup. Every body
// carries canaries ("cnry-..."): the recording upstream must never see one,
// the process must keep serving, and its memory must come back down.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// hardCanary marks every planted value; no upstream may ever see it.
const hardCanary = "cnry-"

const hardPolicy = `
	route /json {
		minimize p {
			keep a items.#.sku
			max_body 64KiB
		}
		reverse_proxy {{.Upstream}}
	}
	route /text {
		minimize t {
			keep a
			pass text/plain
		}
		reverse_proxy {{.Upstream}}
	}
	route /form {
		minimize f {
			keep name
		}
		reverse_proxy {{.Upstream}}
	}
	route /events {
		minimize s {
			keep event
			max_body 1KiB
		}
		reverse_proxy {{.Upstream}}
	}
	route /api {
		minimize r {
			keep a
			pass text/plain
			response minimize
		}
		reverse_proxy {{.Upstream}}
	}`

// hardBody is a JSON order with canaries; hardWant is what the partner of
// /json may receive from it.
func hardBody(tag string) string {
	return `{"a":1,"email":"` + hardCanary + tag + `@example.com","items":[{"sku":"S1","name":"` + hardCanary + tag + `-name"}],"ssn":"` + hardCanary + tag + `-ssn"}`
}

const hardWant = `{"a":1,"items":[{"sku":"S1"}]}`

// hardUpstream is a recording upstream that also keeps the trailers of each
// request (the harness records headers and bodies).
type hardUpstream struct {
	*upstream
	mu       sync.Mutex
	trailers []http.Header
}

func newHardUpstream(t *testing.T) *hardUpstream {
	h := &hardUpstream{upstream: newUpstream(t)}
	h.setHandler(func(w http.ResponseWriter, r *http.Request, body []byte) {
		h.mu.Lock()
		h.trailers = append(h.trailers, r.Trailer.Clone())
		h.mu.Unlock()
		echoHandler(w, r, body)
	})
	return h
}

// assertClean fails if any byte of a canary reached the upstream: in a
// body, the request line, a header or a trailer.
func (h *hardUpstream) assertClean(t *testing.T) {
	t.Helper()
	for i, r := range h.requests() {
		where := ""
		switch {
		case bytes.Contains(r.Body, []byte(hardCanary)):
			where = fmt.Sprintf("body %q", r.Body)
		case strings.Contains(r.URI, hardCanary):
			where = "request line " + r.URI
		case strings.Contains(fmt.Sprint(r.Header), hardCanary):
			where = fmt.Sprintf("headers %v", r.Header)
		}
		if where != "" {
			t.Errorf("LEAK: upstream request %d holds a canary in its %s", i, where)
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for i, tr := range h.trailers {
		if strings.Contains(fmt.Sprint(tr), hardCanary) {
			t.Errorf("LEAK: upstream request %d got trailers %v", i, tr)
		}
	}
}

// settle waits until the upstream's request count has held still for
// 300 ms (so a request the gateway was still forwarding is counted) and
// returns it.
func (h *hardUpstream) settle() int {
	n := h.count()
	for still := 0; still < 10; still++ {
		time.Sleep(30 * time.Millisecond)
		if m := h.count(); m != n {
			n, still = m, 0
		}
	}
	return n
}

// rawConn is a TCP connection to the gateway for requests net/http would
// refuse to send.
type rawConn struct {
	t *testing.T
	net.Conn
	br *bufio.Reader
}

func dialRaw(t *testing.T, g *gateway) *rawConn {
	t.Helper()
	c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", g.Port))
	if err != nil {
		t.Fatal(err)
	}
	_ = c.SetDeadline(time.Now().Add(15 * time.Second))
	t.Cleanup(func() { c.Close() })
	return &rawConn{t: t, Conn: c, br: bufio.NewReader(c)}
}

func (c *rawConn) send(s string) {
	c.t.Helper()
	if _, err := io.WriteString(c.Conn, s); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// response reads one response (a 100 Continue counts) and its body; a nil
// response means the connection ended first.
func (c *rawConn) response() (*http.Response, string) {
	c.t.Helper()
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil {
		return nil, ""
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

// final reads responses until one is not informational (1xx).
func (c *rawConn) final() (*http.Response, string) {
	c.t.Helper()
	for {
		r, b := c.response()
		if r == nil || r.StatusCode >= 200 {
			return r, b
		}
	}
}

func (c *rawConn) closeWrite() {
	_ = c.Conn.(*net.TCPConn).CloseWrite()
}

// chunk frames s as one chunk, with an extension the server must ignore.
func chunk(s string) string {
	return fmt.Sprintf("%x;ext=%sext\r\n%s\r\n", len(s), hardCanary, s)
}

func head(method, path, ctype string, extra ...string) string {
	h := method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	if ctype != "" {
		h += "Content-Type: " + ctype + "\r\n"
	}
	for _, e := range extra {
		h += e + "\r\n"
	}
	return h + "\r\n"
}

// goodRequest proves the gateway still serves: a fresh connection, a body
// with canaries, the exact minimized answer.
func goodRequest(t *testing.T, g *gateway, u *hardUpstream) {
	t.Helper()
	n := u.count()
	status, _, resp := post(t, g.url("/json"), "application/json", []byte(hardBody("good")))
	if status != 200 || string(resp) != hardWant || u.count() != n+1 {
		t.Fatalf("the gateway no longer serves: %d %s", status, resp)
	}
}

// vmRSS is the gateway's resident set now, in bytes.
func vmRSS(t *testing.T, g *gateway) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", g.cmd.Process.Pid))
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) == 3 && f[0] == "VmRSS:" {
			kb, _ := strconv.Atoi(f[1])
			return kb << 10
		}
	}
	t.Fatal("no VmRSS")
	return 0
}

// forceGC asks the gateway to collect garbage: the admin API's pprof heap
// profile with gc=1 runs runtime.GC first. The Go runtime then returns
// freed memory to the OS in the background.
func forceGC(t *testing.T, g *gateway) {
	t.Helper()
	status, _, _ := doRequest(t, http.MethodGet, "http://"+g.Admin+"/debug/pprof/heap?gc=1", nil)
	if status != 200 {
		t.Logf("forcing a GC through the admin API: status %d", status)
	}
}

// settledRSS forces collections and waits for the resident set to stop
// falling (at most a few seconds), returning the lowest value seen.
func settledRSS(t *testing.T, g *gateway) int {
	t.Helper()
	low := vmRSS(t, g)
	for range 4 {
		forceGC(t, g)
		time.Sleep(250 * time.Millisecond)
		low = min(low, vmRSS(t, g))
	}
	return low
}

// metric scrapes one unlabelled gauge from the admin API's /metrics.
func metric(t *testing.T, g *gateway, name string) float64 {
	t.Helper()
	status, _, body := doRequest(t, http.MethodGet, "http://"+g.Admin+"/metrics", nil)
	if status != 200 {
		t.Fatalf("/metrics: %d", status)
	}
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + ` (\S+)$`).FindSubmatch(body)
	if m == nil {
		t.Fatalf("/metrics has no %s", name)
	}
	v, err := strconv.ParseFloat(string(m[1]), 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestHardeningHTTP1 sends what HTTP/1.1 clients can get wrong or lie
// about, one connection at a time, to one gateway.
func TestHardeningHTTP1(t *testing.T) {
	t.Parallel()
	u := newHardUpstream(t)
	g := startGateway(t, globalBlock+site(hardPolicy), map[string]string{"Upstream": u.addr()})
	goodRequest(t, g, u)
	baseline := settledRSS(t, g)

	t.Run("chunked with extensions and trailers", func(t *testing.T) {
		body := hardBody("chunked")
		c := dialRaw(t, g)
		c.send(head("POST", "/json", "application/json", "Transfer-Encoding: chunked", "Trailer: X-User-Email, X-Note"))
		for i := 0; i < len(body); i += 7 { // chunk boundaries inside the canaries
			c.send(chunk(body[i:min(i+7, len(body))]))
		}
		c.send("0\r\nX-User-Email: " + hardCanary + "trailer@example.com\r\nX-Note: " + hardCanary + "note\r\n\r\n")
		resp, rb := c.response()
		if resp == nil || resp.StatusCode != 200 || rb != hardWant {
			t.Fatalf("got %v %q", resp, rb)
		}
		r := u.last(t)
		if string(r.Body) != hardWant || r.ContentLength != int64(len(hardWant)) || len(r.TransferEncoding) != 0 {
			t.Errorf("upstream got %q, length %d, TE %v", r.Body, r.ContentLength, r.TransferEncoding)
		}
	})

	t.Run("Content-Length shorter than the body", func(t *testing.T) {
		// The bytes past the length are the next request on the
		// connection: minimized like any other.
		n := u.count()
		first := `{"a":1}`
		second := hardBody("smuggled")
		c := dialRaw(t, g)
		c.send(head("POST", "/json", "application/json", "Content-Length: "+strconv.Itoa(len(first))) + first +
			head("POST", "/json", "application/json", "Content-Length: "+strconv.Itoa(len(second)), "Connection: close") + second)
		r1, b1 := c.response()
		r2, b2 := c.response()
		if r1 == nil || r2 == nil || r1.StatusCode != 200 || r2.StatusCode != 200 || b1 != `{"a":1}` || b2 != hardWant {
			t.Fatalf("pipelined: %v %q, %v %q", r1, b1, r2, b2)
		}
		if u.count() != n+2 {
			t.Errorf("upstream got %d requests, want 2", u.count()-n)
		}
		// A length that cuts the JSON: the prefix is refused, the rest is
		// not a request.
		n = u.count()
		body := hardBody("cut")
		c = dialRaw(t, g)
		c.send(head("POST", "/json", "application/json", "Content-Length: 10") + body)
		c.closeWrite()
		r, rb := c.response()
		if r == nil || r.StatusCode != 400 || !strings.Contains(rb, "urn:caddy-minimize:problem:malformed") {
			t.Errorf("cut JSON: %v %q", r, rb)
		}
		r, _ = c.response()
		if r != nil && r.StatusCode != 400 {
			t.Errorf("the rest of the body as a request: %v", r)
		}
		if u.settle() != n {
			t.Errorf("upstream got %d requests", u.count()-n)
		}
	})

	t.Run("Content-Length longer than the body", func(t *testing.T) {
		n := u.count()
		body := hardBody("short")
		c := dialRaw(t, g)
		c.send(head("POST", "/json", "application/json", "Content-Length: "+strconv.Itoa(len(body)+100)) + body)
		c.closeWrite() // the client is done sending, still listening
		r, rb := c.response()
		if r == nil || r.StatusCode != 400 || !strings.Contains(rb, "urn:caddy-minimize:problem:unreadable-body") {
			t.Errorf("got %v %q", r, rb)
		}
		if u.settle() != n {
			t.Errorf("upstream got %d requests", u.count()-n)
		}
	})

	t.Run("client disconnects mid-body", func(t *testing.T) {
		n := u.count()
		body := hardBody("gone")
		for _, framing := range []string{"length", "chunked"} {
			c := dialRaw(t, g)
			if framing == "length" {
				c.send(head("POST", "/json", "application/json", "Content-Length: "+strconv.Itoa(len(body))) + body[:len(body)/2])
			} else {
				c.send(head("POST", "/json", "application/json", "Transfer-Encoding: chunked") + chunk(body[:len(body)/2]) + "20\r\n" + body[len(body)/2:len(body)/2+5])
			}
			time.Sleep(100 * time.Millisecond)
			c.Close()
		}
		if u.settle() != n {
			t.Errorf("upstream got %d requests", u.count()-n)
		}
		goodRequest(t, g, u)
	})

	t.Run("Expect: 100-continue", func(t *testing.T) {
		body := hardBody("expect")
		c := dialRaw(t, g)
		c.send(head("POST", "/json", "application/json", "Content-Length: "+strconv.Itoa(len(body)), "Expect: 100-continue"))
		r, _ := c.response()
		if r == nil || r.StatusCode != 100 {
			t.Fatalf("want 100 Continue, got %v", r)
		}
		c.send(body)
		// reverse_proxy relays the upstream's own 100 Continue too.
		r, rb := c.final()
		if r == nil || r.StatusCode != 200 || rb != hardWant || string(u.last(t).Body) != hardWant {
			t.Errorf("after 100 Continue: %v %q", r, rb)
		}
		// Refused requests. net/http answers a request whose unread body
		// is under 256 KiB only after reading (and discarding) it, so
		// such a client waits for a 100 Continue that comes, or for its
		// own timeout, and sends the body; either way it is refused and
		// nothing is forwarded. Over 256 KiB the refusal comes at once.
		n := u.settle()
		for _, c2 := range []struct {
			ctype  string
			length int
			status int
		}{
			{"application/json", 100000, 413},
			{"application/json", 1 << 20, 413},
			{"multipart/form-data; boundary=x", len(body), 415},
			{"application/json; charset=utf-16", len(body), 415},
		} {
			c := dialRaw(t, g)
			c.send(head("POST", "/json", c2.ctype, "Content-Length: "+strconv.Itoa(c2.length), "Expect: 100-continue"))
			_ = c.SetReadDeadline(time.Now().Add(time.Second))
			r, _ := c.response()
			first := "nothing within 1s"
			if r != nil {
				first = r.Status
			}
			_ = c.SetDeadline(time.Now().Add(15 * time.Second))
			if r == nil || r.StatusCode == 100 {
				// The gateway may answer and close before it has read
				// all of it: a failed write is not the test's concern.
				_, _ = io.WriteString(c.Conn, strings.Repeat(" ", c2.length-len(body))+body)
				r, _ = c.final()
			}
			t.Logf("%s, length %d: first %s, then %v", c2.ctype, c2.length, first, r != nil && r.StatusCode == c2.status)
			if r == nil || r.StatusCode != c2.status {
				t.Errorf("%s, length %d: got %v, want %d", c2.ctype, c2.length, r, c2.status)
			}
		}
		if u.settle() != n {
			t.Errorf("upstream got %d requests", u.count()-n)
		}
	})

	t.Run("slow bodies", func(t *testing.T) {
		body := hardBody("drip")
		c := dialRaw(t, g)
		c.send(head("POST", "/json", "application/json", "Content-Length: "+strconv.Itoa(len(body))))
		start := time.Now()
		for i := 0; i < len(body); i++ { // about 1.5 s
			c.send(body[i : i+1])
			time.Sleep(10 * time.Millisecond)
		}
		r, rb := c.response()
		if r == nil || r.StatusCode != 200 || rb != hardWant || string(u.last(t).Body) != hardWant {
			t.Errorf("dripped body: %v %q", r, rb)
		}
		t.Logf("a %d-byte body dripped over %s", len(body), time.Since(start).Round(time.Millisecond))
		// Drip half, stall, go away: nothing forwarded, and meanwhile
		// other clients are served.
		n := u.count()
		stalled := make([]*rawConn, 20)
		for i := range stalled {
			stalled[i] = dialRaw(t, g)
			stalled[i].send(head("POST", "/json", "application/json", "Content-Length: "+strconv.Itoa(len(body))) + body[:len(body)/2])
		}
		goodRequest(t, g, u)
		for _, s := range stalled {
			s.Close()
		}
		if u.settle() != n+1 {
			t.Errorf("upstream got %d requests, want only the good one", u.count()-n)
		}
	})

	t.Run("content type and coding mismatches", func(t *testing.T) {
		gz := compress(t, "gzip", []byte(hardBody("gz")))
		cases := []struct {
			name, path, ctype string
			body              []byte
			headers           []string
			status            int
			want              string // the exact response body, for 200
		}{
			{"JSON sent as a form", "/form", "application/x-www-form-urlencoded", []byte(hardBody("form")), nil, 200, ""},
			{"gzip without Content-Encoding", "/json", "application/json", gz, nil, 400, ""},
			{"identity and gzip on two lines", "/json", "application/json", gz, []string{"Content-Encoding", "identity", "Content-Encoding", "gzip"}, 200, hardWant},
			{"gzip on two lines", "/json", "application/json", compress(t, "gzip", gz), []string{"Content-Encoding", "gzip", "Content-Encoding", "gzip"}, 415, ""},
			{"upper-case gzip", "/json", "application/json", gz, []string{"Content-Encoding", "GZIP"}, 200, hardWant},
			{"zstd declared, gzip sent", "/json", "application/json", gz, []string{"Content-Encoding", "zstd"}, 400, ""},
			{"UTF-16 charset", "/json", "application/json; charset=utf-16", []byte(hardBody("u16")), nil, 415, ""},
			{"a list of types", "/json", "application/json, text/plain", []byte(hardBody("list")), nil, 415, ""},
			{"upper-case type", "/json", "APPLICATION/JSON", []byte(hardBody("upper")), nil, 200, hardWant},
			{"+json with parameters", "/json", `application/vnd.partner+json; charset="UTF-8"; v=2`, []byte(hardBody("vnd")), nil, 200, hardWant},
			{"text/json", "/json", "text/json", []byte(hardBody("tj")), nil, 415, ""},
			{"NDJSON type on one document", "/json", "application/x-ndjson", []byte(hardBody("nd")), nil, 200, hardWant + "\n"},
			{"NDJSON body as JSON", "/json", "application/json", []byte(hardBody("nd1") + "\n" + hardBody("nd2")), nil, 400, ""},
			{"JSON as text with CRLF first", "/text", "text/plain", []byte("\r\n\t " + hardBody("text")), nil, 415, ""},
			{"compressed text", "/text", "text/plain", compress(t, "gzip", []byte(hardCanary+"zipped")), []string{"Content-Encoding", "gzip"}, 415, ""},
		}
		for _, c := range cases {
			n := u.count()
			status, _, resp := post(t, g.url(c.path), c.ctype, c.body, c.headers...)
			if status != c.status || (c.want != "" && string(resp) != c.want) {
				t.Errorf("%s: %d %.200s, want %d %s", c.name, status, resp, c.status, c.want)
			}
			if status != 200 && u.count() != n {
				t.Errorf("%s: refused, yet forwarded", c.name)
			}
		}
	})

	t.Run("framing conflicts", func(t *testing.T) {
		body := hardBody("frame")
		cases := []struct {
			name, req string
		}{
			{"Transfer-Encoding and Content-Length", head("POST", "/json", "application/json", "Content-Length: 5", "Transfer-Encoding: chunked", "Connection: close") + chunk(body) + "0\r\n\r\n"},
			{"gzip transfer coding", head("POST", "/json", "application/json", "Transfer-Encoding: gzip, chunked", "Connection: close") + chunk(string(compress(t, "gzip", []byte(body)))) + "0\r\n\r\n"},
			{"two lengths", head("POST", "/json", "application/json", "Content-Length: 7", "Content-Length: "+strconv.Itoa(len(body)), "Connection: close") + body},
			{"signed length", head("POST", "/json", "application/json", "Content-Length: +"+strconv.Itoa(len(body)), "Connection: close") + body},
			{"bad chunk size", head("POST", "/json", "application/json", "Transfer-Encoding: chunked", "Connection: close") + "zz\r\n" + body + "\r\n0\r\n\r\n"},
			{"chunk longer than said", head("POST", "/json", "application/json", "Transfer-Encoding: chunked", "Connection: close") + "4\r\n" + body + "\r\n0\r\n\r\n"},
			{"identity transfer coding", head("POST", "/json", "application/json", "Transfer-Encoding: identity", "Connection: close") + body},
		}
		for _, c := range cases {
			n := u.count()
			conn := dialRaw(t, g)
			conn.send(c.req)
			r, rb := conn.response()
			status := 0
			if r != nil {
				status = r.StatusCode
			}
			forwarded := u.settle() - n
			t.Logf("%s: %d, %d forwarded", c.name, status, forwarded)
			if status == 200 && rb != hardWant {
				t.Errorf("%s: 200 with %q", c.name, rb)
			}
			if status != 200 && forwarded != 0 {
				t.Errorf("%s: refused with %d, yet forwarded", c.name, status)
			}
		}
	})

	t.Run("NDJSON stream cut by the client", func(t *testing.T) {
		n := u.count()
		c := dialRaw(t, g)
		c.send(head("POST", "/events", "application/x-ndjson", "Transfer-Encoding: chunked"))
		for i := range 3 {
			c.send(chunk(`{"event":"e` + strconv.Itoa(i) + `","email":"` + hardCanary + `nd@example.com"}` + "\n"))
		}
		c.send(chunk(`{"event":"e3","email":"` + hardCanary + `nd-partial`))
		time.Sleep(200 * time.Millisecond)
		c.Close()
		u.settle()
		for _, r := range u.requests()[n:] {
			if r.ReadErr == nil {
				t.Errorf("the upstream read a complete body from a cut stream: %q", r.Body)
			}
			t.Logf("upstream got %q before the stream broke (%v)", r.Body, r.ReadErr)
		}
		goodRequest(t, g, u)
	})

	t.Run("memory", func(t *testing.T) {
		// Two rounds of large, refused and abandoned bodies: the second
		// must not leave the process bigger than the first did.
		big := []byte(`{"a":1,"pad":"` + strings.Repeat("x", 60<<10) + `","email":"` + hardCanary + `big"}`)
		bomb := compress(t, "gzip", bytes.Repeat([]byte(" "), 20<<20))
		deep := bytes.Repeat([]byte("["), 60<<10)
		round := func() {
			var wg sync.WaitGroup
			for i := range 64 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					switch i % 4 {
					case 0:
						post(t, g.url("/json"), "application/json", big)
					case 1:
						post(t, g.url("/json"), "application/json", deep)
					case 2:
						post(t, g.url("/json"), "application/json", bomb, "Content-Encoding", "gzip")
					case 3:
						c := dialRaw(t, g)
						c.send(head("POST", "/json", "application/json", "Content-Length: 60000") + string(big[:30000]))
						c.Close()
					}
				}()
			}
			wg.Wait()
		}
		round()
		after1 := settledRSS(t, g)
		round()
		after2 := settledRSS(t, g)
		t.Logf("resident set: %d MB at start, %d MB after one round, %d MB after two", baseline>>20, after1>>20, after2>>20)
		if after2 > after1+after1/4+(8<<20) {
			t.Errorf("the resident set grew from %d MB to %d MB in the second round", after1>>20, after2>>20)
		}
		if after2 > baseline+(96<<20) {
			t.Errorf("the resident set stays %d MB above its %d MB start", (after2-baseline)>>20, baseline>>20)
		}
	})

	goodRequest(t, g, u)
	u.assertClean(t)
}

// TestRegressionPassTypeForwardsChunkedTrailers: on a route that lets text/plain
// through, a chunked body's trailers go upstream as they came. A JSON body
// drops its trailers ("trailers are not minimized: never forward them"),
// but a passed body keeps them, so a client can send X-User-Email, Cookie
// or X-Forwarded-For as trailers past the header policy that drops them as
// headers.
func TestRegressionPassTypeForwardsChunkedTrailers(t *testing.T) {
	t.Parallel()
	u := newHardUpstream(t)
	g := startGateway(t, globalBlock+site(hardPolicy), map[string]string{"Upstream": u.addr()})
	c := dialRaw(t, g)
	c.send(head("POST", "/text", "text/plain", "Transfer-Encoding: chunked", "Trailer: X-User-Email, Cookie", "Connection: close") +
		"5\r\nhello\r\n0\r\nX-User-Email: " + hardCanary + "trailer@example.com\r\nCookie: sid=" + hardCanary + "cookie\r\n\r\n")
	if r, rb := c.response(); r == nil || r.StatusCode != 200 || rb != "hello" {
		t.Fatalf("got %v %q", r, rb)
	}
	u.assertClean(t)
}

// TestRegressionPassTypeJSONAfterLongWhitespace: a JSON body on a pass type is
// refused (415) only if a { or [ shows within the first 512 bytes; after
// 512 bytes of whitespace the JSON goes upstream unminimized, canaries and
// all. The README promises "a body on a pass type whose first non-blank
// byte is { or [ is refused with 415".
func TestRegressionPassTypeJSONAfterLongWhitespace(t *testing.T) {
	t.Parallel()
	u := newHardUpstream(t)
	g := startGateway(t, globalBlock+site(hardPolicy), map[string]string{"Upstream": u.addr()})
	body := strings.Repeat(" ", 600) + hardBody("ws")
	status, _, _ := post(t, g.url("/text"), "text/plain", []byte(body))
	if status != 415 {
		t.Errorf("JSON after 600 spaces as text/plain: status %d, want 415", status)
	}
	u.assertClean(t)
}

// TestRegressionPassTypeJSONAfterBOM: the same check does not look past a UTF-8
// byte order mark, which many JSON parsers skip (the engine refuses a BOM
// on a JSON body for exactly that reason): BOM + JSON as text/plain goes
// upstream unminimized. With `response minimize`, the same holds for a
// partner's response: BOM + JSON as text/plain reaches the caller raw.
func TestRegressionPassTypeJSONAfterBOM(t *testing.T) {
	t.Parallel()
	u := newHardUpstream(t)
	g := startGateway(t, globalBlock+site(hardPolicy), map[string]string{"Upstream": u.addr()})
	status, _, _ := post(t, g.url("/text"), "text/plain", []byte("\xef\xbb\xbf"+hardBody("bom")))
	if status != 415 {
		t.Errorf("BOM + JSON as text/plain: status %d, want 415", status)
	}
	u.assertClean(t)
	u.respond(200, "text/plain", []byte("\xef\xbb\xbf"+hardBody("bomresp")))
	status, _, resp := doRequest(t, http.MethodGet, g.url("/api"), nil)
	if status != 502 || bytes.Contains(resp, []byte(hardCanary)) {
		t.Errorf("a BOM + JSON response as text/plain: %d %q, want a 502 problem", status, resp)
	}
}

// h2cClient speaks HTTP/2 without TLS (prior knowledge) to the gateway.
func h2cClient() *http.Client {
	var p http.Protocols
	p.SetUnencryptedHTTP2(true)
	return &http.Client{Timeout: 15 * time.Second, Transport: &http.Transport{Protocols: &p}}
}

// TestHardeningH2C: Caddy 2.11 serves HTTP/2 over cleartext (h2c, prior
// knowledge) when the server's protocols include h2c. The same minimization
// applies, and the lies HTTP/2 framing allows (a content-length the DATA
// frames contradict, a stream reset mid-body, trailers) forward nothing.
func TestHardeningH2C(t *testing.T) {
	t.Parallel()
	u := newHardUpstream(t)
	g := startGateway(t, globalOptions("servers {\n\t\tprotocols h1 h2c\n\t}")+site(hardPolicy), map[string]string{"Upstream": u.addr()})
	client := h2cClient()
	defer client.CloseIdleConnections()

	t.Run("minimized over h2c", func(t *testing.T) {
		resp, err := client.Post(g.url("/json"), "application/json", strings.NewReader(hardBody("h2")))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.ProtoMajor != 2 || resp.StatusCode != 200 || string(b) != hardWant || string(u.last(t).Body) != hardWant {
			t.Fatalf("%s %d %q", resp.Proto, resp.StatusCode, b)
		}
	})

	t.Run("many streams on one connection", func(t *testing.T) {
		var wg sync.WaitGroup
		errs := make(chan string, 200)
		for i := range 200 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				resp, err := client.Post(g.url("/json"), "application/json", strings.NewReader(hardBody("many"+strconv.Itoa(i))))
				if err != nil {
					errs <- err.Error()
					return
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 || string(b) != hardWant {
					errs <- fmt.Sprintf("%d %q", resp.StatusCode, b)
				}
			}()
		}
		wg.Wait()
		close(errs)
		for e := range errs {
			t.Error(e)
		}
	})

	t.Run("stream reset mid-body", func(t *testing.T) {
		n := u.count()
		pr, pw := io.Pipe()
		ctx, cancel := context.WithCancel(context.Background())
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, g.url("/json"), pr)
		req.Header.Set("Content-Type", "application/json")
		done := make(chan struct{})
		go func() {
			defer close(done)
			resp, err := client.Do(req)
			if err == nil {
				resp.Body.Close()
				t.Errorf("a cancelled request got %d", resp.StatusCode)
			}
		}()
		body := hardBody("reset")
		_, _ = pw.Write([]byte(body[:len(body)/2]))
		time.Sleep(200 * time.Millisecond)
		cancel() // RST_STREAM(CANCEL)
		pw.CloseWithError(context.Canceled)
		<-done
		if u.settle() != n {
			t.Errorf("upstream got %d requests", u.count()-n)
		}
	})

	t.Run("framing lies", func(t *testing.T) {
		body := hardBody("frames")
		cases := []struct {
			name   string
			length string // content-length header; "" for none
			data   []string
			trail  bool // end the stream with trailers instead of END_STREAM on DATA
		}{
			{"content-length longer than the data", strconv.Itoa(len(body) + 50), []string{body}, false},
			{"content-length shorter than the data", "7", []string{`{"a":1}`, body}, false},
			{"content-length zero, then data", "0", []string{body}, false},
			{"trailers with canaries", "", []string{body}, true},
		}
		for _, c := range cases {
			n := u.count()
			status := h2Raw(t, g, c.length, c.data, c.trail)
			forwarded := u.settle() - n
			t.Logf("%s: status %d, %d forwarded", c.name, status, forwarded)
			if status == 200 && forwarded != 1 || status != 200 && forwarded != 0 && c.length != "0" {
				t.Errorf("%s: status %d and %d forwarded", c.name, status, forwarded)
			}
		}
	})

	goodRequest(t, g, u)
	u.assertClean(t)
}

// h2Raw sends one POST to /json on a fresh HTTP/2 connection, frame by
// frame, and returns the response status (0 if the stream was reset).
func h2Raw(t *testing.T, g *gateway, length string, data []string, trailers bool) int {
	t.Helper()
	c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", g.Port))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, http2.ClientPreface); err != nil {
		t.Fatal(err)
	}
	fr := http2.NewFramer(c, c)
	fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	if err := fr.WriteSettings(); err != nil {
		t.Fatal(err)
	}
	block := func(fields ...string) []byte {
		var b bytes.Buffer
		enc := hpack.NewEncoder(&b)
		for i := 0; i < len(fields); i += 2 {
			_ = enc.WriteField(hpack.HeaderField{Name: fields[i], Value: fields[i+1]})
		}
		return b.Bytes()
	}
	fields := []string{":method", "POST", ":scheme", "http", ":path", "/json", ":authority", fmt.Sprintf("127.0.0.1:%d", g.Port), "content-type", "application/json"}
	if length != "" {
		fields = append(fields, "content-length", length)
	}
	if err := fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: block(fields...), EndHeaders: true}); err != nil {
		t.Fatal(err)
	}
	for i, d := range data {
		if err := fr.WriteData(1, !trailers && i == len(data)-1, []byte(d)); err != nil {
			t.Logf("writing DATA: %v", err)
			break
		}
	}
	if trailers {
		_ = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, EndStream: true, EndHeaders: true,
			BlockFragment: block("x-user-email", hardCanary+"h2trailer@example.com", "cookie", "sid="+hardCanary+"h2")})
	}
	for {
		f, err := fr.ReadFrame()
		if err != nil {
			return 0
		}
		switch f := f.(type) {
		case *http2.SettingsFrame:
			if !f.IsAck() {
				_ = fr.WriteSettingsAck()
			}
		case *http2.MetaHeadersFrame:
			if f.StreamID == 1 {
				s, _ := strconv.Atoi(f.PseudoValue("status"))
				return s
			}
		case *http2.RSTStreamFrame:
			if f.StreamID == 1 {
				return 0
			}
		case *http2.GoAwayFrame:
			return 0
		}
	}
}

// TestHardeningUpstreamFaults: upstreams that reset, stall or answer
// garbage get the caller a 502 or 504, never a raw byte of a response the
// route minimizes; the gateway keeps serving.
func TestHardeningUpstreamFaults(t *testing.T) {
	t.Parallel()
	// A TCP upstream that reads the request, records it and then misbehaves.
	type fake struct {
		ln   net.Listener
		mu   sync.Mutex
		got  []string
		then func(net.Conn)
	}
	newFake := func(then func(net.Conn)) *fake {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		f := &fake{ln: ln, then: then}
		t.Cleanup(func() { ln.Close() })
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				go func() {
					defer c.Close()
					_ = c.SetDeadline(time.Now().Add(10 * time.Second))
					br := bufio.NewReader(c)
					req, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					b, _ := io.ReadAll(req.Body)
					f.mu.Lock()
					f.got = append(f.got, fmt.Sprint(req.Header)+string(b))
					f.mu.Unlock()
					f.then(c)
				}()
			}
		}()
		return f
	}
	reset := func(c net.Conn) {
		_ = c.(*net.TCPConn).SetLinger(0) // close sends RST
	}
	partialReset := func(c net.Conn) {
		body := `{"a":1,"email":"` + hardCanary + `resp@example.com"`
		fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n%s", body)
		time.Sleep(50 * time.Millisecond)
		_ = c.(*net.TCPConn).SetLinger(0)
	}
	shortBody := func(c net.Conn) {
		body := `{"a":1,"email":"` + hardCanary + `short@example.com"}`
		fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body)+100, body)
	}
	garbage := func(c net.Conn) {
		io.WriteString(c, "SMTP ready "+hardCanary+"garbage\r\n\r\n{\"email\":\""+hardCanary+"g\"}")
	}
	fakes := map[string]*fake{
		"Reset": newFake(reset), "PartialReset": newFake(partialReset), "Short": newFake(shortBody), "Garbage": newFake(garbage),
	}
	slow := newUpstream(t)
	slow.setHandler(func(w http.ResponseWriter, r *http.Request, body []byte) {
		time.Sleep(3 * time.Second)
		echoHandler(w, r, body)
	})
	good := newHardUpstream(t)
	data := map[string]string{"Slow": slow.addr(), "Good": good.addr()}
	for k, f := range fakes {
		data[k] = f.ln.Addr().String()
	}
	var routes strings.Builder
	for _, r := range []struct{ path, up, extra string }{
		{"/reset", "Reset", ""}, {"/garbage", "Garbage", ""},
		{"/resp/reset", "PartialReset", "response minimize"}, {"/resp/short", "Short", "response minimize"},
		{"/resp/garbage", "Garbage", "response minimize"}, {"/plain/short", "Short", ""},
	} {
		fmt.Fprintf(&routes, "\troute %s {\n\t\tminimize p {\n\t\t\tkeep a\n\t\t\t%s\n\t\t}\n\t\treverse_proxy {{.%s}}\n\t}\n", r.path, r.extra, r.up)
	}
	routes.WriteString(`
	route /slow {
		minimize p {
			keep a
		}
		reverse_proxy {{.Slow}} {
			transport http {
				response_header_timeout 1s
			}
		}
	}
	route /json {
		minimize p {
			keep a items.#.sku
		}
		reverse_proxy {{.Good}}
	}`)
	g := startGateway(t, globalBlock+site(routes.String()), data)

	for _, c := range []struct {
		path   string
		status []int // acceptable statuses; 0: the connection was closed without a response
	}{
		{"/reset", []int{502}},
		{"/garbage", []int{502}},
		{"/resp/reset", []int{502, 0}},
		{"/resp/short", []int{502, 0}},
		{"/resp/garbage", []int{502}},
		{"/slow", []int{504}},
	} {
		start := time.Now()
		conn := dialRaw(t, g)
		body := hardBody("fault")
		conn.send(head("POST", c.path, "application/json", "Content-Length: "+strconv.Itoa(len(body)), "Connection: close") + body)
		r, rb := conn.response()
		status := 0
		if r != nil {
			status = r.StatusCode
		}
		t.Logf("%s: %d after %s: %.120q", c.path, status, time.Since(start).Round(time.Millisecond), rb)
		if !containsInt(c.status, status) {
			t.Errorf("%s: status %d, want one of %v", c.path, status, c.status)
		}
		if strings.Contains(rb, hardCanary) {
			t.Errorf("LEAK: %s: the caller got the upstream's raw bytes: %q", c.path, rb)
		}
		if c.path == "/slow" && time.Since(start) > 2900*time.Millisecond {
			t.Errorf("%s: the 1s response_header_timeout took %s", c.path, time.Since(start))
		}
	}
	// Without `response minimize` a response is the partner's to send: a
	// short one reaches the caller cut off (Caddy aborts the connection).
	// Without `response minimize` the response is the partner's own: a
	// short one reaches the caller cut off, as from any proxy.
	if resp, err := httpClient.Post(g.url("/plain/short"), "application/json", strings.NewReader(`{"a":1}`)); err == nil {
		_, err = io.ReadAll(resp.Body)
		resp.Body.Close()
		t.Logf("/plain/short (no response minimize): %d, reading the body: %v", resp.StatusCode, err)
	}
	for name, f := range fakes {
		f.mu.Lock()
		for _, got := range f.got {
			if strings.Contains(got, hardCanary) {
				t.Errorf("LEAK: upstream %s received %q", name, got)
			}
		}
		f.mu.Unlock()
	}
	for _, r := range slow.requests() {
		if bytes.Contains(r.Body, []byte(hardCanary)) {
			t.Errorf("LEAK: slow upstream received %q", r.Body)
		}
	}
	goodRequest(t, g, good)
}

func containsInt(xs []int, x int) bool {
	for _, y := range xs {
		if x == y {
			return true
		}
	}
	return false
}

// TestHardeningKeyFiles: what TestBadPoliciesRefuseToStart does not cover
// about `key {file.PATH}`: Caddy refuses to start and says why (the file is
// missing, a directory, empty or short), and a key file ending in a newline
// (as `echo` and most editors write it) works and gives the same pseudonyms
// as the same key from the environment.
func TestHardeningKeyFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	empty := write("empty.key", "")
	short := write("short.key", "c2hvcnQ=\n")
	newline := write("newline.key", testKey+"\n")
	policy := func(keyFile string) string {
		return globalBlock + site("\troute /in {\n\t\tminimize p {\n\t\t\tkey {file."+keyFile+"}\n\t\t\tpseudonymize id\n\t\t}\n\t\treverse_proxy {{.Upstream}}\n\t}")
	}
	missing := filepath.Join(dir, "missing.key")
	for _, c := range []struct {
		name, file string
		want       []string // all must appear in Caddy's output
	}{
		{"missing", missing, []string{"no such file or directory", "key {file." + missing + "}"}},
		{"a directory", dir, []string{"is a directory", "key {file." + dir + "}"}},
		{"empty", empty, []string{"key {file." + empty + "}"}},
		{"short", short, []string{"key is 5 bytes, need at least 32"}},
	} {
		out, err := startGatewayErr(t, policy(c.file), map[string]string{"Upstream": "127.0.0.1:9"})
		if err == nil {
			t.Errorf("%s: caddy started", c.name)
		}
		for _, w := range c.want {
			if !strings.Contains(out, w) {
				t.Errorf("%s key file: the output does not say %q:\n%s", c.name, w, out)
			}
		}
		if strings.Contains(out, "c2hvcnQ") {
			t.Errorf("%s key file: the key's text is in the output", c.name)
		}
	}
	u := newUpstream(t)
	g := startGateway(t, policy(newline), map[string]string{"Upstream": u.addr()})
	status, _, resp := post(t, g.url("/in"), "application/json", []byte(`{"id":"cus_1"}`))
	want, _ := json.Marshal(map[string]string{"id": pseudonym(t, "p", "cus_1")})
	if status != 200 || string(resp) != string(want) {
		t.Errorf("key file with a trailing newline: %d %s, want %s", status, resp, want)
	}
}
