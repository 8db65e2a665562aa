package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/idbridge/idbridge/config"
	"github.com/idbridge/idbridge/events"
	"github.com/idbridge/idbridge/mail"
	"github.com/idbridge/idbridge/provider"
	"github.com/idbridge/idbridge/scim"
	"github.com/idbridge/idbridge/store"
	"github.com/idbridge/idbridge/web"
)

// Server is one idbridge replica.
type Server struct {
	cfg     config.Config
	store   *store.Store
	log     *slog.Logger
	sender  mail.Sender
	metrics *metrics
	router  chi.Router
	web     *web.Web
	// scimLog is the SCIM request log's writer, run by Run.
	scimLog *scim.RequestLog
}

// New builds a server over an open store. sender delivers the outbox; nil
// picks SMTP when configured, else files under the data dir.
func New(cfg config.Config, st *store.Store, log *slog.Logger, sender mail.Sender) *Server {
	if sender == nil {
		sender = SenderFor(cfg, log)
	}
	s := &Server{cfg: cfg, store: st, log: log, sender: sender, metrics: newMetrics()}
	s.scimLog = scim.NewRequestLog(st, scim.RequestLogOptions{Dropped: s.metrics.scimLogDropped.Inc, Log: log})
	s.router = s.routes()
	return s
}

// SenderFor returns the mail sender the configuration asks for.
func SenderFor(cfg config.Config, log *slog.Logger) mail.Sender {
	if cfg.SMTP.Host == "" {
		return mail.NewLogSender(cfg.DataDir, cfg.SMTP.From, log)
	}
	return mail.NewSMTPSender(cfg.SMTP)
}

// Handler is the HTTP handler of every route.
func (s *Server) Handler() http.Handler { return s.router }

func (s *Server) routes() chi.Router {
	r := chi.NewRouter()
	r.Use(s.requestID, s.recoverer, s.observe)
	r.Get("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	r.Get("/readyz", s.ready)
	r.Handle("/metrics", promhttp.HandlerFor(s.metrics.registry, promhttp.HandlerOpts{}))
	limit := newInFlight(scimMaxInFlight(s.cfg, s.store.Backend()), s.cfg.SCIMMaxInFlightPerToken, s.cfg.SCIMQueueWait)
	r.Mount("/scim/v2", limit.middleware(scim.NewHandler(s.store, scim.Options{BaseURL: s.cfg.BaseURL, Log: s.log, RequestID: RequestID,
		RequestLog: s.scimLog})))
	s.web = web.FromConfig(s.store, s.cfg, s.log)
	s.web.Mount(r)
	(&events.Feed{Store: s.store, Log: s.log}).Mount(r)
	if p, err := provider.FromConfig(s.store, s.cfg, s.web, s.log); err != nil {
		s.log.Error("oauth.provider_disabled", "err", err)
	} else {
		p.Mount(r)
	}
	return r
}

func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if err := s.store.Ready(ctx); err != nil {
		s.log.Warn("readyz.not_ready", "err", err, "request_id", requestIDFrom(r.Context()))
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("not ready: database unreachable or not migrated\n"))
		return
	}
	_, _ = w.Write([]byte("ready\n"))
}

// Run serves on cfg.Addr (or ln when given) and delivers the outbox until ctx
// ends, then shuts down gracefully within cfg.ShutdownTimeout, a hard limit:
// requests still running then have their contexts cancelled (their database
// work is abandoned and their connections go back to the pool), their
// connections are closed, and the outbox releases what it had not sent.
func (s *Server) Run(ctx context.Context, ln net.Listener) error {
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", s.cfg.Addr); err != nil {
			return fmt.Errorf("listen %s: %w", s.cfg.Addr, err)
		}
	}
	srv := &http.Server{
		Handler:           s.router,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	// Every request's context; cancelled when the shutdown timeout passes.
	reqs, cancelReqs := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelReqs()
	srv.BaseContext = func(net.Listener) context.Context { return reqs }
	bg, stopBG := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		ob := &mail.Outbox{Store: s.store, Sender: s.sender, Log: s.log, Interval: s.cfg.OutboxInterval,
			Sent: s.metrics.outboxSent.Inc, Failed: s.metrics.outboxFailed.Inc}
		ob.Run(bg)
	}()
	wg.Add(1)
	go func() {
		defer wg.Done()
		d := &events.Deliverer{Store: s.store, Log: s.log, AllowPrivate: s.cfg.AllowPrivateMetadata, Interval: s.cfg.OutboxInterval}
		d.Run(bg)
	}()
	wg.Add(1)
	go func() {
		defer wg.Done()
		s.maintain(bg)
	}()
	wg.Add(1)
	go func() {
		defer wg.Done()
		s.runBulkJobs(bg)
	}()
	// The SCIM request log drains after the server stopped serving (bg ends
	// after srv.Shutdown), so a graceful stop loses no record.
	wg.Add(1)
	go func() {
		defer wg.Done()
		s.scimLog.Run(bg)
	}()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	s.log.Info("server.start", "addr", ln.Addr().String(), "base_url", s.cfg.BaseURL)

	var err error
	select {
	case err = <-errc:
	case <-ctx.Done():
		s.log.Info("server.stopping")
		sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
		err = srv.Shutdown(sctx)
		cancel()
		if errors.Is(err, context.DeadlineExceeded) {
			s.log.Warn("server.shutdown_timeout", "timeout", s.cfg.ShutdownTimeout.String())
			cancelReqs()
			err = srv.Close()
		}
	}
	stopBG()
	wg.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	s.log.Info("server.stopped")
	return err
}

type metrics struct {
	registry     *prometheus.Registry
	requests     *prometheus.CounterVec
	duration     *prometheus.HistogramVec
	outboxSent   prometheus.Counter
	outboxFailed prometheus.Counter
	// scimLogDropped counts SCIM request log records dropped because the
	// log's buffer was full (the writer fell behind).
	scimLogDropped prometheus.Counter
}

func newMetrics() *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "idbridge_http_requests_total", Help: "HTTP requests by route pattern, method and status code.",
		}, []string{"route", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "idbridge_http_request_duration_seconds", Help: "HTTP request latency by route pattern.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"route"}),
		outboxSent:   prometheus.NewCounter(prometheus.CounterOpts{Name: "idbridge_outbox_sent_total", Help: "Notifications delivered."}),
		outboxFailed: prometheus.NewCounter(prometheus.CounterOpts{Name: "idbridge_outbox_failed_total", Help: "Failed delivery attempts."}),
		scimLogDropped: prometheus.NewCounter(prometheus.CounterOpts{Name: "idbridge_scim_log_dropped_total",
			Help: "SCIM request log records dropped because the log's buffer was full."}),
	}
	m.registry.MustRegister(m.requests, m.duration, m.outboxSent, m.outboxFailed, m.scimLogDropped,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}
