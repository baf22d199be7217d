package main

import (
	"strings"
	"testing"
)

// Two passes of a run, out of order and with the GOMAXPROCS suffix, as
// make bench pipes them in; each ratio must come from the medians.
const passes = `goos: linux
BenchmarkRewrite/64KB-2        	 100	 200000 ns/op	 300.00 MB/s	 0 B/op	 0 allocs/op
BenchmarkBaseline/64KB-2       	 10	 9000000 ns/op	 6.00 MB/s	 3400000 B/op	 67000 allocs/op
BenchmarkValid/64KB-2          	 100	 90000 ns/op	 750.00 MB/s	 0 B/op	 0 allocs/op
BenchmarkRewriteOneCore/64KB-2 	 100	 210000 ns/op	 290.00 MB/s	 0 B/op	 0 allocs/op
BenchmarkGateway/1KB/serial/reverse_proxy-2 	 7000	 100000 ns/op	 10.00 MB/s	 25000 B/op	 311 allocs/op
BenchmarkGateway/1KB/serial/request_buffers-2 	 7000	 125000 ns/op	 8.00 MB/s	 25000 B/op	 316 allocs/op
BenchmarkGateway/1KB/serial/minimize-2 	 6000	 150000 ns/op	 6.00 MB/s	 31000 B/op	 323 allocs/op
BenchmarkRewrite/64KB-2        	 100	 150000 ns/op	 400.00 MB/s	 0 B/op	 0 allocs/op
BenchmarkBaseline/64KB-2       	 10	 9000000 ns/op	 4.00 MB/s	 3400000 B/op	 67000 allocs/op
BenchmarkValid/64KB-2          	 100	 90000 ns/op	 850.00 MB/s	 0 B/op	 0 allocs/op
BenchmarkRewriteOneCore/64KB-2 	 100	 210000 ns/op	 310.00 MB/s	 0 B/op	 0 allocs/op
BenchmarkGateway/1KB/serial/minimize-2 	 6000	 170000 ns/op	 4.00 MB/s	 31000 B/op	 325 allocs/op
BenchmarkGateway/1KB/serial/reverse_proxy-2 	 7000	 100000 ns/op	 10.00 MB/s	 25000 B/op	 311 allocs/op
BenchmarkGateway/1KB/serial/request_buffers-2 	 7000	 135000 ns/op	 8.00 MB/s	 25000 B/op	 316 allocs/op
BenchmarkGateway/1KB/parallel/reverse_proxy-2 	 7000	 50000 ns/op	 20.00 MB/s	 25000 B/op	 311 allocs/op
BenchmarkGateway/1KB/parallel/request_buffers-2 	 7000	 60000 ns/op	 16.00 MB/s	 25000 B/op	 316 allocs/op
BenchmarkGateway/1KB/parallel/minimize-2 	 6000	 80000 ns/op	 12.00 MB/s	 31000 B/op	 320 allocs/op
PASS
`

func TestReport(t *testing.T) {
	var out strings.Builder
	if err := report(strings.NewReader(passes), &out); err != nil {
		t.Fatal(err)
	}
	got, ok := strings.CutPrefix(out.String(), passes)
	if !ok {
		t.Fatalf("the benchmark output is not passed through whole:\n%s", out.String())
	}
	// Medians of two: 350 MB/s engine, 5 encoding/json, 800 gjson.Valid,
	// 300 on one core; minimize 5 MB/s against 10 and 8, 324 allocs against
	// 316, 160 µs against 130; in parallel (one pass) 12 MB/s against 20
	// and 16, 320 allocs against 316, and no time a request.
	want := `
ratios (same run; medians of 2 runs each):
  64KB  engine   350.0 MB/s   70.0x encoding/json (  5.0 MB/s)  0.44x gjson.Valid ( 800.0 MB/s)
               on one core   300.0 MB/s  0.38x gjson.Valid
  gateway serial   1KB   minimize     5.0 MB/s  0.50x reverse_proxy  0.62x request_buffers  +8 allocs/op, +30 us a request
  gateway parallel 1KB   minimize    12.0 MB/s  0.60x reverse_proxy  0.75x request_buffers  +4 allocs/op
`
	if got != want {
		t.Errorf("ratios:\n%s\nwant:\n%s", got, want)
	}
}
