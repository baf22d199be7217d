package module

import (
	"errors"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
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

// record counts one request's disclosure.
func (d *disclosure) record() {
	outcome := d.outcome
	if d.report {
		outcome = "reported"
	}
	metrics.requests.WithLabelValues(d.partner, d.purpose, outcome).Inc()
	metrics.consent.WithLabelValues(d.partner, string(d.consent.outcome)).Inc()
	for _, f := range d.fields {
		for i, n := range f.tally {
			if n > 0 {
				metrics.fields.WithLabelValues(d.partner, f.rules[i].Action.String()).Add(float64(n))
			}
		}
	}
}
