package sink

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/apiv1"
)

// Syslog sends RFC 5424 messages over TCP or TLS, framed by octet counting
// (RFC 6587): "<len> <message>". The message's structured data carries the
// sequence number; its body is the event as JSON.
type Syslog struct {
	network, addr string
	tls           *tls.Config
	host          string
	conn          net.Conn
	w             *bufio.Writer
}

// NewSyslog parses tcp://host:port or tcp+tls://host:port; roots adds
// trust for TLS (nil: the system's).
func NewSyslog(address string, roots *x509.CertPool) (*Syslog, error) {
	scheme, hostport, ok := strings.Cut(address, "://")
	if !ok {
		return nil, fmt.Errorf("syslog address %q: want tcp://host:port or tcp+tls://host:port", address)
	}
	if _, _, err := net.SplitHostPort(hostport); err != nil {
		return nil, fmt.Errorf("syslog address %q: %w", address, err)
	}
	s := &Syslog{network: "tcp", addr: hostport}
	switch scheme {
	case "tcp":
	case "tcp+tls":
		h, _, _ := net.SplitHostPort(hostport)
		s.tls = &tls.Config{ServerName: h, RootCAs: roots, MinVersion: tls.VersionTLS12}
	default:
		return nil, fmt.Errorf("syslog address %q: scheme must be tcp or tcp+tls", address)
	}
	s.host, _ = os.Hostname()
	if s.host == "" {
		s.host = "-"
	}
	return s, nil
}

func (s *Syslog) connect(ctx context.Context) error {
	if s.conn != nil && s.alive() {
		return nil
	}
	if s.conn != nil {
		s.conn.Close()
		s.conn = nil
	}
	d := &net.Dialer{Timeout: 10 * time.Second}
	var c net.Conn
	var err error
	if s.tls != nil {
		c, err = (&tls.Dialer{NetDialer: d, Config: s.tls}).DialContext(ctx, s.network, s.addr)
	} else {
		c, err = d.DialContext(ctx, s.network, s.addr)
	}
	if err != nil {
		return err
	}
	s.conn, s.w = c, bufio.NewWriter(c)
	return nil
}

// alive reports whether the collector has not closed the connection: a
// write into a socket the peer closed can still succeed once, and that
// event would be lost. (Syslog over TCP has no acknowledgement, so a close
// that races a write can still lose what was in flight.)
func (s *Syslog) alive() bool {
	s.conn.SetReadDeadline(time.Now().Add(time.Millisecond))
	defer s.conn.SetReadDeadline(time.Time{})
	var b [1]byte
	_, err := s.conn.Read(b[:])
	var ne net.Error
	return err != nil && errors.As(err, &ne) && ne.Timeout()
}

// rfc5424Time has at most six fraction digits, as RFC 5424 allows.
const rfc5424Time = "2006-01-02T15:04:05.000000Z07:00"

// severityOf is Severity for an event as the API shows it.
func severityOf(ev apiv1.Event) int {
	return Severity(&warden.Event{Action: ev.Action, Kind: warden.PrincipalKind(ev.Kind), Decision: ev.Decision, Error: ev.Error})
}

// Format returns one RFC 5424 message (without framing).
func Format(host string, ev apiv1.Event) ([]byte, error) {
	body, err := json.Marshal(ev)
	if err != nil {
		return nil, err
	}
	const facility = 16 // local0
	msgid := ev.Action
	if msgid == "" || len(msgid) > 32 {
		msgid = "-"
	}
	return fmt.Appendf(nil, "<%d>1 %s %s warden - %s [warden@32473 seq=\"%d\"] %s",
		facility*8+severityOf(ev), ev.Time.UTC().Format(rfc5424Time), host, msgid, ev.Seq, body), nil
}

// Deliver writes the batch and flushes it; a broken connection is dropped
// and made again on the next attempt.
func (s *Syslog) Deliver(ctx context.Context, evs []apiv1.Event) (int, error) {
	if err := s.connect(ctx); err != nil {
		return 0, err
	}
	for _, ev := range evs {
		m, err := Format(s.host, ev)
		if err != nil {
			return 0, err
		}
		s.w.WriteString(strconv.Itoa(len(m)))
		s.w.WriteByte(' ')
		s.w.Write(m)
	}
	s.conn.SetWriteDeadline(time.Now().Add(30 * time.Second))
	if err := s.w.Flush(); err != nil {
		s.conn.Close()
		s.conn = nil
		return 0, err
	}
	return len(evs), nil
}

// Close closes the connection.
func (s *Syslog) Close() error {
	if s.conn != nil {
		return s.conn.Close()
	}
	return nil
}
