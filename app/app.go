// Package app builds Warden's object graph from configuration: it opens the
// data folder, finds the master key, opens the store, keyring, blob store and
// audit log, makes the services and the HTTP server, and serves. cmd/warden
// and the tests both start Warden through it, so what is tested is what ships.
package app

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/api"
	"github.com/wardenhq/warden/audit"
	"github.com/wardenhq/warden/blob"
	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/detect"
	"github.com/wardenhq/warden/dlp"
	"github.com/wardenhq/warden/egress"
	"github.com/wardenhq/warden/identity"
	"github.com/wardenhq/warden/keyring"
	"github.com/wardenhq/warden/metrics"
	"github.com/wardenhq/warden/policy"
	"github.com/wardenhq/warden/share"
	"github.com/wardenhq/warden/sink"
	"github.com/wardenhq/warden/toolcall"
	"github.com/wardenhq/warden/urlimport"
	"github.com/wardenhq/warden/web"
	"github.com/wardenhq/warden/workspace"
)

// Options configure Open.
type Options struct {
	Config *config.Config
	Getenv func(string) string // os.Getenv if nil
	Logger *slog.Logger
	// Dev is `serve --dev`: share codes also go to the server log.
	Dev bool
}

// App is a running Warden: everything but the listener.
type App struct {
	cfg   *config.Config
	log   *slog.Logger
	lock  *dirLock
	store warden.Store
	keys  *keyring.Keyring
	audit *audit.Log
	ids   *identity.Service
	api   *api.Server
	// policy decides tool calls (the tool plane's decision point and
	// approvals build on it).
	policy *policy.Engine
	// notifier posts new approvals to approvals.notify_url; nil if unset.
	notifier *toolcall.Notifier
	// egress is the forward proxy; nil if egress.listen is off.
	egress *egress.Proxy
	// imports fetches URLs into workspaces through the egress guard.
	imports *urlimport.Service
	// detector runs the detection rules over the audit stream.
	detector *detect.Detector
	// sinks stream the audit chain to SIEMs.
	sinks []*sink.Runner

	// BootstrapToken is the first admin's token, set only on the start that
	// initialised the data folder. Show it once.
	BootstrapToken string
	// KeySource says where the master key came from.
	KeySource string
}

// Open opens (initialising on first use) the data folder in opts.Config.
func Open(ctx context.Context, opts Options) (a *App, err error) {
	cfg := opts.Config
	if opts.Getenv == nil {
		opts.Getenv = os.Getenv
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	// The named result is nil on every error return, so clean up through a
	// second reference.
	a = &App{cfg: cfg, log: opts.Logger}
	opened := a
	defer func() {
		if err != nil {
			opened.close(context.Background())
		}
	}()
	// A broken tool policy stops the start before anything is touched: it
	// must never run as a policy that quietly denies or allows everything.
	if a.policy, err = policy.Compile(cfg, nil); err != nil {
		return nil, err
	}
	egressPol, guard, err := egressPolicy(cfg)
	if err != nil {
		return nil, err
	}
	roots, err := importRoots(cfg)
	if err != nil {
		return nil, err
	}
	rules, err := detect.Compile(cfg.Detect)
	if err != nil {
		return nil, err
	}
	sinkNames, sinkDests, sinkFilters, sinkAttempts, err := destinations(cfg, opts.Getenv)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil && len(opened.sinks) == 0 {
			for _, d := range sinkDests {
				d.Close()
			}
		}
	}()
	dir := cfg.Data
	if err := ensureDataDir(dir); err != nil {
		return nil, err
	}
	if a.lock, err = lockDir(dir); err != nil {
		return nil, err
	}
	fresh := !initialised(dir)
	master, source, err := masterKey(dir, opts.Getenv, fresh)
	if err != nil {
		return nil, err
	}
	a.KeySource = source
	if source == KeyFromGenerated {
		a.log.Warn("generated a master key and stored it next to the data; anyone who copies the data dir can read it. "+
			"Move it into a secrets manager and pass it as WARDEN_MASTER_KEY", "file", filepath.Join(dir, masterKeyFile))
	}
	if a.store, err = openStore(dir); err != nil {
		return nil, err
	}
	if master, err = finishRotation(ctx, dir, a.store, master, source); err != nil {
		return nil, err
	}
	if a.keys, err = keyring.Open(ctx, a.store, master); err != nil {
		return nil, err
	}
	if err := writePublicKey(dir, a.keys); err != nil {
		return nil, err
	}
	blobs, err := blob.Open(filepath.Join(dir, blobDir))
	if err != nil {
		return nil, err
	}
	if n, err := blobs.CleanTemp(); err != nil {
		return nil, err
	} else if n > 0 {
		a.log.Info("removed uploads that a previous run did not finish", "count", n)
	}
	a.audit = audit.New(a.store, a.keys, audit.Options{
		CheckpointEvery: cfg.Audit.CheckpointEvery, CheckpointInterval: cfg.Audit.CheckpointInterval.D(), Logger: a.log,
	})
	a.ids = identity.New(a.store, a.keys, a.audit, identity.Options{
		ProfileExists: cfg.HasProfile, AuthFailuresPerMinute: cfg.Limits.AuthFailuresPerMinute, AuthFailureBurst: cfg.Limits.AuthFailureBurst,
		Logger: a.log,
	})
	ws := workspace.New(a.store, blobs, a.keys, a.audit, workspace.Options{MaxFileSize: int64(cfg.Limits.MaxFileSize), Logger: a.log})
	if a.BootstrapToken, err = a.ids.Bootstrap(ctx); err != nil {
		return nil, err
	}
	if orphans, err := ws.Orphans(ctx); err != nil {
		return nil, err
	} else if len(orphans) > 0 {
		a.log.Warn("sealed blobs that no file version references (a crash between upload and commit); they are kept, unreadable without a version",
			"count", len(orphans), "dir", filepath.Join(dir, blobDir))
	}
	engine, err := NewDLP(cfg)
	if err != nil {
		return nil, err
	}
	tools := toolcall.New(a.store, a.keys, a.audit, a.policy, toolcall.Options{
		ApprovalTTL: cfg.Approvals.TTL.D(), MaxWait: cfg.Approvals.MaxWait.D(), Logger: a.log,
		Mask: maskWith(engine),
		// Approvers see whom a call reaches; never a credential.
		MaskSecrets: maskWith(engine, dlp.Secret, dlp.PrivateKey, dlp.JWT, dlp.URLCredentials, dlp.CreditCard, dlp.SSN, dlp.IBAN),
	})
	if cfg.Approvals.NotifyURL != "" {
		a.notifier = toolcall.NewNotifier(toolcall.NotifierOptions{URL: cfg.Approvals.NotifyURL, ConsoleURL: cfg.Approvals.ConsoleURL, Logger: a.log})
		a.audit.Subscribe(a.notifier.Observe)
	}
	model, err := newModelPlane(ctx, cfg, opts.Getenv, engine, toolGate{tools}, a.ids, a.audit, a)
	if err != nil {
		return nil, err
	}
	mx := metrics.New()
	a.audit.Subscribe(mx.Observe)
	a.detector = detect.New(rules, a.store, a.keys, a.audit, a.ids, detect.Options{Logger: a.log})
	a.audit.Subscribe(a.detector.Observe)
	deadLetter := func(name string, seq int64, cause error) {
		a.detector.Raise("sink_dead_letter", "high", fmt.Sprintf("sink %s gave up on event %d: %v", name, seq, cause), []int64{seq})
	}
	for i, d := range sinkDests {
		r := sink.NewRunner(sinkNames[i], d, sinkFilters[i], a.store, a.audit, sink.Options{Logger: a.log, DeadLetter: deadLetter, MaxAttempts: sinkAttempts[i]})
		a.audit.Subscribe(r.Observe)
		mx.SinkLag(sinkNames[i], r.Delivered)
		a.sinks = append(a.sinks, r)
	}
	a.imports = urlimport.New(ws, egress.NewFetcher(egress.FetcherOptions{Policy: egressPol, Guard: guard, RootCAs: roots}), a.audit, urlimport.Options{Logger: a.log})
	if EgressEnabled(cfg) {
		a.egress = egress.New(egress.Options{Auth: a.ids, Audit: a.audit, Policy: egressPol, Guard: guard, Logger: a.log})
	}
	alerts := detect.NewAlerts(a.store, a.keys, a.audit)
	console := web.New(web.Options{Identity: a.ids, Passwords: a.ids, Tools: tools, Alerts: alerts, Unlocker: a.ids, Agents: a.ids,
		Events: a.audit, Chain: a.audit.ChainCheck(), Sinks: a.sinkHealth, Audit: a.audit, Logger: a.log})
	shares, err := newShares(cfg, opts, a, ws)
	if err != nil {
		return nil, err
	}
	a.api = api.New(api.Config{Identity: a.ids, Workspaces: ws, Audit: a.audit, Logger: a.log, MaxFileSize: int64(cfg.Limits.MaxFileSize),
		Model: model, Tools: tools, Console: console, Imports: a.imports, Alerts: alerts, Metrics: mx.Handler(),
		Shares: shares, SharePages: share.NewPages(shares, a.log), PublicURL: cfg.PublicURL,
		MCP: newMCP(cfg, a, ws, a.imports, shares, a.audit)})
	for _, r := range a.sinks {
		r.Start()
	}
	return a, nil
}

// writePublicKey keeps a copy of the audit public key in the data folder for
// verifying without the master key. Keep another copy somewhere safe and pass
// it to `warden audit verify --pubkey`.
func writePublicKey(dir string, k *keyring.Keyring) error {
	path := filepath.Join(dir, pubKeyFile)
	want := base64.StdEncoding.EncodeToString(k.PublicKey()) + "\n"
	if b, err := os.ReadFile(path); err == nil && string(b) == want {
		return nil
	}
	if err := os.WriteFile(path, []byte(want), 0o600); err != nil {
		return fmt.Errorf("write audit public key: %w", err)
	}
	return nil
}

// Handler is the HTTP handler for the API listener.
func (a *App) Handler() http.Handler { return a.api }

// Serve serves the API on ln until ctx is done; see ServeAll.
func (a *App) Serve(ctx context.Context, ln net.Listener) error { return a.ServeAll(ctx, ln, nil) }

// ServeAll serves the API on ln and, if egress is not nil and the proxy is
// configured, the egress proxy on egress, until ctx is done; then it shuts
// down gracefully: new requests are refused, requests in flight get up to
// 30 seconds, the audit log is flushed and signed, and the data folder is
// released. The App is closed when ServeAll returns, whatever the reason.
func (a *App) ServeAll(ctx context.Context, ln, egressLn net.Listener) error {
	srv := &http.Server{
		Handler:           a.api,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	if a.cfg.TLS.Enabled() {
		cert, err := tls.LoadX509KeyPair(a.cfg.TLS.CertFile, a.cfg.TLS.KeyFile)
		if err != nil {
			ln.Close()
			return errors.Join(fmt.Errorf("load TLS certificate: %w", err), a.Close(context.Background()))
		}
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		ln = tls.NewListener(ln, srv.TLSConfig)
	}
	errc := make(chan error, 2)
	var esrv *http.Server
	if egressLn != nil && a.egress != nil {
		esrv = &http.Server{
			Handler:           a.egress,
			ReadHeaderTimeout: 10 * time.Second,
			IdleTimeout:       2 * time.Minute,
			MaxHeaderBytes:    64 << 10,
			ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
			BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
		}
		go func() { errc <- esrv.Serve(egressLn) }()
	} else if egressLn != nil {
		egressLn.Close()
	}
	a.api.SetReady(true)
	go func() { errc <- srv.Serve(ln) }()
	var err error
	select {
	case err = <-errc:
	case <-ctx.Done():
	}
	a.api.SetReady(false)
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	if esrv != nil {
		// Tunnels are hijacked connections the server does not track: the
		// proxy ends them, and records them, before the log closes.
		err = errors.Join(err, esrv.Shutdown(sctx), a.egress.Shutdown(sctx))
	}
	err = errors.Join(err, srv.Shutdown(sctx))
	cancel()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return errors.Join(err, a.Close(context.Background()))
}

// Close flushes the audit log and releases everything.
func (a *App) Close(ctx context.Context) error { return a.close(ctx) }

func (a *App) close(ctx context.Context) error {
	var errs []error
	if a.ids != nil {
		a.ids.Close() // its last summaries go to the audit log
		a.ids = nil
	}
	if a.imports != nil {
		a.imports.Close() // running imports fail, write nothing, and are recorded
		a.imports = nil
	}
	if a.detector != nil {
		a.detector.Close() // what is queued is handled while the log is open
		a.detector = nil
	}
	for _, r := range a.sinks {
		// Undelivered events stay after the sink's cursor, for the next start.
		errs = append(errs, r.Close())
	}
	a.sinks = nil
	if a.audit != nil {
		errs = append(errs, a.audit.Close(ctx))
		if a.notifier != nil {
			a.notifier.Close() // after the log: its last events are observed
			a.notifier = nil
		}
		a.audit = nil
	}
	if a.store != nil {
		errs = append(errs, a.store.Close())
		a.store = nil
	}
	a.lock.release()
	a.lock = nil
	return errors.Join(errs...)
}
