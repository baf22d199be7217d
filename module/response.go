package module

import (
	"bytes"
	"cmp"
	"fmt"
	"mime"
	"net/http"
	"strconv"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// Response modes: what the handler does to the upstream's response.
const (
	// responseMinimize applies the policy to responses, for routes through
	// which a partner calls an internal API.
	responseMinimize = "minimize"
	// responseDetokenize turns the partner's echoed tokens back into the
	// original values for the internal caller.
	responseDetokenize = "detokenize"
)

// responseBuffer holds the upstream's response, up to a limit, so it can be
// rewritten before any byte reaches the client.
type responseBuffer struct {
	header http.Header
	status int
	body   []byte
	limit  int
	over   bool
}

func newResponseBuffer(limit int) *responseBuffer {
	return &responseBuffer{header: http.Header{}, limit: limit}
}

func (b *responseBuffer) Header() http.Header { return b.header }

func (b *responseBuffer) WriteHeader(code int) {
	if b.status == 0 && code >= 200 {
		b.status = code
	}
}

func (b *responseBuffer) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	// Past the limit the rest is read and discarded: an error here would
	// make the proxy abort the client's connection instead of letting the
	// handler answer with a problem.
	if b.over || len(b.body)+len(p) > b.limit {
		b.over = true
		return len(p), nil
	}
	b.body = append(b.body, p...)
	return len(p), nil
}

// responseRecord is what the disclosure record says about a response.
type responseRecord struct {
	mode      string
	consent   consentOutcome // when a consent widened the request: valid (it widened this response too) or wrong_subject
	fields    fieldCounts
	restored  int
	failed    int
	entry     ruleEntry // scratch for marshaling the fields
	disclosed categoriesRecord
}

func (r *responseRecord) MarshalLogObject(enc zapcore.ObjectEncoder) error {
	enc.AddString("mode", r.mode)
	if r.mode == responseDetokenize {
		enc.AddInt("tokens_restored", r.restored)
		enc.AddInt("tokens_failed", r.failed)
		return nil
	}
	if r.consent != "" {
		enc.AddString("consent", string(r.consent))
	}
	if r.disclosed.Clear|r.disclosed.Transformed != 0 {
		if err := enc.AddObject("categories", &r.disclosed); err != nil {
			return err
		}
	}
	if r.fields.tally != nil {
		return enc.AddArray("fields", (*responseFields)(r))
	}
	return nil
}

// responseFields is the response's fields list.
type responseFields responseRecord

func (r *responseFields) MarshalLogArray(a zapcore.ArrayEncoder) error {
	return r.fields.marshal(a, chBody, &r.entry)
}

// writeResponse rewrites the buffered response and sends it. A response
// that cannot be rewritten is replaced by a 502 problem, never sent raw.
func (h *Handler) writeResponse(w http.ResponseWriter, rb *responseBuffer, c *compiled, d *disclosure) error {
	rec := &responseRecord{mode: h.Response}
	d.response = rec
	fail := func(detail string) error {
		d.problem, d.status = problemBadResponse.slug, problemBadResponse.status
		return h.reject(w, problemBadResponse, detail)
	}
	if rb.over {
		return fail(fmt.Sprintf("the upstream's response is larger than this route's limit of %d bytes", rb.limit))
	}
	status := cmp.Or(rb.status, http.StatusOK)
	body := rb.body
	if len(body) > 0 {
		if coding, err := contentCoding(rb.header); err != nil {
			return fail("the upstream's response has an unsupported content coding")
		} else if coding != "" {
			dec, err := decodedBody(bytes.NewReader(body), coding, int64(rb.limit), int64(rb.limit))
			if err == nil {
				body, err = readBody(nil, dec, int64(rb.limit), -1)
				dec.Close()
			}
			if err != nil {
				return fail("the upstream's " + coding + " response could not be decoded")
			}
		}
		mt, _, err := mime.ParseMediaType(rb.header.Get("Content-Type"))
		switch {
		case err == nil && isJSON(mt):
			if d.narrow != nil {
				// The request was about the token's subject; this response
				// may not be.
				if rec.consent = consentValid; !h.about(body, d.subject) {
					rec.consent, c = consentWrongSubject, d.narrow
				}
			}
			out, err := h.rewriteResponse(body, c, rec)
			if err != nil {
				return fail("the upstream's response could not be minimized: " + err.Error())
			}
			body = out
		case h.Response == responseDetokenize:
		case err == nil && h.passes(mt) && !jsonStart(body):
		default:
			return fail("the upstream's response is not JSON, and this route lets no other type through")
		}
	}
	hdr := w.Header()
	for k, vs := range rb.header {
		hdr[k] = vs
	}
	for _, k := range []string{"Content-Encoding", "Content-Md5", "Digest", "Content-Digest", "Repr-Digest", "Etag"} {
		hdr.Del(k)
	}
	hdr.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, err := w.Write(body)
	return err
}

func (h *Handler) rewriteResponse(body []byte, c *compiled, rec *responseRecord) ([]byte, error) {
	be := &c.ch[chBody]
	if h.Response == responseDetokenize {
		out, restored, failed, err := be.engine.Detokenize(nil, body)
		rec.restored, rec.failed = restored, failed
		if failed > 0 {
			h.logger.Warn("tokens in a response did not decode; left as they are", zap.String("partner", h.Partner), zap.Int("count", failed))
		}
		return out, err
	}
	rec.fields = fieldCounts{be, be.engine.NewTally()}
	out, err := be.engine.RewriteDisclosing(nil, body, rec.fields.tally, &rec.disclosed.Disclosed)
	rec.disclosed.tax = be.engine.Taxonomy()
	if err != nil {
		rec.fields.tally = nil
	}
	return out, err
}
