package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/caddy-minimize/caddy-minimize/internal/benchdoc"
)

// TestMain lets the test binary be the load test's upstream too: run
// starts it as os.Executable() -serve-upstream, as the loadtest binary
// starts itself.
func TestMain(m *testing.M) {
	flag.Parse()
	if *upstreamArg != "" {
		serveUpstream(*upstreamArg)
		return
	}
	os.Exit(m.Run())
}

// caddyBinary is CADDY_BIN (make passes bin/caddy) or a fresh build.
func caddyBinary(t *testing.T) string {
	t.Helper()
	if bin := os.Getenv("CADDY_BIN"); bin != "" {
		return bin
	}
	out := t.TempDir() + "/caddy"
	cmd := exec.Command("go", "build", "-o", out, "./cmd/caddy")
	cmd.Dir = ".."
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building caddy: %v\n%s", err, b)
	}
	return out
}

// setFlag sets a flag for one test.
func setFlag[T any](t *testing.T, f *T, v T) {
	old := *f
	*f = v
	t.Cleanup(func() { *f = old })
}

// TestRun runs the whole load test, briefly, against the real binary: the
// three gateways start, every cell is measured (each after a body's trip
// through the gateway is checked), and the tables come out complete.
func TestRun(t *testing.T) {
	setFlag(t, caddyBin, caddyBinary(t))
	setFlag(t, configDir, ".")
	setFlag(t, duration, 300*time.Millisecond)
	setFlag(t, warmup, 100*time.Millisecond)
	setFlag(t, concFlag, "1,4")
	setFlag(t, sizesFlag, "1KB,16KB")
	setFlag(t, rounds, 2)
	setFlag(t, memConc, 16)
	setFlag(t, memSize, "64KB")
	setFlag(t, memDuration, 300*time.Millisecond)
	setFlag(t, memRuns, 2)

	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout := os.Stdout
	os.Stdout = w
	var out bytes.Buffer
	copied := make(chan struct{})
	go func() { io.Copy(&out, r); close(copied) }()
	err = run(context.Background())
	os.Stdout = stdout
	w.Close()
	<-copied
	defer func() {
		if t.Failed() {
			t.Logf("output:\n%s", &out)
		}
	}()
	if err != nil {
		t.Fatal(err)
	}

	// One row per configuration, in-flight count and body, each with
	// requests served; one ratio row per in-flight count and body, with a
	// verdict on each target that applies; two memory runs of (b) and (c).
	text := out.String()
	for _, conc := range []string{"1", "4"} {
		for _, size := range []string{"1KB", "16KB"} {
			for _, c := range allConfigs {
				// Requests a second, p50, p99, the gateway's and the
				// upstream's CPU a request, peak RSS: all measured.
				name := fmt.Sprintf("(%s) %s | %s | %s", c.id, c.name, conc, size)
				if vs := row(text, name, 6); vs == nil {
					t.Errorf("no row for %s", name)
				} else if slices.Min(vs) <= 0 {
					t.Errorf("%s: %v, want every figure above zero", name, vs)
				}
			}
			verdict := "c/b ≥ 0.85: (met|MISSED)"
			if size == "16KB" {
				verdict += ", added p99 ≤ 0.3 ms: (met|MISSED)"
			}
			re := regexp.MustCompile(`(?m)^\| ` + conc + ` \| ` + size + ` \| [0-9.]+ \([0-9.]+ to [0-9.]+\) \| [0-9.]+ \([0-9.]+ to [0-9.]+\) \| .* \| ` + verdict + ` \|$`)
			if !re.MatchString(text) {
				t.Errorf("no ratio row with its verdicts for %s in flight, %s", conc, size)
			}
		}
	}
	for _, g := range []string{"(b) buffered.Caddyfile", "(c) minimize.Caddyfile"} {
		for _, run := range []string{"1", "2"} {
			// Requests, requests a second, p99, RSS before, peak and after.
			name := g + " | " + run
			if vs := row(text, name, 6); vs == nil {
				t.Errorf("no memory run %s", name)
			} else if slices.Min(vs) <= 0 {
				t.Errorf("memory run %s: %v, want every figure above zero", name, vs)
			}
		}
	}
}

// row returns the n figures after the cells named in a table row of text
// that starts with them, or nil if there is no such row or a cell is not
// a number.
func row(text, name string, n int) []float64 {
	for line := range strings.Lines(text) {
		rest, ok := strings.CutPrefix(strings.TrimSpace(line), "| "+name+" | ")
		if !ok {
			continue
		}
		cells := strings.Split(strings.TrimSuffix(rest, " |"), " | ")
		if len(cells) != n {
			return nil
		}
		vs := make([]float64, n)
		for i, c := range cells {
			v, err := strconv.ParseFloat(c, 64)
			if err != nil {
				return nil
			}
			vs[i] = v
		}
		return vs
	}
	return nil
}

// TestStartGatewayRetriesATakenPort: a port that was free when picked but
// taken before caddy binds it costs an attempt, not the run; any other
// failure to start is not retried.
func TestStartGatewayRetriesATakenPort(t *testing.T) {
	bin := caddyBinary(t)
	setFlag(t, configDir, ".")
	up := httptest.NewServer(benchdoc.Upstream)
	defer up.Close()
	held, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	taken := held.Addr().(*net.TCPAddr).Port

	var picked []int
	pick := freePort
	setFlag(t, &freePort, func() (int, error) {
		if len(picked) == 0 {
			picked = append(picked, taken)
			return taken, nil
		}
		p, err := pick()
		picked = append(picked, p)
		return p, err
	})
	g, err := startGateway(context.Background(), bin, allConfigs[0], up.Listener.Addr().String(), "", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer g.stop()
	if len(picked) != 2 || !strings.HasSuffix(g.url, ":"+strconv.Itoa(picked[1])+"/orders") {
		t.Fatalf("ports picked %v, gateway at %s: want the taken %d, then another", picked, g.url, taken)
	}
	body := benchdoc.Orders(1 << 10)
	var buf bytes.Buffer
	status, err := benchdoc.Post(context.Background(), http.DefaultClient, g.url, body, &buf)
	if err == nil {
		err = benchdoc.CheckReceived(status, buf.Bytes(), len(body), false)
	}
	if err != nil {
		t.Fatal(err)
	}

	picked = picked[:1] // from here on, only free ports
	missing := config{"x", "missing", "missing.Caddyfile"}
	if _, err := startGateway(context.Background(), bin, missing, up.Listener.Addr().String(), "", t.TempDir()); err == nil || errors.Is(err, errAddrInUse) {
		t.Fatalf("a gateway without its Caddyfile: %v, want a failure that is not a taken port", err)
	}
	if len(picked) != 2 {
		t.Fatalf("a gateway without its Caddyfile took %d attempts, want 1", len(picked)-1)
	}
}
