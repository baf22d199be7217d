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
	big := strings.Repeat("z", 300<<10)
	r := strings.NewReader(big)
	allocs := func(size int64) float64 {
		return testing.AllocsPerRun(20, func() {
			r.Reset(big)
			if _, err := readBody(nil, r, 1<<20, size); err != nil {
				t.Fatal(err)
			}
		})
	}
	// The hint reserves maxSizeHint at once, then the buffer doubles: a few
	// allocations against about twenty from nothing.
	if with, without := allocs(int64(len(big))), allocs(-1); with > 8 || without < 2*with {
		t.Errorf("reading 300 KB: %.0f allocations with its size announced, %.0f without; want a few and many", with, without)
	}
	// An announced length reserves at most maxSizeHint (rounded up to an
	// allocation size) before its bytes come.
	if got, _ := readBody(nil, strings.NewReader(""), 1<<20, 1<<20); cap(got) > maxSizeHint*5/4 {
		t.Errorf("1 MiB announced, nothing sent: %d bytes reserved", cap(got))
	}
}
