package e2e

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
)

const ndjsonPolicy = `
	route /events {
		minimize analytics {
			keep event ts
			max_body 1KiB
		}
		reverse_proxy {{.Upstream}}
	}`

// TestNDJSONStreams: each line is minimized as its own document and
// streamed; a stream far larger than max_body goes through with bounded
// memory; a bad line fails the request before any byte of it is sent.
func TestNDJSONStreams(t *testing.T) {
	t.Parallel()
	u := newUpstream(t)
	g := startGateway(t, globalBlock+site(ndjsonPolicy), map[string]string{"Upstream": u.addr()})

	in := "{\"event\":\"view\",\"ts\":1,\"email\":\"canary-nd@example.com\"}\n\n  {\"event\":\"buy\",\"ts\":2,\"ip\":\"203.0.113.9\"}\r\n{\"ts\":3}"
	want := "{\"event\":\"view\",\"ts\":1}\n{\"event\":\"buy\",\"ts\":2}\n{\"ts\":3}\n"
	status, _, resp := post(t, g.url("/events"), "application/x-ndjson", []byte(in))
	r := u.last(t)
	if status != 200 || string(resp) != want || string(r.Body) != want || r.ContentLength != -1 {
		t.Errorf("stream: %d %q, upstream %q (length %d)", status, resp, r.Body, r.ContentLength)
	}
	gz := compress(t, "gzip", []byte(in))
	if status, _, resp := post(t, g.url("/events"), "application/jsonl", gz, "Content-Encoding", "gzip"); status != 200 || string(resp) != want || u.last(t).Header.Get("Content-Encoding") != "" {
		t.Errorf("gzip stream: %d %q", status, resp)
	}

	// 20 MB of lines through a route whose max_body is 1 KiB.
	var big bytes.Buffer
	line := `{"event":"view","ts":%d,"email":"canary-big@example.com","pad":"` + strings.Repeat("x", 60) + "\"}\n"
	n := 0
	for big.Len() < 20<<20 {
		fmt.Fprintf(&big, line, n)
		n++
	}
	before := peakRSS(t, g)
	status, _, resp = post(t, g.url("/events"), "application/x-ndjson", big.Bytes())
	if status != 200 || bytes.Count(resp, []byte("\n")) != n || !bytes.HasSuffix(resp, []byte(fmt.Sprintf("{\"event\":\"view\",\"ts\":%d}\n", n-1))) {
		t.Fatalf("big stream: %d, %d lines of %d", status, bytes.Count(resp, []byte("\n")), n)
	}
	grew := peakRSS(t, g) - before
	t.Logf("peak RSS grew by %d KB for a %d MB stream", grew>>10, big.Len()>>20)
	if grew > 8<<20 {
		t.Errorf("peak RSS grew by %d MB for a 20 MB stream: it was buffered", grew>>20)
	}

	before2 := u.count()
	bad := "{\"event\":\"a\",\"ts\":1}\n{\"event\":\"b\",\"ts\":2}\n{\"event\":\"canary-bad\",\"event\":\"x\"}\n{\"event\":\"d\",\"ts\":4}\n"
	status, _, resp = post(t, g.url("/events"), "application/x-ndjson", []byte(bad))
	if status != 400 || !strings.Contains(string(resp), `"type":"urn:caddy-minimize:problem:duplicate-key"`) ||
		!strings.Contains(string(resp), `"detail":"line 3: duplicate key at byte offset 22 (keys are compared decoded and case-insensitively)"`) {
		t.Errorf("bad line: %d %s", status, resp)
	}
	for _, rec := range u.requests()[before2:] {
		if bytes.Contains(rec.Body, []byte("canary-bad")) || bytes.Contains(rec.Body, []byte(`"d"`)) || rec.ReadErr == nil {
			t.Errorf("upstream got %q (read error %v): the failed stream must be cut before the bad line", rec.Body, rec.ReadErr)
		}
	}
	long := "{\"event\":\"" + strings.Repeat("y", 2000) + "\"}\n"
	if status, _, resp := post(t, g.url("/events"), "application/x-ndjson", []byte(long)); status != 413 || !strings.Contains(string(resp), `"detail":"line 1 is longer than this route's max_body"`) {
		t.Errorf("long line: %d %s", status, resp)
	}
	assertNoCanary(t, g.logs(), "canary-")
}

// peakRSS is the gateway process's peak resident set (VmHWM), in bytes.
func peakRSS(t *testing.T, g *gateway) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", g.cmd.Process.Pid))
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) == 3 && f[0] == "VmHWM:" {
			kb, _ := strconv.Atoi(f[1])
			return kb << 10
		}
	}
	t.Fatal("no VmHWM")
	return 0
}
