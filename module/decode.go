package module

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zlib"
	"github.com/klauspost/compress/zstd"
)

// errEncoding is a body whose content coding cannot be undone.
var errEncoding = errors.New("bad content coding")

// contentCoding returns the request's single content coding ("" for none).
// Stacked or unknown codings are refused: each layer would be another
// place for a bomb or a parser differential to hide.
func contentCoding(h http.Header) (string, error) {
	var coding string
	for _, v := range h.Values("Content-Encoding") {
		for _, c := range strings.Split(v, ",") {
			c = strings.ToLower(strings.TrimSpace(c))
			switch c {
			case "", "identity":
				continue
			case "gzip", "x-gzip", "deflate", "zstd", "br":
			default:
				return "", fmt.Errorf("content coding %q is not supported (gzip, deflate, zstd, br)", c)
			}
			if coding != "" {
				return "", errors.New("stacked content codings are not supported; apply one")
			}
			coding = c
		}
	}
	return coding, nil
}

// decodedBody wraps body in the decoder for coding. The compressed input is
// limited to limit bytes (more reads fail with errTooLarge); the caller
// limits the decoded output. zstd's window is held to maxBody (at least
// 1 MiB, at most the 8 MiB RFC 8878 asks decoders to support), so a 9-byte
// frame cannot make it allocate a large window.
func decodedBody(body io.Reader, coding string, limit, maxBody int64) (io.ReadCloser, error) {
	in := &limitedReader{r: body, n: limit}
	var (
		rc  io.ReadCloser
		err error
	)
	switch coding {
	case "gzip", "x-gzip":
		rc, err = gzip.NewReader(in)
	case "deflate":
		rc, err = zlib.NewReader(in) // HTTP's "deflate" is the zlib format
	case "zstd":
		window := uint64(min(max(maxBody, 1<<20), 8<<20))
		var d *zstd.Decoder
		d, err = zstd.NewReader(in, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true),
			zstd.WithDecoderMaxWindow(window), zstd.WithDecoderMaxMemory(window))
		if err == nil {
			rc = d.IOReadCloser()
		}
	case "br":
		rc = io.NopCloser(brotli.NewReader(in))
	default:
		return nil, fmt.Errorf("no decoder for %q", coding)
	}
	if err != nil {
		if errors.Is(err, errTooLarge) {
			return nil, err
		}
		return nil, errEncoding
	}
	return &decodeErrors{rc}, nil
}

// limitedReader fails with errTooLarge, rather than stopping quietly, once
// more than n bytes are read.
type limitedReader struct {
	r io.Reader
	n int64
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.n < 0 {
		return 0, errTooLarge
	}
	if rem := l.n + 1; rem > 0 && int64(len(p)) > rem { // rem overflows for "no limit"
		p = p[:rem]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	if l.n < 0 {
		return n, errTooLarge
	}
	return n, err
}

// decodeErrors reports every decoder failure, except a limit, as
// errEncoding: the caller answers both with a clear problem, never with the
// decoder's message.
type decodeErrors struct{ io.ReadCloser }

func (d *decodeErrors) Read(p []byte) (int, error) {
	n, err := d.ReadCloser.Read(p)
	switch {
	case err == nil, err == io.EOF, errors.Is(err, errTooLarge):
	default:
		err = errEncoding
	}
	return n, err
}
