// Package metrics exposes Warden's counters in the Prometheus text format
// at /metrics. They are derived from the audit stream (every plane's
// decisions are events), so they count exactly what the record holds.
package metrics

import (
	"net/http"
	"strings"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/wardenhq/warden"
)

// Metrics is a private registry (no global state) fed by the audit stream.
type Metrics struct {
	reg    *prometheus.Registry
	events *prometheus.CounterVec
	locks  *prometheus.CounterVec
	alerts *prometheus.CounterVec
	dlp    *prometheus.CounterVec
	head   atomic.Int64 // newest audit sequence number seen
}

// New returns an empty registry with Go runtime and process metrics.
func New() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.events = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "warden_events_total",
		Help: "Audit events by plane, action and decision."}, []string{"plane", "action", "decision"})
	m.locks = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "warden_locks_total",
		Help: "Principals locked, by who locked them (an admin, or warden for detection)."}, []string{"by"})
	m.alerts = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "warden_alerts_total",
		Help: "Detection alerts by rule."}, []string{"rule"})
	m.dlp = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "warden_dlp_entities_total",
		Help: "Sensitive values the model plane found, by type and what was done."}, []string{"type", "action"})
	head := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "warden_audit_head_seq", Help: "Sequence number of the newest audit event."},
		func() float64 { return float64(m.head.Load()) })
	m.reg.MustRegister(m.events, m.locks, m.alerts, m.dlp, head,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// plane names the plane an action belongs to.
func plane(action string) string {
	noun, _, _ := strings.Cut(action, ".")
	switch noun {
	case "file", "workspace", "import":
		return "data"
	case "llm":
		return "model"
	case "tool", "approval", "plugin":
		return "tools"
	case "egress":
		return "network"
	case "detect", "alert", "sink":
		return "detection"
	case "agent", "human", "auth":
		return "identity"
	}
	return "other"
}

// Observe counts one committed event (an audit subscriber; cheap).
func (m *Metrics) Observe(ev warden.Event) {
	m.events.WithLabelValues(plane(ev.Action), ev.Action, string(ev.Decision.Effect)).Inc()
	if ev.Seq > m.head.Load() {
		m.head.Store(ev.Seq) // events arrive in chain order, one committer at a time
	}
	switch {
	case strings.HasSuffix(ev.Action, ".lock") && ev.Error == "" && ev.Decision.Effect == warden.Allow:
		by := "admin"
		if ev.Kind == warden.KindSystem {
			by = "warden"
		}
		m.locks.WithLabelValues(by).Inc()
	case ev.Action == "detect.alert":
		rule, _ := ev.Details["rule"].(string)
		m.alerts.WithLabelValues(rule).Inc()
	case ev.Action == "llm.call":
		for _, k := range []string{"redacted", "masked", "allowed", "found", "output_masked"} {
			if counts, ok := ev.Details[k].(map[string]int); ok {
				for t, n := range counts {
					m.dlp.WithLabelValues(t, k).Add(float64(n))
				}
			}
		}
	}
}

// SinkLag registers how far behind a sink is: the audit head minus the
// sink's cursor.
func (m *Metrics) SinkLag(name string, cursor func() int64) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "warden_sink_lag_events",
		Help: "Audit events a sink has not delivered yet.", ConstLabels: prometheus.Labels{"sink": name}},
		func() float64 { return float64(max(0, m.head.Load()-cursor())) }))
}

// Handler serves the registry.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}
