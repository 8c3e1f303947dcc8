// Package config loads warden.yaml. Precedence, lowest first: built-in
// defaults, the file, WARDEN_* environment variables, command-line flags.
// Every scalar key has an environment twin named after its path:
// tls.cert_file is WARDEN_TLS_CERT_FILE. Unknown keys and malformed values
// are errors that name the key, never silently ignored.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// DefaultPath is read when no --config is given, if it exists.
const DefaultPath = "warden.yaml"

// Config is Warden's configuration.
type Config struct {
	Listen   string             `yaml:"listen"` // API, model plane and console
	Data     string             `yaml:"data"`   // data folder
	TLS      TLS                `yaml:"tls"`
	Log      Log                `yaml:"log"`
	Limits   Limits             `yaml:"limits"`
	Audit    Audit              `yaml:"audit"`
	Profiles map[string]Profile `yaml:"profiles"`
	// Approvals tunes human approvals of tool calls.
	Approvals Approvals `yaml:"approvals"`
	// Egress is the network plane's forward proxy.
	Egress Egress `yaml:"egress"`
	// Detect overrides detection rules' defaults, by rule name.
	Detect map[string]DetectRule `yaml:"detect"`
	// Sinks stream the audit chain to SIEMs.
	Sinks []Sink `yaml:"sinks"`
	// PublicURL is Warden's address as share recipients reach it, for
	// links; "" builds links from the address a request came to.
	PublicURL string `yaml:"public_url"`
	// Shares configures data-room links; SMTP delivers their codes.
	Shares Shares `yaml:"shares"`
	SMTP   SMTP   `yaml:"smtp"`

	Providers map[string]Provider `yaml:"providers"` // model plane upstreams
	LLM       LLM                 `yaml:"llm"`
	// MCP configures the agents' MCP endpoint.
	MCP MCP `yaml:"mcp"`

	// Path is the file the configuration was read from ("" for none), for
	// errors that name a line.
	Path string `yaml:"-"`
}

// TLS enables HTTPS on the listener. Both files are PEM.
type TLS struct {
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
}

// Enabled reports whether TLS is configured.
func (t TLS) Enabled() bool { return t.CertFile != "" || t.KeyFile != "" }

// Log configures the server log (never file names, tokens or content).
type Log struct {
	Level  string `yaml:"level"`  // debug, info, warn, error
	Format string `yaml:"format"` // text or json
}

// Limits bound what one request, or one client, may do.
type Limits struct {
	MaxFileSize ByteSize `yaml:"max_file_size"`
	// Failed authentications per client address answered and recorded one
	// by one; beyond them, 429 and one summary event per minute.
	AuthFailuresPerMinute int `yaml:"auth_failures_per_minute"`
	AuthFailureBurst      int `yaml:"auth_failure_burst"`
}

// Audit tunes the audit chain.
type Audit struct {
	CheckpointEvery    int      `yaml:"checkpoint_every"`
	CheckpointInterval Duration `yaml:"checkpoint_interval"`
}

// Egress configures the forward proxy agents reach the network through.
type Egress struct {
	// Listen is the proxy's address ("off" serves no proxy). Plain HTTP
	// (the proxy credentials travel in it), so loopback only.
	Listen string `yaml:"listen"`
	// Mode is enforce (the default) or report: log what the allowlists
	// would refuse, refuse nothing (private addresses stay refused).
	Mode string `yaml:"mode"`
	// Allow lists hosts every agent may reach: "api.github.com",
	// "*.wikipedia.org", "export.arxiv.org:443" (no port: 80 and 443).
	Allow []string `yaml:"allow"`
	// AllowPrivate lists private ranges (CIDR) an admin allows, such as an
	// internal API's network; metadata endpoints stay refused.
	AllowPrivate []string `yaml:"allow_private"`
	// CAFile is a PEM bundle of extra certificate authorities URL imports
	// trust (a private CA); "" trusts the system's only.
	CAFile string `yaml:"ca_file"`
}

// DetectRule tunes one detection rule; zero fields keep its default.
type DetectRule struct {
	Threshold int      `yaml:"threshold"`
	Window    Duration `yaml:"window"`
	Action    string   `yaml:"action"` // record, alert or lock
	Mode      string   `yaml:"mode"`   // enforce, shadow (record what it would do) or off
	Line      int      `yaml:"-"`
}

// Sink is one destination of the audit stream.
type Sink struct {
	Name string `yaml:"name"` // names its cursor; default type and position ("webhook-0")
	Type string `yaml:"type"` // webhook, file or syslog
	// webhook: URL and the env var holding its whsec_ secret
	URL       string `yaml:"url"`
	SecretEnv string `yaml:"secret_env"`
	// file: the JSON Lines file
	Path string `yaml:"path"`
	// syslog: tcp://host:port or tcp+tls://host:port
	Address string `yaml:"address"`
	CAFile  string `yaml:"ca_file"` // syslog over TLS: extra trust
	// Actions keeps only these event actions ("file.*" prefixes too);
	// none: every event.
	Actions []string `yaml:"actions"`
	// Decisions keeps only events with these effects (allow, deny, ask).
	Decisions []string `yaml:"decisions"`
	// MinSeverity keeps events at or above: info (everything, the
	// default), warning (refusals and detection), alert (detection's
	// alerts and locks).
	MinSeverity string `yaml:"min_severity"`
	// MaxAttempts dead-letters an event after this many failed
	// deliveries (default 30, about two hours).
	MaxAttempts int `yaml:"max_attempts"`
}

// EgressPolicy is a profile's own allowlist, on top of egress.allow.
type EgressPolicy struct {
	Allow []string `yaml:"allow"`
}

// Approvals tunes the tool plane's human approvals.
type Approvals struct {
	// TTL is how long an approval waits for a human (expired = denied), and
	// how long an approved one-time approval waits to be used.
	TTL Duration `yaml:"ttl"`
	// MaxWait caps one long-poll on an approval (?wait=).
	MaxWait Duration `yaml:"max_wait"`
	// NotifyURL receives a JSON POST for every new approval (a chat
	// webhook, an incident tool); "" sends none.
	NotifyURL string `yaml:"notify_url"`
	// ConsoleURL is the console's address as approvers reach it, for links
	// in notifications; "" leaves links out.
	ConsoleURL string `yaml:"console_url"`
}

// Profile is a named set of policies an agent is created with. The
// tool, model and network planes add their sections to it.
type Profile struct {
	Description string        `yaml:"description"`
	LLM         *LLMLimits    `yaml:"llm"`    // model-plane limits; the global llm.limits if unset
	Tools       *ToolPolicy   `yaml:"tools"`  // tool-plane policy; the built-in default if unset
	Egress      *EgressPolicy `yaml:"egress"` // network-plane allowlist, on top of egress.allow
}

// Default returns the built-in configuration.
func Default() *Config {
	return &Config{
		Listen: "127.0.0.1:8700",
		Data:   "./warden-data",
		Log:    Log{Level: "info", Format: "text"},
		Limits: Limits{MaxFileSize: 8 << 30, AuthFailuresPerMinute: 60, AuthFailureBurst: 20},
		Audit:  Audit{CheckpointEvery: 256, CheckpointInterval: Duration(10 * time.Second)},
		LLM:    defaultLLM(),
		MCP:    defaultMCP(),

		Approvals: Approvals{TTL: Duration(10 * time.Minute), MaxWait: Duration(60 * time.Second)},
		Egress:    Egress{Listen: "127.0.0.1:8701", Mode: "enforce"},
		Shares:    Shares{MaxExpiry: Duration(DefaultShareMaxExpiry)},
		SMTP:      SMTP{Port: 587, StartTLS: true},
	}
}

// Load reads path (or DefaultPath if path is "" and it exists) over the
// defaults, then applies environment overrides from getenv.
func Load(path string, getenv func(string) string) (*Config, error) {
	c := Default()
	explicit := path != ""
	if !explicit {
		path = DefaultPath
	}
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		if err := c.parse(b); err != nil {
			return nil, fmt.Errorf("config %s: %w", path, err)
		}
		c.Path = path
	case errors.Is(err, fs.ErrNotExist) && !explicit:
	default:
		return nil, fmt.Errorf("config: %w", err)
	}
	if err := applyEnv(reflect.ValueOf(c).Elem(), "WARDEN", getenv); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return c, nil
}

func (c *Config) parse(b []byte) error {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	// An empty file decodes to io.EOF: it means "all defaults".
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	return nil
}

// Validate checks values that parsing alone cannot.
func (c *Config) Validate() error {
	if c.Listen == "" {
		return errors.New("listen: must not be empty")
	}
	if c.Data == "" {
		return errors.New("data: must not be empty")
	}
	if c.Approvals.TTL.D() < time.Second || c.Approvals.MaxWait.D() < time.Second {
		return errors.New("approvals: ttl and max_wait must be at least 1s")
	}
	for key, v := range map[string]string{"approvals.notify_url": c.Approvals.NotifyURL, "approvals.console_url": c.Approvals.ConsoleURL} {
		if v == "" {
			continue
		}
		if u, err := url.Parse(v); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return fmt.Errorf("%s: want an http(s) URL", key)
		}
	}
	if (c.TLS.CertFile == "") != (c.TLS.KeyFile == "") {
		return errors.New("tls: set both cert_file and key_file, or neither")
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("log.level: %q is not one of debug, info, warn, error", c.Log.Level)
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		return fmt.Errorf("log.format: %q is not text or json", c.Log.Format)
	}
	if c.Limits.MaxFileSize <= 0 {
		return errors.New("limits.max_file_size: must be positive")
	}
	if c.Limits.AuthFailuresPerMinute <= 0 || c.Limits.AuthFailureBurst <= 0 {
		return errors.New("limits.auth_failures_per_minute and limits.auth_failure_burst: must be positive")
	}
	if c.Audit.CheckpointEvery <= 0 {
		return errors.New("audit.checkpoint_every: must be positive")
	}
	if c.Audit.CheckpointInterval < Duration(time.Second) {
		return errors.New("audit.checkpoint_interval: must be at least 1s")
	}
	for name := range c.Profiles {
		if err := validName(name); err != nil {
			return fmt.Errorf("profiles.%s: %w", name, err)
		}
	}
	if err := c.validateShares(); err != nil {
		return err
	}
	if err := c.validateMCP(); err != nil {
		return err
	}
	return c.validateLLM()
}

func validName(s string) error {
	if s == "" || len(s) > 63 {
		return errors.New("a name has 1 to 63 characters")
	}
	for i, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' && i > 0) {
			return errors.New("a name has only lowercase letters, digits and '-'")
		}
	}
	return nil
}

// HasProfile reports whether an agent profile exists: the built-in
// "default" always does.
func (c *Config) HasProfile(name string) bool {
	if name == "default" {
		return true
	}
	_, ok := c.Profiles[name]
	return ok
}

// EnvNames lists every environment variable that overrides a key.
func EnvNames() []string {
	var out []string
	walkEnv(reflect.TypeOf(Config{}), "WARDEN", func(name string, _ []int) { out = append(out, name) }, nil)
	return out
}

func walkEnv(t reflect.Type, prefix string, fn func(string, []int), index []int) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := strings.Split(f.Tag.Get("yaml"), ",")[0]
		if tag == "" || tag == "-" {
			continue
		}
		name := prefix + "_" + strings.ToUpper(tag)
		idx := append(append([]int{}, index...), i)
		if f.Type.Kind() == reflect.Struct && !isScalar(f.Type) {
			walkEnv(f.Type, name, fn, idx)
		} else if f.Type.Kind() != reflect.Map && f.Type.Kind() != reflect.Slice {
			fn(name, idx)
		}
	}
}

func isScalar(t reflect.Type) bool {
	return t == reflect.TypeOf(Duration(0)) || t == reflect.TypeOf(ByteSize(0))
}

func applyEnv(v reflect.Value, prefix string, getenv func(string) string) error {
	var firstErr error
	walkEnv(v.Type(), prefix, func(name string, idx []int) {
		s := getenv(name)
		if s == "" || firstErr != nil {
			return
		}
		fv := v.FieldByIndex(idx)
		if err := setScalar(fv, s); err != nil {
			firstErr = fmt.Errorf("%s=%q: %w", name, s, err)
		}
	}, nil)
	return firstErr
}

func setScalar(fv reflect.Value, s string) error {
	switch p := fv.Addr().Interface().(type) {
	case *Duration:
		return p.set(s)
	case *ByteSize:
		return p.set(s)
	}
	switch fv.Kind() {
	case reflect.String:
		fv.SetString(s)
	case reflect.Int, reflect.Int64:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return errors.New("not an integer")
		}
		fv.SetInt(n)
	case reflect.Float64:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return errors.New("not a number")
		}
		fv.SetFloat(f)
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return errors.New("not true or false")
		}
		fv.SetBool(b)
	default:
		return fmt.Errorf("cannot be set from the environment")
	}
	return nil
}
