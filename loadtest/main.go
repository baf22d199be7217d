// Command loadtest measures the gateway end to end, the way a user runs it:
// the real caddy binary (built from ./cmd/caddy) in front of one upstream
// process, on loopback only, driven by a closed-loop load generator at a
// fixed concurrency for a bounded time. It compares three gateway processes
// on the same upstream and the same bodies:
//
//	(a) plain.Caddyfile     reverse_proxy
//	(b) buffered.Caddyfile  reverse_proxy with request_buffers (reads the
//	                        whole body first, as minimize must)
//	(c) minimize.Caddyfile  minimize (20 rules, every action) + reverse_proxy
//
// For each configuration and body size it prints requests per second, p50
// and p99 latency, the gateway's CPU seconds per 1,000 requests (utime+stime
// from /proc/<pid>/stat), the upstream's (what the gateway's way of sending
// costs the application behind it) and the gateway's peak RSS (VmHWM from
// /proc/<pid>/status, reset before each turn), then the ratios c/a and c/b
// and the p99 that c adds over b. Every cell is measured in several
// rounds (-rounds), the configurations taking turns (-turns) at its
// measured time within each: the tables give medians, and each ratio's
// range over the rounds, because a shared machine's speed drifts by more
// than the differences being measured. Last, a memory check: many
// concurrent large bodies against (b) and (c), after one unmeasured run,
// repeated, reporting peak RSS each time.
//
// It is a measurement, not a test: it exits non-zero only when something
// failed (a process, a request, a sanity check), never because a number
// missed a target. Linux only (it reads /proc). `make loadtest` runs it.
package main

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/caddy-minimize/caddy-minimize/internal/benchdoc"
	"github.com/caddy-minimize/caddy-minimize/internal/stats"
)

var (
	caddyBin    = flag.String("caddy", "bin/caddy", "the caddy binary built from ./cmd/caddy")
	configDir   = flag.String("dir", "loadtest", "directory holding plain.Caddyfile, buffered.Caddyfile and minimize.Caddyfile")
	duration    = flag.Duration("duration", 3*time.Second, "measured time per configuration and body size")
	warmup      = flag.Duration("warmup", time.Second, "unmeasured load before each measurement")
	concFlag    = flag.String("concurrency", "1,8", "requests in flight (closed loop); a list runs each: 1 shows latency without queueing, 8 keeps 2 cores busy")
	sizesFlag   = flag.String("sizes", "1KB,16KB,256KB", "approximate body sizes")
	configsFlag = flag.String("configs", "a,b,c", "configurations to run")
	rounds      = flag.Int("rounds", 3, "measurements of each cell: the configurations take turns within a round, and the tables report medians over the rounds, each ratio from the configurations' own round")
	turns       = flag.Int("turns", 6, "turns each configuration takes at the measured time of a cell, each of -duration/-turns, so that a slow spell of the machine falls on every configuration alike")
	memConc     = flag.Int("mem-concurrency", 256, "requests in flight for the memory check (0 skips it)")
	memConfigs  = flag.String("mem-configs", "b,c", "configurations the memory check runs against")
	memSize     = flag.String("mem-size", "256KB", "body size for the memory check")
	memDuration = flag.Duration("mem-duration", 3*time.Second, "duration of each memory check run")
	memRuns     = flag.Int("mem-runs", 3, "memory check repetitions per gateway")
	profileDir  = flag.String("profile", "", "if set, write into this directory a CPU profile of the gateway for each measured cell and a heap profile after each memory run (via its admin API)")
	upstreamArg = flag.String("serve-upstream", "", "internal: run as the upstream on this address")
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/<pid>/stat:
// 100 on every Linux architecture Go supports.
const clockTicks = 100

type config struct {
	id, name, file string
}

var allConfigs = []config{
	{"a", "reverse_proxy", "plain.Caddyfile"},
	{"b", "reverse_proxy, request_buffers", "buffered.Caddyfile"},
	{"c", "minimize + reverse_proxy", "minimize.Caddyfile"},
}

func main() {
	flag.Parse()
	if *upstreamArg != "" {
		serveUpstream(*upstreamArg)
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

// serveUpstream is the partner: it reads each body whole and answers with
// the number of bytes it received, so the driver can check what arrived.
func serveUpstream(addr string) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "upstream:", err)
		os.Exit(1)
	}
	fmt.Println(ln.Addr().String()) // the driver reads this line
	srv := &http.Server{
		ReadHeaderTimeout: 10 * time.Second,
		Handler:           benchdoc.Upstream,
	}
	go func() {
		// Exit with the driver even if its signal gets lost.
		io.Copy(io.Discard, os.Stdin)
		os.Exit(0)
	}()
	if err := srv.Serve(ln); err != nil {
		fmt.Fprintln(os.Stderr, "upstream:", err)
		os.Exit(1)
	}
}

type cell struct {
	cfg     config
	round   int
	conc    int
	size    string
	res     result
	cpu     float64 // gateway CPU seconds per 1,000 requests
	upCPU   float64 // the upstream's, over the same requests
	peakRSS int64   // kB
}

func run(ctx context.Context) error {
	sizes, err := parseSizes(*sizesFlag)
	if err != nil {
		return err
	}
	var concs []int
	for _, f := range strings.Split(*concFlag, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return fmt.Errorf("concurrency %q: want a list of positive numbers", *concFlag)
		}
		concs = append(concs, n)
	}
	var configs []config
	for _, id := range strings.Split(*configsFlag, ",") {
		i := slices.IndexFunc(allConfigs, func(c config) bool { return c.id == strings.TrimSpace(id) })
		if i < 0 {
			return fmt.Errorf("unknown configuration %q (want a, b or c)", id)
		}
		configs = append(configs, allConfigs[i])
	}
	bin, err := filepath.Abs(*caddyBin)
	if err != nil {
		return err
	}
	if _, err := os.Stat(bin); err != nil {
		return fmt.Errorf("%v (build it with `make caddy`)", err)
	}
	tmp, err := os.MkdirTemp("", "caddy-minimize-loadtest-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	up, upAddr, err := startUpstream()
	if err != nil {
		return err
	}
	defer up.stop()
	key := make([]byte, 32)
	rand.Read(key)
	gws := map[string]*proc{}
	for _, c := range configs {
		g, err := startGateway(ctx, bin, c, upAddr, base64.StdEncoding.EncodeToString(key), tmp)
		if err != nil {
			return err
		}
		defer g.stop()
		gws[c.id] = g
	}

	if *rounds < 1 || *turns < 1 {
		return fmt.Errorf("rounds %d, turns %d: want at least 1 of each", *rounds, *turns)
	}
	fmt.Printf("gateway load test, %s: %d cores shared by every process, loopback only; closed loop at %s in flight, %s measured after %s warm-up per cell, in %d turns, %d rounds (medians)\n",
		time.Now().Format("2006-01-02"), runtime.NumCPU(), *concFlag, *duration, *warmup, *turns, *rounds)
	fmt.Printf("bodies: {\"orders\":[...]} JSON; upstream reads each body whole; caddy %s\n\n", caddyVersion(bin))

	var cells []cell
	for round := 1; round <= *rounds; round++ {
		for _, conc := range concs {
			for _, sz := range sizes {
				cl, err := measure(ctx, gws, up, configs, round, conc, sz)
				if err != nil {
					return err
				}
				cells = append(cells, cl...)
			}
		}
	}
	fmt.Fprintln(os.Stderr)
	printTable(cells, concs, sizes, configs)

	if *memConc > 0 && *memRuns > 0 {
		if err := memoryCheck(ctx, gws); err != nil {
			return err
		}
	}
	for _, g := range gws {
		if !g.alive() {
			return fmt.Errorf("gateway %s exited during the run; its log: %s", g.name, g.logPath)
		}
	}
	return nil
}

// measure measures every configuration at one concurrency and body size,
// a cell each. After a warm-up of each, they take turns (-turns) at the
// measured time, so that a slow spell of the machine, which can last
// seconds, falls on all of them rather than on whichever ran then.
func measure(ctx context.Context, gws map[string]*proc, up *proc, configs []config, round, conc int, sz size) ([]cell, error) {
	body := benchdoc.Orders(sz.bytes)
	cells := make([]cell, len(configs))
	clients := make([]*http.Client, len(configs))
	for i, c := range configs {
		if err := sanity(ctx, gws[c.id], c, body); err != nil {
			return nil, err
		}
		cells[i] = cell{cfg: c, round: round, conc: conc, size: sz.name}
		clients[i] = newClient(conc)
		defer clients[i].CloseIdleConnections()
		if *warmup > 0 {
			if w := drive(ctx, clients[i], gws[c.id].url, body, conc, *warmup, false); w.errs > 0 {
				return nil, fmt.Errorf("(%s) %s warm-up: %d requests failed: %s", c.id, sz.name, w.errs, w.firstErr)
			}
		}
	}
	// One profile per cell is enough; profiling slows round 1 of every
	// configuration alike, which the per-round ratios absorb. It spans
	// the others' turns too, when its gateway idles.
	var profs []chan error
	if *profileDir != "" && round == 1 {
		for _, c := range configs {
			prof := make(chan error, 1)
			profs = append(profs, prof)
			go func() {
				prof <- profile(gws[c.id], time.Duration(len(configs))*(*duration), filepath.Join(*profileDir, fmt.Sprintf("%s-%s-c%d.pprof", c.id, sz.name, conc)))
			}()
		}
	}
	cpu, upCPU := make([]int64, len(configs)), make([]int64, len(configs)) // clock ticks
	for range *turns {
		for i, c := range configs {
			g, cl := gws[c.id], &cells[i]
			resetPeakRSS(g.pid())
			cpu0, upCPU0 := cpuTicks(g.pid()), cpuTicks(up.pid())
			r := drive(ctx, clients[i], g.url, body, conc, *duration/time.Duration(*turns), true)
			cpu[i] += cpuTicks(g.pid()) - cpu0
			upCPU[i] += cpuTicks(up.pid()) - upCPU0
			cl.peakRSS = max(cl.peakRSS, statusKB(g.pid(), "VmHWM:"))
			cl.res.n, cl.res.errs, cl.res.elapsed = cl.res.n+r.n, cl.res.errs+r.errs, cl.res.elapsed+r.elapsed
			cl.res.lat = append(cl.res.lat, r.lat...)
			cl.res.firstErr = cmp.Or(cl.res.firstErr, r.firstErr)
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
		}
	}
	for _, prof := range profs {
		if err := <-prof; err != nil {
			return nil, err
		}
	}
	for i := range cells {
		cl := &cells[i]
		slices.Sort(cl.res.lat)
		if cl.res.n > 0 {
			cl.cpu = float64(cpu[i]) / clockTicks / float64(cl.res.n) * 1000
			cl.upCPU = float64(upCPU[i]) / clockTicks / float64(cl.res.n) * 1000
		}
		fmt.Fprintf(os.Stderr, "  round %d  (%s) %3d in flight %-6s %8.0f req/s  p50 %7.3f ms  p99 %7.3f ms\n", round, cl.cfg.id, conc, sz.name, cl.res.rps(), ms(cl.res.pct(50)), ms(cl.res.pct(99)))
		if cl.res.errs > 0 {
			return nil, fmt.Errorf("(%s) %s: %d of %d requests failed: %s", cl.cfg.id, sz.name, cl.res.errs, cl.res.n+cl.res.errs, cl.res.firstErr)
		}
	}
	return cells, nil
}

// printTable reports each configuration's medians over the rounds, then the
// ratios. A round's c/a, c/b and added p99 compare cells measured back to
// back; the median of those per-round ratios is what the targets judge, and
// their range shows how much the machine moved under the run.
func printTable(cells []cell, concs []int, sizes []size, configs []config) {
	fmt.Println("| config | in flight | body | req/s | p50 ms | p99 ms | gateway CPU s / 1k req | upstream CPU s / 1k req | gateway peak RSS MB |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|")
	for _, conc := range concs {
		for _, sz := range sizes {
			for _, c := range configs {
				var rps, p50, p99, cpu, upCPU []float64
				var rss int64
				for _, cl := range cells {
					if cl.cfg.id == c.id && cl.conc == conc && cl.size == sz.name {
						rps, p50, p99 = append(rps, cl.res.rps()), append(p50, ms(cl.res.pct(50))), append(p99, ms(cl.res.pct(99)))
						cpu, upCPU, rss = append(cpu, cl.cpu), append(upCPU, cl.upCPU), max(rss, cl.peakRSS)
					}
				}
				if len(rps) > 0 {
					fmt.Printf("| (%s) %s | %d | %s | %.0f | %.3f | %.3f | %.3f | %.3f | %.1f |\n", c.id, c.name, conc, sz.name, stats.Median(rps), stats.Median(p50), stats.Median(p99), stats.Median(cpu), stats.Median(upCPU), float64(rss)/1024)
				}
			}
		}
	}
	if !slices.ContainsFunc(configs, func(c config) bool { return c.id == "c" }) {
		return
	}
	find := func(id string, round, conc int, sz string) *cell {
		for i := range cells {
			if cells[i].cfg.id == id && cells[i].round == round && cells[i].conc == conc && cells[i].size == sz {
				return &cells[i]
			}
		}
		return nil
	}
	fmt.Println()
	fmt.Println("| in flight | body | req/s c/a | req/s c/b | p99 added by c over b | gateway CPU c/b | targets (issue 7) |")
	fmt.Println("|---|---|---|---|---|---|---|")
	for _, conc := range concs {
		for _, sz := range sizes {
			var ca, cb, added, cpu []float64
			for round := 1; round <= *rounds; round++ {
				a, b, c := find("a", round, conc, sz.name), find("b", round, conc, sz.name), find("c", round, conc, sz.name)
				if c == nil {
					continue
				}
				if a != nil {
					ca = append(ca, c.res.rps()/a.res.rps())
				}
				if b != nil {
					cb, added = append(cb, c.res.rps()/b.res.rps()), append(added, ms(c.res.pct(99)-b.res.pct(99)))
					if b.cpu > 0 {
						cpu = append(cpu, c.cpu/b.cpu)
					}
				}
			}
			var verdict []string
			if len(cb) > 0 {
				if sz.bytes <= 16<<10 {
					verdict = append(verdict, mark(stats.Median(cb) >= 0.85, "c/b ≥ 0.85"))
				}
				switch {
				case sz.bytes >= 128<<10:
					verdict = append(verdict, mark(stats.Median(added) <= 1, "added p99 ≤ 1 ms"))
				case sz.bytes >= 8<<10:
					verdict = append(verdict, mark(stats.Median(added) <= 0.3, "added p99 ≤ 0.3 ms"))
				}
			}
			fmt.Printf("| %d | %s | %s | %s | %s | %s | %s |\n", conc, sz.name, spread(ca, "%.2f"), spread(cb, "%.2f"), spread(added, "%+.3f ms"), spread(cpu, "%.2f"), strings.Join(verdict, ", "))
		}
	}
}

// spread formats the median of xs and, for more than one value, their range.
func spread(xs []float64, format string) string {
	switch len(xs) {
	case 0:
		return "-"
	case 1:
		return fmt.Sprintf(format, xs[0])
	}
	return fmt.Sprintf(format+" ("+format+" to "+format+")", stats.Median(xs), slices.Min(xs), slices.Max(xs))
}

func mark(ok bool, what string) string {
	if ok {
		return what + ": met"
	}
	return what + ": MISSED"
}

// memoryCheck sends many large bodies at once to each gateway named by
// -mem-configs, several times, and reports its peak RSS each time: bounded,
// and not growing from run to run.
func memoryCheck(ctx context.Context, gws map[string]*proc) error {
	sz, err := parseSizes(*memSize)
	if err != nil {
		return err
	}
	body := benchdoc.Orders(sz[0].bytes)
	fmt.Printf("\nmemory: %d concurrent %s bodies for %s, %d runs per gateway after one unmeasured (peak RSS reset before each run)\n\n", *memConc, sz[0].name, *memDuration, *memRuns)
	// RSS before: what the last run left (the runtime gives freed memory
	// back slowly), which the next peak cannot go below.
	fmt.Println("| config | run | requests | req/s | p99 ms | RSS before MB | gateway peak RSS MB | RSS after MB |")
	fmt.Println("|---|---|---|---|---|---|---|---|")
	for _, id := range strings.Split(*memConfigs, ",") {
		id = strings.TrimSpace(id)
		g := gws[id]
		if g == nil {
			continue
		}
		var peaks []int64
		for i := 0; i <= *memRuns; i++ {
			resetPeakRSS(g.pid())
			before := statusKB(g.pid(), "VmRSS:")
			client := newClient(*memConc)
			res := drive(ctx, client, g.url, body, *memConc, *memDuration, true)
			client.CloseIdleConnections()
			if res.errs > 0 {
				return fmt.Errorf("memory check (%s): %d of %d requests failed: %s", id, res.errs, res.n+res.errs, res.firstErr)
			}
			if i == 0 {
				// The heap's first growth to its working size, which the
				// runs after it are compared without.
				continue
			}
			peak := statusKB(g.pid(), "VmHWM:")
			peaks = append(peaks, peak)
			if *profileDir != "" {
				if err := fetch(g, "heap", filepath.Join(*profileDir, fmt.Sprintf("%s-mem-run%d.heap", id, i))); err != nil {
					return err
				}
			}
			fmt.Printf("| %s | %d | %d | %.0f | %.3f | %.1f | %.1f | %.1f |\n", g.name, i, res.n, res.rps(), ms(res.pct(99)), float64(before)/1024, float64(peak)/1024, float64(statusKB(g.pid(), "VmRSS:"))/1024)
		}
		if len(peaks) > 1 {
			fmt.Fprintf(os.Stderr, "  %s: peak RSS of the last run against the first: %+.1f MB\n", g.name, float64(peaks[len(peaks)-1]-peaks[0])/1024)
		}
	}
	return nil
}

// result is one measured run.
type result struct {
	n, errs  int
	elapsed  time.Duration
	lat      []time.Duration // sorted
	firstErr string
}

func (r result) rps() float64 {
	if r.elapsed <= 0 {
		return 0
	}
	return float64(r.n) / r.elapsed.Seconds()
}

func (r result) pct(p float64) time.Duration {
	if len(r.lat) == 0 {
		return 0
	}
	i := int(float64(len(r.lat))*p/100+0.5) - 1
	return r.lat[min(max(i, 0), len(r.lat)-1)]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// drive keeps conc requests in flight for dur, recording their latencies
// if asked. Every worker stops by itself at the end.
func drive(ctx context.Context, client *http.Client, url string, body []byte, conc int, dur time.Duration, record bool) result {
	var mu sync.Mutex
	var all result
	var wg sync.WaitGroup
	start := time.Now()
	until := start.Add(dur)
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine result
			var buf bytes.Buffer
			for ctx.Err() == nil && time.Now().Before(until) {
				t0 := time.Now()
				status, err := benchdoc.Post(ctx, client, url, body, &buf)
				lat := time.Since(t0)
				if err == nil && status != http.StatusOK {
					err = fmt.Errorf("status %d: %.200s", status, buf.String())
				}
				if err != nil {
					mine.errs++
					if mine.firstErr == "" {
						mine.firstErr = err.Error()
					}
					continue
				}
				mine.n++
				if record {
					mine.lat = append(mine.lat, lat)
				}
			}
			mu.Lock()
			all.n += mine.n
			all.errs += mine.errs
			all.lat = append(all.lat, mine.lat...)
			if all.firstErr == "" {
				all.firstErr = mine.firstErr
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	all.elapsed = time.Since(start)
	slices.Sort(all.lat)
	return all
}

// newClient is the generator's client for conc requests in flight, kept
// across a cell's turns so each turn starts on open connections.
func newClient(conc int) *http.Client {
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		Proxy:               nil, // loopback only, whatever the environment says
		MaxIdleConns:        conc,
		MaxIdleConnsPerHost: conc,
		IdleConnTimeout:     30 * time.Second,
		DisableCompression:  true,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
	}}
}

// sanity sends one body and checks what the upstream received (see
// benchdoc.CheckReceived).
func sanity(ctx context.Context, g *proc, c config, body []byte) error {
	client := &http.Client{Transport: &http.Transport{Proxy: nil}, Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()
	var buf bytes.Buffer
	status, err := benchdoc.Post(ctx, client, g.url, body, &buf)
	if err == nil {
		err = benchdoc.CheckReceived(status, buf.Bytes(), len(body), c.id == "c")
	}
	if err != nil {
		return fmt.Errorf("(%s): %w", c.id, err)
	}
	return nil
}

// proc is a child process: the upstream or a gateway.
type proc struct {
	name, url, logPath string
	admin              string // admin API address, when profiling
	cmd                *exec.Cmd
	stdin              io.WriteCloser
	done               chan struct{}
}

func (p *proc) pid() int { return p.cmd.Process.Pid }

func (p *proc) alive() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

func (p *proc) stop() {
	if p.stdin != nil {
		p.stdin.Close()
	}
	p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
	}
}

func (p *proc) start() error {
	p.cmd.SysProcAttr = childProcAttr()
	if err := p.cmd.Start(); err != nil {
		return fmt.Errorf("%s: %w", p.name, err)
	}
	p.done = make(chan struct{})
	go func() { p.cmd.Wait(); close(p.done) }()
	return nil
}

func startUpstream() (*proc, string, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, "", err
	}
	p := &proc{name: "upstream", cmd: exec.Command(self, "-serve-upstream", "127.0.0.1:0")}
	p.cmd.Stderr = os.Stderr
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		return nil, "", err
	}
	if p.stdin, err = p.cmd.StdinPipe(); err != nil {
		return nil, "", err
	}
	if err := p.start(); err != nil {
		return nil, "", err
	}
	line := make(chan string, 1)
	go func() {
		s := bufio.NewScanner(out)
		s.Scan()
		line <- strings.TrimSpace(s.Text())
		io.Copy(io.Discard, out)
	}()
	select {
	case addr := <-line:
		if _, _, err := net.SplitHostPort(addr); err != nil {
			p.stop()
			return nil, "", fmt.Errorf("upstream did not start: %q", addr)
		}
		return p, addr, nil
	case <-time.After(10 * time.Second):
		p.stop()
		return nil, "", errors.New("upstream did not start in 10s")
	}
}

// startGateway starts one gateway and waits until it answers. A port found
// free can be taken before caddy binds it, so a gateway that exits because
// an address is in use is started again on other ports.
func startGateway(ctx context.Context, bin string, c config, upstream, key, tmp string) (*proc, error) {
	for attempt := 1; ; attempt++ {
		p, err := tryGateway(ctx, bin, c, upstream, key, tmp)
		if !errors.Is(err, errAddrInUse) || attempt == 3 {
			return p, err
		}
		fmt.Fprintf(os.Stderr, "gateway (%s) %s: a port was taken before caddy bound it; trying others\n", c.id, c.file)
	}
}

var errAddrInUse = errors.New("address already in use")

// tryGateway is one attempt of startGateway.
func tryGateway(ctx context.Context, bin string, c config, upstream, key, tmp string) (*proc, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	file, err := filepath.Abs(filepath.Join(*configDir, c.file))
	if err != nil {
		return nil, err
	}
	p := &proc{name: "(" + c.id + ") " + c.file, url: fmt.Sprintf("http://127.0.0.1:%d/orders", port)}
	p.cmd = exec.Command(bin, "run", "--config", file, "--adapter", "caddyfile")
	// Caddy's data and config directories (its instance id, storage
	// cleaner's files) in the run's own directory, not the user's home.
	p.cmd.Env = append(os.Environ(), "LOADTEST_PORT="+strconv.Itoa(port), "LOADTEST_UPSTREAM="+upstream, "MINIMIZE_KEY="+key,
		"XDG_DATA_HOME="+tmp, "XDG_CONFIG_HOME="+tmp)
	if *profileDir != "" {
		admin, err := freePort()
		if err != nil {
			return nil, err
		}
		p.admin = fmt.Sprintf("127.0.0.1:%d", admin)
		p.cmd.Env = append(p.cmd.Env, "LOADTEST_ADMIN="+p.admin)
	}
	// Caddy logs (minimize's disclosure records among them) go to a file,
	// as they would in production.
	p.logPath = filepath.Join(tmp, c.id+".log")
	logf, err := os.Create(p.logPath)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	p.cmd.Stdout, p.cmd.Stderr = logf, logf
	if err := p.start(); err != nil {
		return nil, err
	}
	client := &http.Client{Transport: &http.Transport{Proxy: nil}, Timeout: time.Second}
	defer client.CloseIdleConnections()
	for deadline := time.Now().Add(20 * time.Second); ; {
		if resp, err := client.Get(p.url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p, nil
			}
		}
		if !p.alive() || time.Now().After(deadline) || ctx.Err() != nil {
			exited := !p.alive()
			p.stop()
			log, _ := os.ReadFile(p.logPath)
			if exited && bytes.Contains(log, []byte(errAddrInUse.Error())) {
				return nil, fmt.Errorf("gateway %s did not start: %w:\n%s", p.name, errAddrInUse, log)
			}
			return nil, fmt.Errorf("gateway %s did not start:\n%s", p.name, log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// profile saves a CPU profile of the gateway over d, rounded up to whole
// seconds, and one more for the turns' own overheads.
func profile(g *proc, d time.Duration, path string) error {
	return fetch(g, fmt.Sprintf("profile?seconds=%d", int((d+2*time.Second-1)/time.Second)), path)
}

// fetch saves one of the gateway's /debug/pprof/ profiles.
func fetch(g *proc, what, path string) error {
	resp, err := http.Get(fmt.Sprintf("http://%s/debug/pprof/%s", g.admin, what))
	if err != nil {
		return fmt.Errorf("profile %s: %w", g.name, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("profile %s: status %d", g.name, resp.StatusCode)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// freePort is a loopback port free when asked (a variable so a test can
// hand out a taken one).
var freePort = func() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func caddyVersion(bin string) string {
	out, err := exec.Command(bin, "version").Output()
	if err != nil {
		return "(unknown version)"
	}
	return strings.Fields(string(out) + " ?")[0]
}

// cpuTicks is the process's utime+stime, in clock ticks.
func cpuTicks(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name may hold spaces; the fields after it do not.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64) // field 14 of stat
	stime, _ := strconv.ParseInt(f[12], 10, 64) // field 15
	return utime + stime
}

// statusKB reads one kB field of /proc/<pid>/status, such as VmHWM.
func statusKB(pid int, field string) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

// resetPeakRSS sets VmHWM back to the current RSS (clear_refs 5, Linux 4.0+).
func resetPeakRSS(pid int) {
	os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0)
}

type size struct {
	name  string
	bytes int
}

func parseSizes(s string) ([]size, error) {
	var out []size
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		num, unit := f, 1
		switch {
		case strings.HasSuffix(f, "KB"):
			num, unit = strings.TrimSuffix(f, "KB"), 1<<10
		case strings.HasSuffix(f, "MB"):
			num, unit = strings.TrimSuffix(f, "MB"), 1<<20
		}
		n, err := strconv.Atoi(num)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("size %q: want e.g. 1KB, 16KB or 256KB", f)
		}
		out = append(out, size{f, n * unit})
	}
	return out, nil
}
