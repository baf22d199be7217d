// Command benchratio reads `go test -bench` output on stdin, passes it
// through, and appends the ratios the project's targets are stated in: the
// engine against the encoding/json baseline and against gjson.Valid, measured
// in the same run (and on one core, when a large document's array is shared
// with a helper), 32 rules against one, and the whole gateway (minimize in
// front of reverse_proxy) against reverse_proxy alone and with
// request_buffers. A benchmark run several times
// (make bench's passes, or -count) counts by its median, since a shared
// machine drifts.
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/caddy-minimize/caddy-minimize/internal/stats"
)

func main() {
	if err := report(os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "benchratio:", err)
		os.Exit(1)
	}
}

// report copies the benchmark output in to out and appends the ratios.
func report(in io.Reader, out io.Writer) error {
	runs := map[string][]float64{} // "Rewrite/64KB MB/s" → one value per run
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		line := sc.Text()
		fmt.Fprintln(out, line)
		f := strings.Fields(line)
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		name := strings.TrimPrefix(f[0], "Benchmark")
		if i := strings.LastIndexByte(name, '-'); i > 0 {
			name = name[:i] // drop the GOMAXPROCS suffix
		}
		for i := 2; i+1 < len(f); i++ {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				continue
			}
			if u := f[i+1]; u == "MB/s" || u == "ns/op" || u == "allocs/op" {
				runs[name+" "+u] = append(runs[name+" "+u], v)
			}
		}
	}
	mbps := func(name string) float64 { return stats.Median(runs[name+" MB/s"]) }
	nsop := func(name string) float64 { return stats.Median(runs[name+" ns/op"]) }
	passes := 0
	for _, v := range runs {
		passes = max(passes, len(v))
	}
	fmt.Fprintf(out, "\nratios (same run; medians of %d runs each):\n", passes)
	for _, size := range []string{"1KB", "64KB", "1MB"} {
		e, b, v := mbps("Rewrite/"+size), mbps("Baseline/"+size), mbps("Valid/"+size)
		if e == 0 || b == 0 || v == 0 {
			continue
		}
		fmt.Fprintf(out, "  %-5s engine %7.1f MB/s  %5.1fx encoding/json (%5.1f MB/s)  %4.2fx gjson.Valid (%6.1f MB/s)\n", size, e, e/b, b, e/v, v)
		if one := mbps("RewriteOneCore/" + size); one > 0 {
			fmt.Fprintf(out, "  %-5s        on one core %7.1f MB/s  %4.2fx gjson.Valid\n", "", one, one/v)
		}
		if wk, wh := mbps("Walk/"+size), mbps("Whole/"+size); wk > 0 && wh > 0 {
			fmt.Fprintf(out, "  %-5s        without transformations %4.2fx gjson.Valid, kept whole %4.2fx\n", "", wk/v, wh/v)
		}
	}
	if one, many := nsop("RuleCount/rules=1"), nsop("RuleCount/rules=32"); one > 0 && many > 0 {
		fmt.Fprintf(out, "  32 rules cost %.2fx one rule on 64KB\n", many/one)
	}
	allocs := func(name string) float64 { return stats.Median(runs[name+" allocs/op"]) }
	for _, mode := range []string{"serial", "parallel"} {
		for _, size := range []string{"1KB", "16KB", "256KB"} {
			g := func(config string) string { return "Gateway/" + size + "/" + mode + "/" + config }
			a, b, c := mbps(g("reverse_proxy")), mbps(g("request_buffers")), mbps(g("minimize"))
			if a == 0 || b == 0 || c == 0 {
				continue
			}
			fmt.Fprintf(out, "  gateway %-8s %-5s minimize %7.1f MB/s  %4.2fx reverse_proxy  %4.2fx request_buffers  %+.0f allocs/op",
				mode, size, c, c/a, c/b, allocs(g("minimize"))-allocs(g("request_buffers")))
			if mode == "serial" {
				// With one request in flight, ns/op is a request's time; in
				// parallel it is the inverse of throughput.
				fmt.Fprintf(out, ", %+.0f us a request", (nsop(g("minimize"))-nsop(g("request_buffers")))/1e3)
			}
			fmt.Fprintln(out)
		}
	}
	return sc.Err()
}
