package module

import (
	"bytes"
	"errors"
	"io"
	"math"
	"sync"
	"sync/atomic"
)

// bufPool holds request and output buffers; buffers that grew beyond
// maxPooled are left to the GC so one large body does not pin memory.
var bufPool = sync.Pool{New: func() any { return new([]byte) }}

const maxPooled = 4 << 20

// poison is what a released buffer holds in tests: not UTF-8, so never
// mistaken for part of a body or a record.
const poison = 0xff

func getBuf() *[]byte { return bufPool.Get().(*[]byte) }

// poisonReleased, set by tests, overwrites every buffer as it goes back to
// the pool, so that anything still reading it reads garbage a test sees.
var poisonReleased atomic.Bool

func putBuf(b *[]byte) {
	if poisonReleased.Load() {
		full := (*b)[:cap(*b)]
		for i := range full {
			full[i] = poison
		}
	}
	if cap(*b) <= maxPooled {
		*b = (*b)[:0]
		bufPool.Put(b)
	}
}

var errTooLarge = errors.New("body too large")

// maxSizeHint bounds what an announced length reserves before its bytes come.
const maxSizeHint = 64 << 10

// minGrowth is the least a body buffer starts with, so a body without a
// length does not grow a few bytes at a time.
const minGrowth = 512

// readBody appends all of body to buf, failing once it passes limit bytes.
// size is the length the body announced (its Content-Length), or -1. It
// only sizes the buffer (see reserve and grow): the limit is enforced on
// what is read.
func readBody(buf []byte, body io.Reader, limit, size int64) ([]byte, error) {
	buf = reserve(buf, size, limit)
	for {
		if len(buf) == cap(buf) {
			buf = grow(buf, 1, size, limit)
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

// reserve gives buf room for a body that announced size bytes (-1:
// unknown) within limit, plus the byte for the read that finds the end, up
// to maxSizeHint: a client announcing a large body and sending nothing
// must not make the gateway hold it.
func reserve(buf []byte, size, limit int64) []byte {
	if size > 0 && size <= limit {
		if n := min(size, maxSizeHint) + 1; int64(cap(buf)-len(buf)) < n {
			return realloc(buf, int64(len(buf))+n)
		}
	}
	return buf
}

// grow returns buf with room for n more bytes, for a body that announced
// size bytes (-1: unknown) and may not pass limit. A body's bytes are not
// sure to come until they do, so it doubles, and stops at the announced
// size (one byte more, for the read that finds the end) once doubling
// reaches it, that is once about half of it has arrived: a 256 KB body
// takes three allocations rather than append's dozen 1.25x steps, and a
// full buffer never grows past about twice what it holds. It stops at
// limit+1, the byte that shows a body is too large, unless n needs more.
func grow(buf []byte, n int, size, limit int64) []byte {
	have, need := int64(len(buf)), int64(len(buf))+int64(n)
	if n <= 0 || need <= int64(cap(buf)) {
		return buf
	}
	c := max(2*int64(cap(buf)), minGrowth)
	if size > have && size <= limit && c >= size {
		c = size + 1
	}
	if limit < math.MaxInt64 {
		c = min(c, limit+1)
	}
	return realloc(buf, max(c, need))
}

// realloc copies buf into a new buffer of capacity c: make and copy, as
// append would grow past c in 1.25x steps.
func realloc(buf []byte, c int64) []byte {
	b := make([]byte, len(buf), c)
	copy(b, buf)
	return b
}

// growWriter appends what is written to a pooled buffer, growing it as
// readBody does.
type growWriter struct {
	buf         *[]byte
	size, limit int64
}

func (g *growWriter) Write(p []byte) (int, error) {
	*g.buf = append(grow(*g.buf, len(p), g.size, g.limit), p...)
	return len(p), nil
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
	b := new(pooledBody)
	b.init(buf)
	return b
}

// init makes a zero pooledBody read buf.
func (b *pooledBody) init(buf *[]byte) {
	b.buf = buf
	b.r.Reset(*buf)
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
