package module

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"sync"
)

// bufPool holds request and output buffers; buffers that grew beyond
// maxPooled are left to the GC so one large body does not pin memory.
var bufPool = sync.Pool{New: func() any { return new([]byte) }}

const maxPooled = 4 << 20

func getBuf() *[]byte { return bufPool.Get().(*[]byte) }

func putBuf(b *[]byte) {
	if cap(*b) <= maxPooled {
		*b = (*b)[:0]
		bufPool.Put(b)
	}
}

var errTooLarge = errors.New("body too large")

// maxSizeHint bounds what an announced length reserves before its bytes come.
const maxSizeHint = 64 << 10

// readBody appends all of body to buf, failing once it passes limit bytes.
// size is the length the body announced (its Content-Length), or -1: when
// it is within limit, buf is grown toward it at once rather than doubling
// its way there, up to maxSizeHint, so that a client announcing a large
// body and sending nothing holds little. It is only a hint: the limit is
// enforced on what is read.
func readBody(buf []byte, body io.Reader, limit, size int64) ([]byte, error) {
	if size > 0 && size <= limit {
		// One byte more, so that the read which finds the end needs no growth.
		buf = slices.Grow(buf, int(min(size, maxSizeHint))+1)
	}
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if int64(len(buf)) > limit {
			return buf, errTooLarge
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// pooledBody is the minimized body handed upstream. The transport may read
// it after the handler returns (an upstream that answers early), so the
// buffer is recycled on Close, and a Read after Close can never see the
// buffer's next owner.
type pooledBody struct {
	mu  sync.Mutex
	buf *[]byte // nil once closed
	r   bytes.Reader
}

func newPooledBody(buf *[]byte) *pooledBody {
	b := &pooledBody{buf: buf}
	b.r.Reset(*buf)
	return b
}

func (b *pooledBody) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.buf == nil {
		return 0, io.ErrClosedPipe
	}
	return b.r.Read(p)
}

func (b *pooledBody) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.buf != nil {
		b.r.Reset(nil)
		putBuf(b.buf)
		b.buf = nil
	}
	return nil
}
