package module

import (
	"cmp"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/caddy-minimize/caddy-minimize/rules"
)

// disclosure is the audit record of one request: what went to whom, when,
// why, under which policy and consent. It holds field paths and counts,
// never a value.
type disclosure struct {
	requestID string
	partner   string
	purpose   string
	report    bool // report mode: the original was forwarded

	consent disclosureConsent
	policy  string // hash of the policy that decided

	// When a consent widened the request: the variant without it and the
	// token's subject, for a response, which the consent widens only if it
	// too is about that subject. The subject is never part of the record.
	narrow  *compiled
	subject string

	fields    [nChannels]fieldCounts
	disclosed categoriesRecord // the categories the request sent
	response  *responseRecord  // when the route rewrites responses
	bytesIn   int
	bytesOut  int

	outcome string // forwarded, rejected, passed
	problem string // the problem's slug, when rejected (or would be, in report mode)
	status  int    // the problem's status, when rejected
	start   time.Time
	elapsed time.Duration // the gateway's own time (see handedOn)

	h        *Handler    // whose audit logger and metrics take the record
	finished atomic.Bool // the record is written, or being written

	// Room for log's field and the entries of the fields list, so they
	// are not allocated apart: the encoder is done with both on return.
	logField [1]zap.Field
	entry    ruleEntry
	// Room for the channels' tallies (see count).
	tallies    [96]uint32
	talliesUse int
	// The minimized body and its Content-Length value, here rather than
	// allocated apart: the record outlives the request as long as the
	// proxy holds the body, and is never reused.
	body          sentBody
	contentLength [1]string
}

// handedOn ends the gateway's own time: the request goes to the proxy
// now, and the partner's time is not the gateway's.
func (d *disclosure) handedOn() {
	d.elapsed = time.Since(d.start)
}

// finish writes the record and counts it, once: when the proxy has read
// the minimized body (sentBody), or when the handler returns, whichever
// comes first; the two may run on different goroutines.
func (d *disclosure) finish() {
	if d.finished.Swap(true) {
		return
	}
	if d.elapsed == 0 {
		d.handedOn()
	}
	d.log(d.h.audit)
	d.record(d.h.stats)
}

// sentBody is the minimized body as the proxy reads it. The proxy sends
// what it reads as it reads it (unless it buffers the body first), so
// once it has read the last byte the disclosure is under way, and the
// record is written there, while the partner answers, rather than after
// its answer: a gateway stopped during a slow answer has recorded the
// disclosure already, and the client does not wait for the record. Close
// does the same for a proxy that stops short of the end.
type sentBody struct {
	pooledBody
	record *disclosure // nil when the record must wait (a rewritten response goes in it)
}

func (b *sentBody) Read(p []byte) (int, error) {
	n, err := b.pooledBody.Read(p)
	if err == io.EOF {
		b.sent()
	}
	return n, err
}

func (b *sentBody) Close() error {
	err := b.pooledBody.Close()
	b.sent()
	return err
}

// sent finishes the record on the proxy's goroutine, where a panic would
// stop the whole process rather than fail one request.
func (b *sentBody) sent() {
	d := b.record
	if d == nil {
		return
	}
	defer func() {
		if v := recover(); v != nil {
			d.h.logger.Error("writing the disclosure record failed", zap.String("partner", d.partner), zap.String("panic", fmt.Sprint(v)))
		}
	}()
	d.finish()
}

// count starts counting channel ch with engine e. The tally is carved from
// the record's own room when it fits, so a request does not allocate one
// per channel; the record is never reused, so neither is the room.
func (d *disclosure) count(ch channel, e *channelEngine) rules.Tally {
	var t rules.Tally
	if n := len(e.rules); d.talliesUse+n <= len(d.tallies) {
		t = d.tallies[d.talliesUse : d.talliesUse+n : d.talliesUse+n]
		d.talliesUse += n
	} else {
		t = e.engine.NewTally()
	}
	d.fields[ch] = fieldCounts{e, t}
	d.disclosed.tax = e.engine.Taxonomy()
	return t
}

// categoriesRecord is the record's categories: what kinds of personal
// data went out, in the clear or transformed, by name.
type categoriesRecord struct {
	rules.Disclosed
	tax *rules.Taxonomy
	// names is handed to the encoder by pointer, once per set in turn: a
	// categoryNames value would be allocated to become an interface.
	names categoryNames
}

func (c *categoriesRecord) MarshalLogObject(enc zapcore.ObjectEncoder) error {
	for _, s := range [...]struct {
		key  string
		cats rules.CategorySet
	}{{"clear", c.Clear}, {"transformed", c.Transformed}} {
		if s.cats == 0 {
			continue
		}
		c.names = categoryNames{s.cats, c.tax}
		if err := enc.AddArray(s.key, &c.names); err != nil {
			return err
		}
	}
	return nil
}

// categoryNames writes a set of categories by name.
type categoryNames struct {
	cats rules.CategorySet
	tax  *rules.Taxonomy
}

func (n categoryNames) MarshalLogArray(a zapcore.ArrayEncoder) error {
	for c := range n.cats.All() {
		a.AppendString(n.tax.Name(c))
	}
	return nil
}

type disclosureConsent struct {
	outcome consentOutcome
	jti     string
	granted []string
}

func (c *disclosureConsent) MarshalLogObject(enc zapcore.ObjectEncoder) error {
	enc.AddString("outcome", string(c.outcome))
	if c.jti != "" {
		enc.AddString("jti", c.jti)
	}
	if c.granted != nil {
		return enc.AddArray("granted", (*grantedPaths)(&c.granted))
	}
	return nil
}

// grantedPaths are the consent rules a token released.
type grantedPaths []string

func (g *grantedPaths) MarshalLogArray(a zapcore.ArrayEncoder) error {
	for _, p := range *g {
		a.AppendString(p)
	}
	return nil
}

// fieldCounts pairs a tally with the rules it counts.
type fieldCounts struct {
	*channelEngine
	tally rules.Tally
}

// allFields is every channel's counts of a disclosure, logged as one list.
type allFields disclosure

// MarshalLogArray writes one entry per rule that decided something: the
// action, the rule's normalized path ("(default)" for body fields no rule
// names, "query.(default)" and so on for the other channels), the count.
func (d *allFields) MarshalLogArray(a zapcore.ArrayEncoder) error {
	for ch := range d.fields {
		if err := d.fields[ch].marshal(a, channel(ch), &d.entry); err != nil {
			return err
		}
	}
	return nil
}

// defaultPaths are the default rule's paths as the record names them, by
// channel: built once rather than per request.
var defaultPaths = func() (p [nChannels]string) {
	for ch := range p {
		p[ch] = channelPrefix[ch] + "(default)"
	}
	return p
}()

// marshal appends f's entries to a, using e for each in turn.
func (f *fieldCounts) marshal(a zapcore.ArrayEncoder, ch channel, e *ruleEntry) error {
	for i, n := range f.tally {
		if n == 0 {
			continue
		}
		r, path := &f.rules[i], f.paths[i]
		if i == 0 {
			if path == "(default)" {
				path = defaultPaths[ch]
			} else {
				path = channelPrefix[ch] + path
			}
		}
		*e = ruleEntry{action: r.Action.String(), path: path, count: n, floor: r.Floor}
		if err := a.AppendObject(e); err != nil {
			return err
		}
	}
	return nil
}

// ruleEntry is one entry of the fields list.
type ruleEntry struct {
	action, path string
	count        uint32
	floor        bool
}

func (e *ruleEntry) MarshalLogObject(o zapcore.ObjectEncoder) error {
	o.AddString("action", e.action)
	o.AddString("path", e.path)
	o.AddUint32("count", e.count)
	if e.floor {
		o.AddBool("floor", true)
	}
	return nil
}

// counted reports whether any channel was minimized (or would have been).
func (d *disclosure) counted() bool {
	for _, f := range d.fields {
		if f.tally != nil {
			return true
		}
	}
	return false
}

// log writes the record to the audit logger. Report mode says so in the
// message itself, so it cannot be mistaken for an enforced disclosure.
func (d *disclosure) log(l *zap.Logger) {
	msg := "disclosure"
	if d.report {
		msg = "report only: not enforced, the original was forwarded"
	}
	if ce := l.Check(zapcore.InfoLevel, msg); ce != nil {
		// One inline field that writes the others straight to the encoder:
		// no zap.Field is built per value, and d (on the heap already)
		// holds the one there is, so nothing here allocates per request.
		d.logField[0] = zap.Inline((*recordFields)(d))
		ce.Write(d.logField[:]...)
	}
}

// recordFields writes a disclosure's fields, in the record's order.
type recordFields disclosure

func (r *recordFields) MarshalLogObject(enc zapcore.ObjectEncoder) error {
	d := (*disclosure)(r)
	mode := "enforce"
	if d.report {
		mode = "report"
	}
	// A part that fails to encode must not cost the record the parts
	// after it (the outcome above all): write on, report the first error.
	var err error
	enc.AddString("mode", mode)
	enc.AddString("request_id", d.requestID)
	enc.AddString("partner", d.partner)
	enc.AddString("purpose", d.purpose)
	err = cmp.Or(err, enc.AddObject("consent", &d.consent))
	enc.AddString("policy", d.policy)
	enc.AddString("outcome", d.outcome)
	enc.AddInt("bytes_in", d.bytesIn)
	enc.AddInt("bytes_out", d.bytesOut)
	enc.AddDuration("duration", d.elapsed)
	if d.problem != "" {
		enc.AddString("problem", d.problem)
	}
	if d.status != 0 {
		enc.AddInt("status", d.status)
	}
	if d.response != nil {
		err = cmp.Or(err, enc.AddObject("response", d.response))
	}
	if d.disclosed.Clear|d.disclosed.Transformed != 0 {
		err = cmp.Or(err, enc.AddObject("categories", &d.disclosed))
	}
	if d.counted() {
		err = cmp.Or(err, enc.AddArray("fields", (*allFields)(d)))
	}
	return err
}
