package module

import (
	"bytes"
	"io"
	"strings"
	"testing"
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
		got, err := readBody(nil, strings.NewReader(tt.in), tt.limit)
		if (err == errTooLarge) != tt.tooBig || (!tt.tooBig && (err != nil || !bytes.Equal(got, []byte(tt.in)))) {
			t.Errorf("len %d limit %d: %d bytes, %v", len(tt.in), tt.limit, len(got), err)
		}
	}
}
