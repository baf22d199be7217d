package e2e

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"encoding/json"
	"strings"
	"testing"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/zstd"
)

const codingPolicy = `
	route /in {
		minimize p {
			keep a
			max_body 64KiB
			pass text/plain
		}
		reverse_proxy {{.Upstream}}
	}`

func compress(t *testing.T, coding string, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	var w interface {
		Write([]byte) (int, error)
		Close() error
	}
	switch coding {
	case "gzip":
		w = gzip.NewWriter(&b)
	case "deflate":
		w = zlib.NewWriter(&b)
	case "raw-deflate":
		w, _ = flate.NewWriter(&b, flate.BestCompression)
	case "zstd":
		w, _ = zstd.NewWriter(&b)
	case "br":
		w = brotli.NewWriter(&b)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestCompressedBodies: every supported coding is decoded, minimized and
// forwarded without a content coding; bombs and bad codings are refused and
// nothing is forwarded.
func TestCompressedBodies(t *testing.T) {
	t.Parallel()
	u := newUpstream(t)
	g := startGateway(t, globalBlock+site(codingPolicy), map[string]string{"Upstream": u.addr()})
	in := []byte(`{"a":1,"email":"canary-enc@example.com"}`)
	for _, coding := range []string{"gzip", "deflate", "zstd", "br"} {
		status, _, resp := post(t, g.url("/in"), "application/json", compress(t, coding, in), "Content-Encoding", coding)
		r := u.last(t)
		if status != 200 || string(resp) != `{"a":1}` || string(r.Body) != `{"a":1}` || r.Header.Get("Content-Encoding") != "" || r.ContentLength != 7 {
			t.Errorf("%s: %d %s, upstream %q %v", coding, status, resp, r.Body, r.Header)
		}
	}
	forwarded := u.count()

	bomb := compress(t, "gzip", bytes.Repeat([]byte(" "), 100<<20)) // 100 MB of spaces in ~100 KB
	// Streamed, so the frame has a 1 MiB window and no declared size.
	var zb bytes.Buffer
	zw, _ := zstd.NewWriter(&zb, zstd.WithWindowSize(1<<20))
	_, _ = zw.Write(append(append([]byte(`{"a":"`), bytes.Repeat([]byte("x"), 10<<20)...), `"}`...))
	_ = zw.Close()
	zbomb := zb.Bytes()
	// A zstd frame whose header asks for a 2 GiB window, then an empty block.
	window := []byte{0x28, 0xb5, 0x2f, 0xfd, 0x00, 0xa8, 0x01, 0x00, 0x00}
	cases := []struct {
		name, coding string
		body         []byte
		status       int
		typ, detail  string
	}{
		{"gzip bomb", "gzip", bomb, 413, "body-too-large", "the body is larger than this route's limit of 65536 bytes"},
		{"zstd bomb", "zstd", zbomb, 413, "body-too-large", "the body is larger than this route's limit of 65536 bytes"},
		{"zstd window", "zstd", window, 400, "bad-content-coding", "the zstd body could not be decoded"},
		{"not gzip", "gzip", in, 400, "bad-content-coding", "the gzip body could not be decoded"},
		{"raw deflate is not HTTP deflate", "deflate", compress(t, "raw-deflate", in), 400, "bad-content-coding", "the deflate body could not be decoded"},
		{"truncated gzip", "gzip", compress(t, "gzip", in)[:20], 400, "bad-content-coding", "the gzip body could not be decoded"},
		{"stacked", "gzip, br", compress(t, "gzip", in), 415, "unsupported-content-encoding", "stacked content codings are not supported; apply one"},
		{"unknown", "compress", in, 415, "unsupported-content-encoding", `content coding "compress" is not supported (gzip, deflate, zstd, br)`},
	}
	for _, c := range cases {
		status, _, resp := post(t, g.url("/in"), "application/json", c.body, "Content-Encoding", c.coding)
		var p problemDoc
		_ = json.Unmarshal(resp, &p)
		if status != c.status || p.Type != "urn:caddy-minimize:problem:"+c.typ || p.Detail != c.detail {
			t.Errorf("%s: %d %s", c.name, status, resp)
		}
	}
	// A pass type is forwarded as it is only uncompressed and not JSON.
	for _, c := range []struct {
		name, body, coding, detail string
	}{
		{"compressed text", "hello", "gzip", "a body passed through unchanged must not be compressed"},
		{"JSON as text", "  \n{\"email\":\"canary-enc@example.com\"}", "", "the body is JSON sent as text/plain; send it as application/json to have it minimized"},
		{"a JSON array as text", "[1]", "", "the body is JSON sent as text/plain; send it as application/json to have it minimized"},
	} {
		body := []byte(c.body)
		hdrs := []string{}
		if c.coding != "" {
			body = compress(t, c.coding, body)
			hdrs = append(hdrs, "Content-Encoding", c.coding)
		}
		status, _, resp := post(t, g.url("/in"), "text/plain", body, hdrs...)
		if status != 415 || !strings.Contains(string(resp), `"detail":"`+strings.ReplaceAll(c.detail, `"`, `\"`)+`"`) {
			t.Errorf("%s: %d %s", c.name, status, resp)
		}
	}
	if u.count() != forwarded {
		t.Fatalf("refused bodies reached the upstream: %d requests", u.count()-forwarded)
	}
	if status, _, resp := post(t, g.url("/in"), "text/plain", []byte("plain words")); status != 200 || string(resp) != "plain words" {
		t.Errorf("plain text: %d %s", status, resp)
	}
	// The process is healthy after the bombs.
	if status, _, resp := post(t, g.url("/in"), "application/json", in); status != 200 || string(resp) != `{"a":1}` {
		t.Errorf("after the bombs: %d %s", status, resp)
	}
	assertNoCanary(t, g.logs(), "canary-enc")
}
