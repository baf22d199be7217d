package module

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"
	_ "github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	_ "github.com/caddyserver/caddy/v2/modules/caddyhttp/reverseproxy"
	_ "github.com/caddyserver/caddy/v2/modules/logging"

	"github.com/caddy-minimize/caddy-minimize/internal/benchdoc"
)

// BenchmarkGateway is the whole gateway in this process: Caddy runs the
// load test's three Caddyfiles (loadtest/) in turn in front of one upstream,
// so that make bench sets minimize beside plain reverse_proxy (and
// reverse_proxy with request_buffers) in the same run, with allocations.
// Client, Caddy and upstream share the process and its cores, so allocs/op
// counts all three: the difference between configurations is the gateway's.
// "serial" keeps one request in flight; "parallel" four per core.
func BenchmarkGateway(b *testing.B) {
	up := httptest.NewServer(benchdoc.Upstream)
	defer up.Close()
	dir := b.TempDir()
	b.Setenv("XDG_DATA_HOME", dir) // Caddy's storage, were it used
	b.Setenv("XDG_CONFIG_HOME", dir)
	b.Setenv("MINIMIZE_KEY", "CQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQk=")
	b.Setenv("LOADTEST_UPSTREAM", up.Listener.Addr().String())
	defer caddy.Stop() //nolint:errcheck // nothing to do about it here

	for _, g := range []struct{ name, file string }{
		{"reverse_proxy", "plain"},
		{"request_buffers", "buffered"},
		{"minimize", "minimize"},
	} {
		b.Run(g.name, func(b *testing.B) {
			url := loadGateway(b, g.file, filepath.Join(dir, g.file+".log"))
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
			defer client.CloseIdleConnections()
			for _, size := range []int{1 << 10, 16 << 10, 256 << 10} {
				body := benchdoc.Orders(size)
				name := fmt.Sprintf("%dKB", size>>10)
				b.Run("serial/"+name, func(b *testing.B) {
					b.SetBytes(int64(len(body)))
					b.ReportAllocs()
					for b.Loop() {
						if err := post(client, url, body); err != nil {
							b.Fatal(err)
						}
					}
				})
				b.Run("parallel/"+name, func(b *testing.B) {
					b.SetBytes(int64(len(body)))
					b.ReportAllocs()
					b.SetParallelism(4)
					b.RunParallel(func(pb *testing.PB) {
						for pb.Next() {
							if err := post(client, url, body); err != nil {
								b.Error(err)
								return
							}
						}
					})
				})
			}
		})
	}
}

// loadGateway adapts loadtest/<file>.Caddyfile for a free port, sends its
// logs (minimize's disclosure records among them) to logFile, as the load
// test sends them to a file, loads it into this process's Caddy in place
// of the last, and returns the gateway's URL.
func loadGateway(b *testing.B, file, logFile string) string {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	b.Setenv("LOADTEST_PORT", strconv.Itoa(port))
	path := filepath.Join("..", "loadtest", file+".Caddyfile")
	src, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	adapted, _, err := caddyconfig.GetAdapter("caddyfile").Adapt(src, map[string]any{"filename": path})
	if err != nil {
		b.Fatal(err)
	}
	var cfg map[string]any
	if err := json.Unmarshal(adapted, &cfg); err != nil {
		b.Fatal(err)
	}
	cfg["logging"] = map[string]any{"logs": map[string]any{"default": map[string]any{
		"writer": map[string]any{"output": "file", "filename": logFile},
	}}}
	if adapted, err = json.Marshal(cfg); err != nil {
		b.Fatal(err)
	}
	if err := caddy.Load(adapted, true); err != nil {
		b.Fatal(err)
	}
	return "http://127.0.0.1:" + strconv.Itoa(port) + "/orders"
}

// post sends body as JSON and reads the answer whole; anything but the
// upstream's 200 is an error, so a gateway that refuses cannot pass for a
// fast one.
func post(client *http.Client, url string, body []byte) error {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	answer, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK || !bytes.HasPrefix(answer, []byte(`{"received":`)) {
		return fmt.Errorf("%s: %s: %s", url, resp.Status, answer)
	}
	return nil
}
