// Package e2e holds the end-to-end tests: they run the real, pinned Caddy
// binary (built from ./cmd/caddy, so it contains exactly the modules we ship)
// as a subprocess, point it at a recording upstream, and talk to it over
// loopback HTTP. Nothing here imports the module under test: the only
// interface is the Caddyfile and the wire, exactly as an operator sees it.
//
// This file is the harness shared by every e2e test:
//
//   - TestMain finds or builds the caddy binary once per test process.
//   - upstream is a loopback HTTP server that records what the gateway
//     forwarded to it (the bytes that actually left the gateway).
//   - gateway starts `caddy run` with a Caddyfile rendered from a template,
//     waits until it is really serving, and always stops it at test end.
//   - startGatewayErr / adaptCaddyfile cover bad-config and adapt tests.
//   - post / doRequest / freePort are small client-side helpers.
//
// Everything listens on 127.0.0.1 only; no test may reach beyond loopback.
package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"text/template"
	"time"
)

// caddyBin is the absolute path of the caddy binary under test, set by
// TestMain before any test runs.
var caddyBin string

const (
	// readyTimeout bounds how long a gateway may take to start serving.
	// Startup is normally well under a second; the slack is for a loaded
	// 2-core CI machine running the race detector in parallel packages.
	readyTimeout = 15 * time.Second
	// stopTimeout is how long we wait after SIGINT before SIGKILL. It must
	// exceed the grace_period in globalBlock so a clean shutdown can finish.
	stopTimeout = 5 * time.Second
	// pollInterval is the readiness polling period: short, because every
	// test pays it at least once.
	pollInterval = 20 * time.Millisecond
	// startAttempts is how many times a gateway start is retried when it
	// loses the race for a port picked by freePort (see freePort).
	startAttempts = 3
)

// globalBlock is the Caddyfile global options block every e2e config should
// start with (use globalOptions to add more lines). Why each option:
//
//   - admin {{.Admin}}: a per-gateway loopback admin port, so tests can run in
//     parallel and the harness can poll /config/ for readiness. The default
//     (localhost:2019) would collide between gateways.
//   - auto_https off: test sites are plain http://, and we never want Caddy to
//     attempt certificate management or bind :80/:443.
//   - persist_config off: don't write autosave.json into the config dir.
//   - grace_period 2s: bound graceful shutdown (the default waits forever for
//     active connections), keeping it below stopTimeout.
//
// Logs need no option: Caddy logs JSON lines to stderr whenever stderr is not
// a terminal, and the harness always captures it through a pipe.
const globalBlock = `{
	admin {{.Admin}}
	auto_https off
	persist_config off
	grace_period 2s
}
`

// globalOptions returns globalBlock with extra global option lines appended
// inside the block, e.g. globalOptions("debug", "order minimize before reverse_proxy").
func globalOptions(extra ...string) string {
	if len(extra) == 0 {
		return globalBlock
	}
	var b strings.Builder
	b.WriteString(strings.TrimSuffix(globalBlock, "}\n"))
	for _, line := range extra {
		b.WriteString("\t" + line + "\n")
	}
	b.WriteString("}\n")
	return b.String()
}

// site returns the standard test site block, listening on the gateway port
// chosen by the harness, with body as its directives.
func site(body string) string {
	return "\nhttp://127.0.0.1:{{.Port}} {\n" + body + "\n}\n"
}

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

// runMain exists so deferred cleanup (the temporary build dir) runs before
// os.Exit.
func runMain(m *testing.M) int {
	if bin := os.Getenv("CADDY_BIN"); bin != "" {
		abs, err := resolveCaddyBin(bin)
		if err != nil {
			fmt.Fprintf(os.Stderr, "e2e: CADDY_BIN=%q: %v\n", bin, err)
			return 2
		}
		caddyBin = abs
		return m.Run()
	}

	// No binary given: build one so `go test ./e2e` works on its own. This
	// happens once per test process, outside the -timeout window.
	dir, err := os.MkdirTemp("", "caddy-e2e-bin-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		return 2
	}
	defer os.RemoveAll(dir)
	caddyBin = filepath.Join(dir, "caddy")
	if err := buildCaddy(caddyBin); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: building caddy: %v\n", err)
		return 2
	}
	return m.Run()
}

// resolveCaddyBin makes CADDY_BIN absolute. Tests run with the package
// directory (e2e/) as cwd, so a relative path is tried against it first and
// then against the repository root, where `make` and CI invoke go test.
func resolveCaddyBin(bin string) (string, error) {
	candidates := []string{bin}
	if !filepath.IsAbs(bin) {
		if root, err := repoRoot(); err == nil {
			candidates = append(candidates, filepath.Join(root, bin))
		}
	}
	for _, c := range candidates {
		if fi, err := os.Stat(c); err == nil && !fi.IsDir() {
			return filepath.Abs(c)
		}
	}
	return "", fmt.Errorf("no such file (tried %q)", candidates)
}

// buildCaddy compiles ./cmd/caddy of this module into out.
func buildCaddy(out string) error {
	root, err := repoRoot()
	if err != nil {
		return err
	}
	start := time.Now()
	fmt.Fprintf(os.Stderr, "e2e: CADDY_BIN not set; building %s from %s (a cold build takes minutes)\n", out, root)
	cmd := exec.Command("go", "build", "-o", out, "./cmd/caddy")
	cmd.Dir = root
	cmd.Stdout = os.Stderr
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "e2e: built caddy in %s\n", time.Since(start).Round(100*time.Millisecond))
	return nil
}

// repoRoot returns the directory holding this module's go.mod. It asks the
// go command first (authoritative, respects GOFLAGS=-modfile etc.) and falls
// back to walking up from the working directory.
func repoRoot() (string, error) {
	if out, err := exec.Command("go", "env", "GOMOD").Output(); err == nil {
		gomod := strings.TrimSpace(string(out))
		if gomod != "" && gomod != os.DevNull {
			return filepath.Dir(gomod), nil
		}
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.mod not found above the working directory")
		}
		dir = parent
	}
}

// ---------------------------------------------------------------------------
// upstream

// recorded is one request as the upstream received it, i.e. after the gateway
// did whatever it does. Body is the complete body read off the wire.
type recorded struct {
	Method           string
	URI              string // path and query exactly as sent (RequestURI)
	Host             string
	Header           http.Header // a clone; safe to keep
	Body             []byte
	ContentLength    int64    // -1 when the request was chunked/unknown
	TransferEncoding []string // e.g. ["chunked"]; nil for fixed-length
	ReadErr          error    // non-nil if reading the body failed
}

// upstreamHandler writes the upstream's response. body is the request body,
// already fully read.
type upstreamHandler func(w http.ResponseWriter, r *http.Request, body []byte)

// upstream is a real loopback HTTP server standing in for the protected
// backend. It records every request and answers according to its handler
// (by default: 200, echoing the request body with the request Content-Type).
type upstream struct {
	srv *httptest.Server

	mu      sync.Mutex
	reqs    []recorded
	handler upstreamHandler
}

// echoHandler answers 200 with the request body and Content-Type.
func echoHandler(w http.ResponseWriter, r *http.Request, body []byte) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		w.Header().Set("Content-Type", ct)
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// newUpstream starts a recording upstream on 127.0.0.1 and closes it when the
// test ends. Create it before the gateway so that (cleanups being LIFO) the
// gateway stops first and never proxies to a closed upstream.
func newUpstream(t testing.TB) *upstream {
	t.Helper()
	u := &upstream{handler: echoHandler}
	// httptest.NewServer binds 127.0.0.1:0, never a public interface.
	u.srv = httptest.NewServer(http.HandlerFunc(u.serve))
	t.Cleanup(u.srv.Close)
	return u
}

func (u *upstream) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	rec := recorded{
		Method:           r.Method,
		URI:              r.RequestURI,
		Host:             r.Host,
		Header:           r.Header.Clone(),
		Body:             body,
		ContentLength:    r.ContentLength,
		TransferEncoding: append([]string(nil), r.TransferEncoding...),
		ReadErr:          err,
	}
	u.mu.Lock()
	u.reqs = append(u.reqs, rec)
	h := u.handler
	u.mu.Unlock()
	h(w, r, body)
}

// setHandler replaces how the upstream answers subsequent requests.
func (u *upstream) setHandler(h upstreamHandler) {
	u.mu.Lock()
	u.handler = h
	u.mu.Unlock()
}

// respond makes the upstream answer every subsequent request with a fixed
// status, Content-Type and body (instead of echoing).
func (u *upstream) respond(status int, contentType string, body []byte) {
	body = bytes.Clone(body)
	u.setHandler(func(w http.ResponseWriter, _ *http.Request, _ []byte) {
		if contentType != "" {
			w.Header().Set("Content-Type", contentType)
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(status)
		_, _ = w.Write(body)
	})
}

// requests returns a copy of everything received so far, in arrival order.
func (u *upstream) requests() []recorded {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]recorded(nil), u.reqs...)
}

// count is the number of requests received so far.
func (u *upstream) count() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.reqs)
}

// last returns the most recent request, failing the test if there was none
// (i.e. the gateway did not forward anything).
func (u *upstream) last(t testing.TB) recorded {
	t.Helper()
	u.mu.Lock()
	defer u.mu.Unlock()
	if len(u.reqs) == 0 {
		t.Fatalf("upstream received no request")
	}
	return u.reqs[len(u.reqs)-1]
}

// addr is the upstream's host:port, for {{.Upstream}} in templates.
func (u *upstream) addr() string {
	return u.srv.Listener.Addr().String()
}

// ---------------------------------------------------------------------------
// gateway

// syncBuffer is a bytes.Buffer safe for the concurrent writes of the
// subprocess output copiers and reads by the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// gateway is a running `caddy run` subprocess.
type gateway struct {
	Port   int    // site port on 127.0.0.1
	Admin  string // admin listen address (host:port)
	Config string // the rendered Caddyfile, for failure messages
	Path   string // where the rendered Caddyfile was written

	cmd      *exec.Cmd
	out      *syncBuffer   // stdout+stderr: Caddy's JSON log lines
	done     chan struct{} // closed once the process has exited
	waitErr  error         // valid after done is closed
	stopOnce sync.Once
	stopped  bool // set by stop before signalling; read after done
}

// startGateway renders tmpl with data, writes it to a temp Caddyfile and runs
// `caddy run --config <file> --adapter caddyfile`. It returns once the site
// port accepts connections and the admin API answers /config/, and registers
// a cleanup that stops the process. env entries ("KEY=value") are added to
// the process environment (e.g. "MINIMIZE_KEY=...").
//
// Template data: the keys of data plus Port (site port) and Admin (admin
// host:port), which the harness picks unless data already sets them.
// Typically data is map[string]string{"Upstream": u.addr()}. A key used by the
// template but missing from data fails the test (missingkey=error).
func startGateway(t testing.TB, tmpl string, data map[string]string, env ...string) *gateway {
	t.Helper()
	var lastLogs string
	for attempt := 1; attempt <= startAttempts; attempt++ {
		g := newGateway(t, tmpl, data, env)
		if err := g.cmd.Start(); err != nil {
			t.Fatalf("starting caddy: %v", err)
		}
		go func() { g.waitErr = g.cmd.Wait(); close(g.done) }()

		err := g.waitReady(readyTimeout)
		if err == nil {
			t.Cleanup(func() { g.cleanup(t) })
			return g
		}
		g.stop()
		lastLogs = g.logs()
		// freePort can lose a race with another process grabbing the same
		// port; that is the harness's fault, not the config's, so retry
		// with fresh ports. Any other failure is reported at once.
		if strings.Contains(lastLogs, "address already in use") && attempt < startAttempts {
			t.Logf("gateway start attempt %d lost a port race; retrying", attempt)
			continue
		}
		t.Fatalf("gateway did not start: %v\n--- Caddyfile ---\n%s\n--- caddy output ---\n%s", err, g.Config, lastLogs)
	}
	panic("unreachable")
}

// startGatewayErr is startGateway for configs that must be rejected: it runs
// `caddy run` and waits for it to exit, returning its combined output and
// exit error (normally an *exec.ExitError). It fails the test if Caddy starts
// serving instead, or neither exits nor serves within readyTimeout. Using
// `run` rather than `validate` means env-dependent checks (missing keys) and
// listener setup are exercised exactly as in production.
func startGatewayErr(t testing.TB, tmpl string, data map[string]string, env ...string) (output string, exitErr error) {
	t.Helper()
	for attempt := 1; attempt <= startAttempts; attempt++ {
		g := newGateway(t, tmpl, data, env)
		if err := g.cmd.Start(); err != nil {
			t.Fatalf("starting caddy: %v", err)
		}
		go func() { g.waitErr = g.cmd.Wait(); close(g.done) }()

		err := g.waitReady(readyTimeout)
		if err == nil {
			g.stop()
			t.Fatalf("caddy started, but the config was expected to be rejected\n--- Caddyfile ---\n%s\n--- caddy output ---\n%s", g.Config, g.logs())
		}
		select {
		case <-g.done:
		default:
			g.stop()
			t.Fatalf("caddy neither failed nor became ready: %v\n--- caddy output ---\n%s", err, g.logs())
		}
		out := g.logs()
		if strings.Contains(out, "address already in use") && attempt < startAttempts {
			continue // harness port race, not the config under test
		}
		if g.waitErr == nil {
			t.Fatalf("caddy exited with status 0, expected failure\n--- caddy output ---\n%s", out)
		}
		return out, g.waitErr
	}
	panic("unreachable")
}

// newGateway renders the Caddyfile and prepares (but does not start) the
// command, with a private HOME/XDG dirs so Caddy's storage and config
// autosave never touch the real user's directories or other tests.
func newGateway(t testing.TB, tmpl string, data map[string]string, env []string) *gateway {
	t.Helper()
	full := make(map[string]string, len(data)+2)
	for k, v := range data {
		full[k] = v
	}
	if _, ok := full["Port"]; !ok {
		full["Port"] = strconv.Itoa(freePort(t))
	}
	if _, ok := full["Admin"]; !ok {
		full["Admin"] = "127.0.0.1:" + strconv.Itoa(freePort(t))
	}
	port, err := strconv.Atoi(full["Port"])
	if err != nil {
		t.Fatalf("template data Port=%q is not a port number", full["Port"])
	}

	dir := t.TempDir()
	path, cfg := renderTo(t, dir, tmpl, full)

	g := &gateway{
		Port:   port,
		Admin:  full["Admin"],
		Config: cfg,
		Path:   path,
		out:    &syncBuffer{},
		done:   make(chan struct{}),
	}
	g.cmd = exec.Command(caddyBin, "run", "--config", path, "--adapter", "caddyfile")
	g.cmd.Dir = dir
	// Later entries win in exec.Cmd.Env, so callers' env can override ours.
	g.cmd.Env = append(inheritedEnv(),
		"HOME="+dir,
		"XDG_CONFIG_HOME="+filepath.Join(dir, "config"),
		"XDG_DATA_HOME="+filepath.Join(dir, "data"),
	)
	g.cmd.Env = append(g.cmd.Env, env...)
	g.cmd.Stdout = g.out
	g.cmd.Stderr = g.out
	g.cmd.SysProcAttr = childProcAttr()
	return g
}

// inheritedEnv is the test process environment minus variables that would
// make a gateway depend on the developer's shell: MINIMIZE_* (a key exported
// for `make run` must not turn a "missing key" test green) and CADDY_* (e.g.
// CADDY_ADMIN changes Caddy's defaults). Tests pass what they need via env.
func inheritedEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "MINIMIZE_") || strings.HasPrefix(kv, "CADDY_") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// waitReady polls until the site port accepts TCP connections and the admin
// API answers GET /config/ with 200, the process exits, or timeout passes.
// Both checks matter: the admin server comes up before the HTTP app, and an
// open port alone could belong to someone else.
func (g *gateway) waitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	siteAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(g.Port))
	adminURL := "http://" + g.Admin + "/config/"
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for {
		select {
		case <-g.done:
			return fmt.Errorf("caddy exited early: %v", g.waitErr)
		default:
		}
		if siteUp(siteAddr) && adminUp(adminURL) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not ready after %s (site %s, admin %s)", timeout, siteAddr, g.Admin)
		}
		select {
		case <-g.done:
		case <-tick.C:
		}
	}
}

func siteUp(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

func adminUp(url string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return false
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// stop ends the process: SIGINT (Caddy shuts down gracefully and flushes its
// logs), then SIGKILL if it has not exited after stopTimeout. It always waits
// for the process so no zombie or stray listener outlives the test. Safe to
// call more than once.
func (g *gateway) stop() {
	g.stopOnce.Do(func() {
		select {
		case <-g.done:
			return // already exited on its own
		default:
		}
		g.stopped = true
		_ = g.cmd.Process.Signal(os.Interrupt)
		select {
		case <-g.done:
		case <-time.After(stopTimeout):
			_ = g.cmd.Process.Kill()
			<-g.done
		}
	})
}

// cleanup is registered by startGateway. Besides stopping the process it
// reports a gateway that died during the test (a crash must not go unnoticed
// just because the assertions happened to pass) and dumps the log of failed
// tests.
func (g *gateway) cleanup(t testing.TB) {
	select {
	case <-g.done:
		if !g.stopped {
			t.Errorf("caddy exited during the test: %v\n--- caddy output ---\n%s", g.waitErr, g.logs())
			return
		}
	default:
	}
	g.stop()
	if t.Failed() {
		t.Logf("--- Caddyfile ---\n%s\n--- caddy output ---\n%s", g.Config, g.logs())
	}
}

// logs returns everything Caddy wrote to stdout and stderr so far: JSON log
// lines, one per line. Call g.stop() first to be sure shutdown logs are in.
func (g *gateway) logs() string { return g.out.String() }

// url returns the absolute URL of path on the gateway's site.
func (g *gateway) url(path string) string {
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	return "http://127.0.0.1:" + strconv.Itoa(g.Port) + path
}

// ---------------------------------------------------------------------------
// Caddyfile helpers

// renderTo executes tmpl with data into dir/Caddyfile, returning its path and
// text. missingkey=error turns a template typo into a test failure instead of
// a silent "<no value>" in the config.
func renderTo(t testing.TB, dir, tmpl string, data map[string]string) (path, text string) {
	t.Helper()
	tp, err := template.New("Caddyfile").Option("missingkey=error").Parse(tmpl)
	if err != nil {
		t.Fatalf("parsing Caddyfile template: %v", err)
	}
	var b bytes.Buffer
	if err := tp.Execute(&b, data); err != nil {
		t.Fatalf("rendering Caddyfile template: %v", err)
	}
	path = filepath.Join(dir, "Caddyfile")
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, b.String()
}

// writeCaddyfile renders tmpl into a Caddyfile in a fresh temp dir and
// returns its path, e.g. for adaptCaddyfile. Port and Admin are filled with
// free loopback values unless data sets them.
func writeCaddyfile(t testing.TB, tmpl string, data map[string]string) string {
	t.Helper()
	full := map[string]string{
		"Port":  strconv.Itoa(freePort(t)),
		"Admin": "127.0.0.1:" + strconv.Itoa(freePort(t)),
	}
	for k, v := range data {
		full[k] = v
	}
	path, _ := renderTo(t, t.TempDir(), tmpl, full)
	return path
}

// adaptCaddyfile runs `caddy adapt` on the Caddyfile at path and returns the
// JSON config it prints. Adapter warnings (stderr) are logged, not failed on;
// a non-zero exit fails the test with the output.
func adaptCaddyfile(t testing.TB, path string) []byte {
	t.Helper()
	cmd := exec.Command(caddyBin, "adapt", "--config", path, "--adapter", "caddyfile")
	cmd.Dir = filepath.Dir(path)
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("caddy adapt %s: %v\n%s%s", path, err, stderr.String(), stdout.String())
	}
	if stderr.Len() > 0 {
		t.Logf("caddy adapt stderr:\n%s", stderr.String())
	}
	return stdout.Bytes()
}

// ---------------------------------------------------------------------------
// client helpers

// httpClient is used for all requests to gateways. It never consults proxy
// environment variables (tests must stay on loopback), does not follow
// redirects, and disables transparent gzip so tests see the exact bytes and
// headers Caddy sent.
var httpClient = &http.Client{
	Timeout: 15 * time.Second,
	Transport: &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		DisableCompression:  true,
		MaxIdleConnsPerHost: 4,
	},
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// post sends body to url with the given Content-Type (omitted if empty) and
// returns the response status, headers and full body. headers are extra
// request headers as alternating name, value pairs; "Host" sets req.Host.
func post(t testing.TB, url, contentType string, body []byte, headers ...string) (status int, respHeader http.Header, respBody []byte) {
	t.Helper()
	if contentType != "" {
		headers = append([]string{"Content-Type", contentType}, headers...)
	}
	return doRequest(t, http.MethodPost, url, body, headers...)
}

// doRequest sends a request with any method; body may be nil. See post for
// headers. Transport errors fail the test.
func doRequest(t testing.TB, method, url string, body []byte, headers ...string) (status int, respHeader http.Header, respBody []byte) {
	t.Helper()
	if len(headers)%2 != 0 {
		t.Fatalf("headers must be name/value pairs, got %q", headers)
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatalf("building request: %v", err)
	}
	for i := 0; i < len(headers); i += 2 {
		if http.CanonicalHeaderKey(headers[i]) == "Host" {
			req.Host = headers[i+1]
			continue
		}
		req.Header.Add(headers[i], headers[i+1])
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	respBody, err = io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading response: %v", method, url, err)
	}
	return resp.StatusCode, resp.Header, respBody
}

// freePort returns a loopback TCP port that was free a moment ago. The port
// is released before returning, so another process can grab it before caddy
// binds it; startGateway detects that ("address already in use") and retries.
func freePort(t testing.TB) int {
	t.Helper()
	portsMu.Lock()
	defer portsMu.Unlock()
	for {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("freePort: %v", err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		// A port just closed may be handed out again: two sites of one
		// Caddyfile on one port make an ambiguous site definition.
		if !portsGiven[port] {
			portsGiven[port] = true
			return port
		}
	}
}

var (
	portsMu    sync.Mutex
	portsGiven = map[int]bool{} // every port freePort returned in this run
)
