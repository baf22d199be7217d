package module

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// TestPooledBodyIsNotReadAfterClose: once the transport closes the body, its
// buffer belongs to the next request, and a late Read must not see it.
func TestPooledBodyIsNotReadAfterClose(t *testing.T) {
	buf := getBuf()
	*buf = append((*buf)[:0], `{"minimized":true}`...)
	b := newPooledBody(buf)
	p := make([]byte, 4)
	if n, err := b.Read(p); n != 4 || err != nil || string(p) != `{"mi` {
		t.Fatalf("first read: %d %v %q", n, err, p)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	// The buffer is reused for another request's raw body.
	*buf = append((*buf)[:0], `{"ssn":"123-45-6789"}`...)
	if n, err := b.Read(p); n != 0 || err != io.ErrClosedPipe {
		t.Fatalf("read after close: %d %v %q", n, err, p[:n])
	}
	if err := b.Close(); err != nil {
		t.Fatal("second close:", err)
	}
}

func TestReadBodyLimit(t *testing.T) {
	for _, tt := range []struct {
		in     string
		limit  int64
		tooBig bool
	}{
		{"", 10, false},
		{strings.Repeat("x", 10), 10, false},
		{strings.Repeat("x", 11), 10, true},
		{strings.Repeat("x", 100000), 1 << 20, false},
	} {
		got, err := readBody(nil, strings.NewReader(tt.in), tt.limit, -1)
		if (err == errTooLarge) != tt.tooBig || (!tt.tooBig && (err != nil || !bytes.Equal(got, []byte(tt.in)))) {
			t.Errorf("len %d limit %d: %d bytes, %v", len(tt.in), tt.limit, len(got), err)
		}
	}
}

// TestReadBodySizeHint: the announced size only sizes the buffer. Whether
// it is right, short, long or over the limit, what is read and the limit
// are the same as without it.
func TestReadBodySizeHint(t *testing.T) {
	const limit = 1000
	for _, n := range []int{0, 1, 999, 1000, 1001, 5000} {
		in := strings.Repeat("x", n)
		for _, size := range []int64{-1, 0, 1, int64(n) - 1, int64(n), int64(n) + 1, limit, limit + 1, 1 << 40} {
			got, err := readBody(nil, iotest.OneByteReader(strings.NewReader(in)), limit, size)
			if n > limit {
				if err != errTooLarge || len(got) != limit+1 {
					t.Errorf("%d bytes, size %d: %d bytes, %v; want errTooLarge after %d", n, size, len(got), err, limit+1)
				}
				continue
			}
			if err != nil || string(got) != in {
				t.Errorf("%d bytes, size %d: %d bytes, %v", n, size, len(got), err)
			}
		}
	}
	// A right size is read without growing the buffer past it.
	got, err := readBody(nil, iotest.HalfReader(strings.NewReader(strings.Repeat("y", 777))), limit, 777)
	if err != nil || len(got) != 777 || cap(got) > 1024 {
		t.Errorf("777 bytes announced and sent: len %d cap %d, %v", len(got), cap(got), err)
	}
	// An announced length reserves at most maxSizeHint before its bytes come.
	if got, _ := readBody(nil, strings.NewReader(""), 1<<20, 1<<20); cap(got) != maxSizeHint+1 {
		t.Errorf("1 MiB announced, nothing sent: %d bytes reserved, want %d", cap(got), maxSizeHint+1)
	}
}

// TestReadBodyGrowth: the buffer grows in few steps and stays within about
// twice what arrived, whether the announced size is right, missing or a lie.
func TestReadBodyGrowth(t *testing.T) {
	const limit = 1 << 20
	for _, tt := range []struct {
		sent, size int64
		allocs     float64 // at most
		capacity   int64   // exactly
	}{
		// Announced and sent: 64 KiB reserved, then doubled until doubling
		// reaches the size, which it then takes exactly.
		{256 << 10, 256 << 10, 3, 256<<10 + 1},
		{300 << 10, 300 << 10, 4, 300<<10 + 1},
		{100 << 10, 100 << 10, 2, 100<<10 + 1},
		{64 << 10, 64 << 10, 1, 64<<10 + 1},
		{1000, 1000, 1, 1001},
		// Unknown length: doubling from minGrowth.
		{256 << 10, -1, 11, 512 << 10},
		{300, -1, 1, minGrowth},
		// A size larger than what comes: the buffer follows what arrives.
		{100 << 10, 1 << 20, 2, 2 * (64<<10 + 1)},
		{1, 1 << 20, 1, maxSizeHint + 1},
		// A size smaller than what comes (a reader other than the
		// server's): past it, doubling again, never byte by byte.
		{200 << 10, 1, 11, 256 << 10},
		// Stops at the byte past the limit.
		{limit + 5, -1, 13, limit + 1},
		{limit, limit, 5, limit + 1},
	} {
		in := strings.Repeat("x", int(tt.sent))
		r := strings.NewReader(in)
		var got []byte
		var err error
		allocs := testing.AllocsPerRun(10, func() {
			r.Reset(in)
			got, err = readBody(nil, r, limit, tt.size)
		})
		if tt.sent <= limit && (err != nil || string(got) != in) {
			t.Errorf("%d bytes, size %d: %d bytes, %v", tt.sent, tt.size, len(got), err)
		}
		if allocs > tt.allocs || int64(cap(got)) != tt.capacity {
			t.Errorf("%d bytes, size %d: %.0f allocations, capacity %d; want at most %.0f, %d", tt.sent, tt.size, allocs, cap(got), tt.allocs, tt.capacity)
		}
	}
	// One byte at a time, whatever the announced size: never more than
	// twice what arrived beyond the reservation.
	for _, size := range []int64{-1, 1, 10 << 10, 200 << 10, 1 << 20} {
		for _, sent := range []int{0, 1, 513, 65 << 10, 129 << 10, 200 << 10} {
			got, err := readBody(nil, iotest.OneByteReader(strings.NewReader(strings.Repeat("y", sent))), limit, size)
			bound := max(2*int64(len(got))+1, minGrowth, min(max(size, 0), maxSizeHint)+1)
			if err != nil || len(got) != sent || int64(cap(got)) > bound {
				t.Errorf("%d bytes one at a time, size %d: len %d cap %d (bound %d), %v", sent, size, len(got), cap(got), bound, err)
			}
		}
	}
}

// TestGrowWriter: the report-mode copy grows as readBody does and holds
// exactly what was written.
func TestGrowWriter(t *testing.T) {
	buf := new([]byte)
	w := &growWriter{buf, 256 << 10, 1 << 20}
	*buf = reserve(*buf, 256<<10, 1<<20)
	want := strings.Repeat("0123456789abcdef", 16<<10)
	if _, err := io.Copy(w, iotest.HalfReader(strings.NewReader(want))); err != nil {
		t.Fatal(err)
	}
	if string(*buf) != want || cap(*buf) > 2*len(want)+1 {
		t.Errorf("len %d cap %d, want %d bytes as written", len(*buf), cap(*buf), len(want))
	}
}
