package e2e

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// These tests check the harness itself against plain Caddy, so a broken
// harness is told apart from a broken module.

// plainProxy is the smallest useful gateway: no minimize, just a proxy.
const plainProxy = globalBlock + `
http://127.0.0.1:{{.Port}} {
	reverse_proxy {{.Upstream}}
}
`

func TestHarnessPlainReverseProxy(t *testing.T) {
	t.Parallel()
	u := newUpstream(t)
	g := startGateway(t, plainProxy, map[string]string{"Upstream": u.addr()})

	body := []byte(`{"user":{"email":"a@example.com","age":42},"items":[1,2,3]}`)
	status, hdr, resp := post(t, g.url("/api/v1/users?x=1"), "application/json", body, "X-Test", "yes")

	if status != 200 {
		t.Fatalf("status = %d, want 200; body %q", status, resp)
	}
	if !bytes.Equal(resp, body) {
		t.Errorf("client got %q, want echo %q", resp, body)
	}
	if ct := hdr.Get("Content-Type"); ct != "application/json" {
		t.Errorf("response Content-Type = %q", ct)
	}
	if n := u.count(); n != 1 {
		t.Fatalf("upstream got %d requests, want 1", n)
	}
	r := u.last(t)
	if r.Method != "POST" || r.URI != "/api/v1/users?x=1" {
		t.Errorf("upstream got %s %s", r.Method, r.URI)
	}
	if !bytes.Equal(r.Body, body) {
		t.Errorf("upstream body %q, want %q", r.Body, body)
	}
	if r.ContentLength != int64(len(body)) || len(r.TransferEncoding) != 0 {
		t.Errorf("upstream framing: ContentLength=%d TransferEncoding=%v", r.ContentLength, r.TransferEncoding)
	}
	if r.Header.Get("X-Test") != "yes" || r.Header.Get("Content-Type") != "application/json" {
		t.Errorf("upstream headers %v", r.Header)
	}

	// Stopping explicitly must be safe alongside the registered cleanup,
	// and the log must be JSON lines.
	g.stop()
	first, _, _ := strings.Cut(strings.TrimSpace(g.logs()), "\n")
	if !json.Valid([]byte(first)) {
		t.Errorf("caddy log line is not JSON: %q", first)
	}
}

func TestHarnessCustomUpstreamResponse(t *testing.T) {
	t.Parallel()
	u := newUpstream(t)
	u.respond(201, "text/plain", []byte("created"))
	g := startGateway(t, globalOptions("debug")+site("\treverse_proxy {{.Upstream}}"),
		map[string]string{"Upstream": u.addr()})

	status, _, resp := doRequest(t, "PUT", g.url("/x"), []byte("in"))
	if status != 201 || string(resp) != "created" {
		t.Fatalf("got %d %q", status, resp)
	}
	if len(u.requests()) != 1 || u.last(t).Method != "PUT" {
		t.Fatalf("upstream saw %+v", u.requests())
	}
}

func TestHarnessBadConfigFails(t *testing.T) {
	t.Parallel()
	out, err := startGatewayErr(t, globalBlock+site("\tno_such_directive"), nil)
	if err == nil {
		t.Fatal("want an exit error")
	}
	if !strings.Contains(out, "no_such_directive") {
		t.Errorf("output does not name the bad directive:\n%s", out)
	}
}

func TestHarnessAdapt(t *testing.T) {
	t.Parallel()
	path := writeCaddyfile(t, plainProxy, map[string]string{"Upstream": "127.0.0.1:9"})
	var cfg struct {
		Admin struct {
			Listen string `json:"listen"`
		} `json:"admin"`
	}
	out := adaptCaddyfile(t, path)
	if err := json.Unmarshal(out, &cfg); err != nil {
		t.Fatalf("adapt output is not JSON: %v\n%s", err, out)
	}
	if !strings.HasPrefix(cfg.Admin.Listen, "127.0.0.1:") {
		t.Errorf("admin listen = %q", cfg.Admin.Listen)
	}
	if !bytes.Contains(out, []byte(`"reverse_proxy"`)) {
		t.Errorf("no reverse_proxy handler in %s", out)
	}
}
