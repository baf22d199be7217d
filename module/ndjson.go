package module

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"

	"github.com/caddy-minimize/caddy-minimize/rules"
)

// isNDJSON reports whether a media type is a stream of JSON documents, one
// per line.
func isNDJSON(mt string) bool {
	switch mt {
	case "application/x-ndjson", "application/ndjson", "application/jsonl", "application/x-jsonlines", "application/jsonlines":
		return true
	}
	return false
}

// errLineTooLong is a stream line over the route's max_body.
var errLineTooLong = errors.New("line too long")

// lineError is the first line of a stream that could not be minimized.
type lineError struct {
	line int
	err  error
}

func (e *lineError) Error() string {
	if errors.Is(e.err, errLineTooLong) {
		return fmt.Sprintf("line %d is longer than this route's max_body", e.line)
	}
	return fmt.Sprintf("line %d: %v", e.line, e.err)
}

// ndjsonBody minimizes a stream line by line as the proxy reads it, so
// memory is bounded by the longest line, not the body. A line that cannot be
// minimized is never sent: the body fails there, the proxy aborts the
// upstream request, and the handler answers with a problem. Lines before it
// may already have been sent, in a request the partner sees fail.
type ndjsonBody struct {
	src    *bufio.Reader
	closer io.Closer
	engine *rules.Engine
	tally  rules.Tally
	// disclosed gathers the categories the lines sent, if not nil.
	disclosed *rules.Disclosed
	limit     int
	report    bool // forward each line as received, only counting

	mu       sync.Mutex
	line     []byte
	out      []byte
	pos      int
	lines    int
	err      error // sticky: io.EOF at the end, a *lineError, or a read error
	in, sent int
}

func newNDJSONBody(src io.Reader, closer io.Closer, e *rules.Engine, tally rules.Tally, limit int, report bool) *ndjsonBody {
	return &ndjsonBody{src: bufio.NewReaderSize(src, 32<<10), closer: closer, engine: e, tally: tally, limit: limit, report: report}
}

func (b *ndjsonBody) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for b.pos == len(b.out) {
		if b.err != nil {
			return 0, b.err
		}
		b.next()
	}
	n := copy(p, b.out[b.pos:])
	b.pos += n
	b.sent += n
	return n, nil
}

// next minimizes the next non-blank line into out.
func (b *ndjsonBody) next() {
	b.out, b.pos = b.out[:0], 0
	line, err := b.readLine()
	b.in += len(line)
	if doc := bytes.TrimSpace(line); len(doc) > 0 {
		b.lines++
		out, rerr := b.engine.RewriteDisclosing(b.out, doc, b.tally, b.disclosed)
		switch {
		case rerr != nil && !b.report:
			b.out, b.err = b.out[:0], &lineError{b.lines, rerr}
			return
		case b.report:
			out = append(b.out, line...)
		}
		b.out = append(out, '\n')
	}
	switch {
	case errors.Is(err, errLineTooLong):
		b.out, b.err = b.out[:0], &lineError{b.lines + 1, err}
	case err != nil:
		b.err = err // io.EOF after the last line
	}
}

// readLine reads one line without its newline, failing once it passes the
// limit. It reuses b.line.
func (b *ndjsonBody) readLine() ([]byte, error) {
	b.line = b.line[:0]
	for {
		chunk, err := b.src.ReadSlice('\n')
		b.line = append(b.line, chunk...)
		if n := len(b.line); n > b.limit && (n > b.limit+1 || b.line[n-1] != '\n') {
			return nil, errLineTooLong // the newline does not count
		}
		switch {
		case err == nil:
			return b.line[:len(b.line)-1], nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		default:
			return b.line, err
		}
	}
}

// failed returns the stream's input error, if it had one.
func (b *ndjsonBody) failed() *lineError {
	b.mu.Lock()
	defer b.mu.Unlock()
	var le *lineError
	errors.As(b.err, &le)
	return le
}

func (b *ndjsonBody) Close() error {
	return b.closer.Close()
}

// writeTracker remembers whether the response was started, so a stream
// that failed before any response can still be answered with a problem.
type writeTracker struct {
	http.ResponseWriter
	wrote bool
}

func (w *writeTracker) WriteHeader(code int) {
	w.wrote = true
	w.ResponseWriter.WriteHeader(code)
}

func (w *writeTracker) Write(p []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(p)
}

func (w *writeTracker) Unwrap() http.ResponseWriter { return w.ResponseWriter }
