package module

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"
	_ "github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	_ "github.com/caddyserver/caddy/v2/modules/caddyhttp/reverseproxy"
	_ "github.com/caddyserver/caddy/v2/modules/filestorage"
	_ "github.com/caddyserver/caddy/v2/modules/logging"

	"github.com/caddy-minimize/caddy-minimize/internal/benchdoc"
)

// gatewayConfigs are the load test's configurations (loadtest/), by the
// names the benchmark and benchratio give them.
var gatewayConfigs = []struct{ name, file string }{
	{"reverse_proxy", "plain"},
	{"request_buffers", "buffered"},
	{"minimize", "minimize"},
}

// BenchmarkGateway is the whole gateway in this process: Caddy runs the
// load test's three Caddyfiles side by side in front of one upstream, so
// that make bench sets minimize beside plain reverse_proxy (and
// reverse_proxy with request_buffers) in the same run, with allocations.
// The configurations take turns at each size and concurrency, as in the
// load test. Client, Caddy and upstream share the process and its cores, so
// allocs/op counts all three: the difference between configurations is the
// gateway's. "serial" keeps one request in flight; "parallel" four per core.
func BenchmarkGateway(b *testing.B) {
	up := httptest.NewServer(benchdoc.Upstream)
	defer up.Close()
	b.Setenv("MINIMIZE_KEY", "CQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQk=")
	b.Setenv("LOADTEST_UPSTREAM", up.Listener.Addr().String())
	dir := b.TempDir()
	b.Setenv("XDG_DATA_HOME", dir) // where Caddy keeps its instance id
	urls := loadGateways(b, dir)
	defer caddy.Stop() //nolint:errcheck // nothing to do about it here

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4 * runtime.GOMAXPROCS(0)}}
	defer client.CloseIdleConnections()
	for _, size := range []int{1 << 10, 16 << 10, 256 << 10} {
		body := benchdoc.Orders(size)
		b.Run(fmt.Sprintf("%dKB", size>>10), func(b *testing.B) {
			for _, g := range gatewayConfigs {
				// Once, untimed: what the upstream received of it.
				var buf bytes.Buffer
				status, err := benchdoc.Post(b.Context(), client, urls[g.name], body, &buf)
				if err == nil {
					err = benchdoc.CheckReceived(status, buf.Bytes(), len(body), g.name == "minimize")
				}
				if err != nil {
					b.Fatalf("%s: %v", g.name, err)
				}
			}
			b.Run("serial", func(b *testing.B) {
				for _, g := range gatewayConfigs {
					b.Run(g.name, func(b *testing.B) {
						b.SetBytes(int64(len(body)))
						b.ReportAllocs()
						var buf bytes.Buffer
						for b.Loop() {
							if err := post(b, client, urls[g.name], body, &buf); err != nil {
								b.Fatal(err)
							}
						}
					})
				}
			})
			b.Run("parallel", func(b *testing.B) {
				for _, g := range gatewayConfigs {
					b.Run(g.name, func(b *testing.B) {
						b.SetBytes(int64(len(body)))
						b.ReportAllocs()
						b.SetParallelism(4)
						b.RunParallel(func(pb *testing.PB) {
							var buf bytes.Buffer
							for pb.Next() {
								if err := post(b, client, urls[g.name], body, &buf); err != nil {
									b.Error(err)
									return
								}
							}
						})
					})
				}
			})
		})
	}
}

// loadGateways adapts the three loadtest/ Caddyfiles, each for a free port,
// loads them into this process's Caddy as one config (its storage and logs,
// minimize's disclosure records among them, in dir, the logs in a file as
// the load test writes them) and returns each one's URL by name. A port
// found free can be taken before Caddy binds it (by an outgoing
// connection, say), so a failed load is tried again on other ports.
func loadGateways(b *testing.B, dir string) map[string]string {
	b.Helper()
	var err error
	for range 3 {
		var urls map[string]string
		if urls, err = tryGateways(b, dir); err == nil {
			return urls
		}
		b.Logf("loading the gateways: %v; trying other ports", err)
	}
	b.Fatal(err)
	return nil
}

// tryGateways is one attempt of loadGateways: only Caddy's load may fail.
func tryGateways(b *testing.B, dir string) (map[string]string, error) {
	urls := map[string]string{}
	servers := map[string]any{}
	var cfg map[string]any
	for _, g := range gatewayConfigs {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		b.Setenv("LOADTEST_PORT", strconv.Itoa(port)) // read as the Caddyfile is adapted
		path := filepath.Join("..", "loadtest", g.file+".Caddyfile")
		src, err := os.ReadFile(path)
		if err != nil {
			b.Fatal(err)
		}
		adapted, _, err := caddyconfig.GetAdapter("caddyfile").Adapt(src, map[string]any{"filename": path})
		if err != nil {
			b.Fatal(err)
		}
		var one struct {
			Apps struct {
				HTTP struct {
					Servers map[string]any `json:"servers"`
				} `json:"http"`
			} `json:"apps"`
		}
		if err := json.Unmarshal(adapted, &one); err != nil {
			b.Fatal(err)
		}
		if len(one.Apps.HTTP.Servers) != 1 {
			b.Fatalf("%s: %d servers, want 1", path, len(one.Apps.HTTP.Servers))
		}
		for _, srv := range one.Apps.HTTP.Servers {
			servers[g.name] = srv
		}
		if cfg == nil { // the three share their global options
			if err := json.Unmarshal(adapted, &cfg); err != nil {
				b.Fatal(err)
			}
		}
		urls[g.name] = "http://127.0.0.1:" + strconv.Itoa(port) + "/orders"
	}
	cfg["apps"].(map[string]any)["http"].(map[string]any)["servers"] = servers
	cfg["storage"] = map[string]any{"module": "file_system", "root": dir}
	cfg["logging"] = map[string]any{"logs": map[string]any{"default": map[string]any{
		"writer": map[string]any{"output": "file", "filename": filepath.Join(dir, "caddy.log")},
	}}}
	adapted, err := json.Marshal(cfg)
	if err != nil {
		b.Fatal(err)
	}
	return urls, caddy.Load(adapted, true)
}

// post is one timed request: anything but a 200 is an error.
func post(b *testing.B, client *http.Client, url string, body []byte, buf *bytes.Buffer) error {
	status, err := benchdoc.Post(b.Context(), client, url, body, buf)
	if err == nil && status != http.StatusOK {
		err = fmt.Errorf("%s: status %d: %.300s", url, status, buf)
	}
	return err
}
