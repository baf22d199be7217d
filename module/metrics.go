package module

import (
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/caddy-minimize/caddy-minimize/rules"
)

// The collectors are process-wide, registered into each config's registry,
// so counts survive config reloads.
var metrics = struct {
	once     sync.Once
	requests *prometheus.CounterVec
	fields   *prometheus.CounterVec
	consent  *prometheus.CounterVec
	duration *prometheus.HistogramVec
}{}

func registerMetrics(reg *prometheus.Registry) error {
	const ns, sub = "caddy", "minimize"
	metrics.once.Do(func() {
		metrics.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "requests_total",
			Help: "Requests seen by minimize, by partner, purpose and outcome (forwarded, rejected, passed, reported).",
		}, []string{"partner", "purpose", "outcome"})
		metrics.fields = prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "fields_total",
			Help: "Values decided, by partner and action.",
		}, []string{"partner", "action"})
		metrics.consent = prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "consent_total",
			Help: "Consent headers by partner and outcome (none, valid, expired, bad_signature, ...).",
		}, []string{"partner", "outcome"})
		metrics.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: ns, Subsystem: sub, Name: "rewrite_duration_seconds",
			Help:    "Time to validate and rewrite one body.",
			Buckets: prometheus.ExponentialBuckets(0.00001, 4, 10), // 10µs to 2.6s
		}, []string{"partner"})
	})
	if reg == nil {
		return nil
	}
	for _, c := range []prometheus.Collector{metrics.requests, metrics.fields, metrics.consent, metrics.duration} {
		if err := reg.Register(c); err != nil {
			var already prometheus.AlreadyRegisteredError
			if !errors.As(err, &already) {
				return err
			}
		}
	}
	return nil
}

// handlerMetrics is one handler's view of the collectors: the children it
// has used, resolved once rather than looked up by label values on every
// request. A child is resolved on first use, never before, so the
// exposition shows the same series as before (none with a zero count that
// nothing has counted yet). Its label sets are bounded: the policy's
// purposes, the outcomes, the consent outcomes and the actions.
type handlerMetrics struct {
	partner  string
	duration atomic.Pointer[prometheus.Observer]
	fields   [nActions]atomic.Pointer[prometheus.Counter] // by action
	requests sync.Map                                     // [2]string{purpose, outcome} → prometheus.Counter
	consent  sync.Map                                     // consentOutcome → prometheus.Counter
}

// nActions bounds the actions counted without a label lookup; an action
// beyond it (none today) is looked up per request.
const nActions = 16

func newHandlerMetrics(partner string) *handlerMetrics {
	return &handlerMetrics{partner: partner}
}

// observeRewrite records the time one body took to rewrite.
func (m *handlerMetrics) observeRewrite(d time.Duration) {
	o := m.duration.Load()
	if o == nil {
		obs := metrics.duration.WithLabelValues(m.partner)
		o = &obs
		m.duration.Store(o)
	}
	(*o).Observe(d.Seconds())
}

func (m *handlerMetrics) fieldCounter(a rules.Action) prometheus.Counter {
	if int(a) >= nActions {
		return metrics.fields.WithLabelValues(m.partner, a.String())
	}
	c := m.fields[a].Load()
	if c == nil {
		ctr := metrics.fields.WithLabelValues(m.partner, a.String())
		c = &ctr
		m.fields[a].Store(c)
	}
	return *c
}

func (m *handlerMetrics) requestCounter(purpose, outcome string) prometheus.Counter {
	k := [2]string{purpose, outcome}
	if c, ok := m.requests.Load(k); ok {
		return c.(prometheus.Counter)
	}
	c := metrics.requests.WithLabelValues(m.partner, purpose, outcome)
	m.requests.Store(k, c)
	return c
}

func (m *handlerMetrics) consentCounter(o consentOutcome) prometheus.Counter {
	if c, ok := m.consent.Load(o); ok {
		return c.(prometheus.Counter)
	}
	c := metrics.consent.WithLabelValues(m.partner, string(o))
	m.consent.Store(o, c)
	return c
}

// record counts one request's disclosure into m.
func (d *disclosure) record(m *handlerMetrics) {
	outcome := d.outcome
	if d.report {
		outcome = "reported"
	}
	m.requestCounter(d.purpose, outcome).Inc()
	m.consentCounter(d.consent.outcome).Inc()
	// One Add per action rather than per rule: the same totals, in fewer
	// atomic float additions.
	var byAction [nActions]uint64
	for _, f := range d.fields {
		for i, n := range f.tally {
			if n == 0 {
				continue
			}
			if a := f.rules[i].Action; int(a) < nActions {
				byAction[a] += uint64(n)
			} else {
				m.fieldCounter(a).Add(float64(n))
			}
		}
	}
	for a, n := range byAction {
		if n > 0 {
			m.fieldCounter(rules.Action(a)).Add(float64(n))
		}
	}
}
