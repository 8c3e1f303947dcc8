package main

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"os"

	"github.com/spf13/cobra"

	"github.com/wardenhq/warden/app"
	"github.com/wardenhq/warden/config"
)

// serverFlags are the flags shared by serve and init.
type serverFlags struct {
	config, data, listen, egressListen string
}

func (f *serverFlags) register(cmd *cobra.Command, listen bool) {
	cmd.Flags().StringVar(&f.config, "config", "", "config file (env WARDEN_CONFIG; default ./warden.yaml if present)")
	cmd.Flags().StringVar(&f.data, "data", "", "data folder (env WARDEN_DATA; default ./warden-data)")
	if listen {
		cmd.Flags().StringVar(&f.listen, "listen", "", "API address (env WARDEN_LISTEN; default 127.0.0.1:8700)")
		cmd.Flags().StringVar(&f.egressListen, "egress-listen", "", "egress proxy address, or off (env WARDEN_EGRESS_LISTEN; default 127.0.0.1:8701)")
	}
}

// load reads the config file, applies WARDEN_* variables, then the flags.
func (f *serverFlags) load(cmd *cobra.Command, e *env) (*config.Config, error) {
	cfg, err := loadOfflineConfig(f.config, e)
	if err != nil {
		return nil, err
	}
	if cmd.Flags().Changed("data") {
		cfg.Data = f.data
	}
	if cmd.Flags().Changed("listen") {
		cfg.Listen = f.listen
	}
	if cmd.Flags().Changed("egress-listen") {
		cfg.Egress.Listen = f.egressListen
	}
	return cfg, cfg.Validate()
}

func newLogger(e *env, cfg *config.Config) *slog.Logger {
	var lvl slog.Level
	lvl.UnmarshalText([]byte(cfg.Log.Level)) // validated by config
	opts := &slog.HandlerOptions{Level: lvl}
	if cfg.Log.Format == "json" {
		return slog.New(slog.NewJSONHandler(e.stderr, opts))
	}
	return slog.New(slog.NewTextHandler(e.stderr, opts))
}

func serveCmd(e *env) *cobra.Command {
	var f serverFlags
	var allowRoot, dev bool
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the Warden server (initialises the data folder on first start)",
		Long: `Run the Warden server. On first start it creates the data folder (mode 0700),
a master key unless WARDEN_MASTER_KEY is set, and a bootstrap admin whose
token is printed once.

Safe defaults are enforced: it listens on 127.0.0.1:8700, refuses any other
address without TLS, and refuses to run as root unless --allow-root.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if e.geteuid() == 0 && !allowRoot {
				return &exitError{code: 2, err: fmt.Errorf("refusing to run as root (uid 0): run as an unprivileged user, or pass --allow-root if you accept the risk (e.g. a throwaway dev box)")}
			}
			cfg, err := f.load(cmd, e)
			if err != nil {
				return err
			}
			if err := app.CheckListen(cfg.Listen, cfg.TLS.Enabled()); err != nil {
				return &exitError{code: 2, err: err}
			}
			if app.EgressEnabled(cfg) {
				// The proxy speaks plain HTTP, agents' tokens in it.
				if err := app.CheckListen(cfg.Egress.Listen, false); err != nil {
					return &exitError{code: 2, err: fmt.Errorf("egress.listen: %w", err)}
				}
			}
			if cfg.TLS.Enabled() {
				// Fail on a bad certificate before touching the data folder.
				if _, err := tls.LoadX509KeyPair(cfg.TLS.CertFile, cfg.TLS.KeyFile); err != nil {
					return &exitError{code: 2, err: fmt.Errorf("TLS certificate: %w", err)}
				}
			}
			log := newLogger(e, cfg)
			if e.geteuid() == 0 {
				log.Warn("running as root because --allow-root was given; do not do this in production")
			}
			a, err := app.Open(cmd.Context(), app.Options{Config: cfg, Getenv: e.getenv, Logger: log, Dev: dev})
			if err != nil {
				return err
			}
			ln, err := net.Listen("tcp", cfg.Listen)
			if err != nil {
				a.Close(cmd.Context())
				return fmt.Errorf("listen: %w", err)
			}
			scheme := "http"
			if cfg.TLS.Enabled() {
				scheme = "https"
			}
			addr := scheme + "://" + ln.Addr().String()
			if a.BootstrapToken != "" {
				printBootstrap(e, cfg.Data, addr, a.BootstrapToken)
			}
			var eln net.Listener
			if app.EgressEnabled(cfg) {
				if eln, err = net.Listen("tcp", cfg.Egress.Listen); err != nil {
					ln.Close()
					a.Close(cmd.Context())
					return fmt.Errorf("egress listen: %w", err)
				}
				log.Info("egress proxy listening", "addr", "http://"+eln.Addr().String(), "mode", cfg.Egress.Mode)
			}
			log.Info("warden listening", "addr", addr, "data", cfg.Data, "master_key", a.KeySource, "version", versionString())
			return a.ServeAll(cmd.Context(), ln, eln)
		},
	}
	f.register(cmd, true)
	cmd.Flags().BoolVar(&allowRoot, "allow-root", false, "allow running as uid 0 (not for production)")
	cmd.Flags().BoolVar(&dev, "dev", false, "development: share recipients' one-time codes also go to the server log (never otherwise)")
	return cmd
}

func printBootstrap(e *env, dir, addr, tok string) {
	fmt.Fprintf(e.stderr, "Initialised %s. The bootstrap admin token is shown once; store it now:\n", dir)
	fmt.Fprintf(e.stdout, "export WARDEN_ADDR=%s WARDEN_TOKEN=%s\n", addr, tok)
}

func initCmd(e *env) *cobra.Command {
	var f serverFlags
	var tokenFile string
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Initialise a data folder without serving",
		Long: `Initialise a data folder: master key (unless WARDEN_MASTER_KEY is set), database,
keys, and the bootstrap admin. The admin token is printed once, or written to
--token-file (mode 0600) instead. Running it on an initialised folder changes
nothing.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := f.load(cmd, e)
			if err != nil {
				return err
			}
			if tokenFile != "" {
				if _, err := os.Lstat(tokenFile); err == nil {
					return fmt.Errorf("token file %s already exists; not overwriting it", tokenFile)
				}
			}
			tok, src, err := app.Init(cmd.Context(), app.Options{Config: cfg, Getenv: e.getenv, Logger: newLogger(e, cfg)})
			if err != nil {
				return err
			}
			if tok == "" {
				fmt.Fprintf(e.stderr, "%s is already initialised; nothing changed.\n", cfg.Data)
				return nil
			}
			if src == app.KeyFromGenerated {
				fmt.Fprintf(e.stderr, "Generated a master key in %s/master.key. Move it to a secrets manager and pass it as WARDEN_MASTER_KEY.\n", cfg.Data)
			}
			if tokenFile != "" {
				if err := app.WriteTokenFile(tokenFile, tok); err != nil {
					return err
				}
				fmt.Fprintf(e.stderr, "Initialised %s; the bootstrap admin token is in %s.\n", cfg.Data, tokenFile)
				return nil
			}
			printBootstrap(e, cfg.Data, "http://"+cfg.Listen, tok)
			return nil
		},
	}
	f.register(cmd, false)
	cmd.Flags().StringVar(&tokenFile, "token-file", "", "write the bootstrap admin token to this new file (0600) instead of stdout")
	return cmd
}
