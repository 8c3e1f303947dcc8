package sink_test

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/apiv1"
	"github.com/wardenhq/warden/sink"
)

// syslogReceiver accepts connections on 127.0.0.1 and parses RFC 6587
// octet-counted frames: "<len> <message>".
type syslogReceiver struct {
	t  *testing.T
	ln net.Listener

	mu    sync.Mutex
	msgs  []string
	conns int
	errs  []string
	// closeAfter, if > 0, closes the first connection once it has carried
	// that many messages; closed is then closed.
	closeAfter int
	closed     chan struct{}
}

func newSyslogReceiver(t *testing.T, cfg *tls.Config) *syslogReceiver {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if cfg != nil {
		ln = tls.NewListener(ln, cfg)
	}
	r := &syslogReceiver{t: t, ln: ln, closed: make(chan struct{})}
	var wg sync.WaitGroup
	var cmu sync.Mutex
	var open []net.Conn
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			cmu.Lock()
			open = append(open, c)
			cmu.Unlock()
			r.mu.Lock()
			r.conns++
			first := r.conns == 1
			r.mu.Unlock()
			wg.Go(func() { r.serve(c, first) })
		}
	})
	t.Cleanup(func() {
		ln.Close()
		cmu.Lock()
		for _, c := range open {
			c.Close()
		}
		cmu.Unlock()
		wg.Wait()
	})
	return r
}

func (r *syslogReceiver) serve(c net.Conn, first bool) {
	defer c.Close()
	if tc, ok := c.(*tls.Conn); ok && tc.Handshake() != nil {
		return // a client that does not trust us; it sees the error
	}
	br := bufio.NewReader(c)
	n := 0
	for {
		lenStr, err := br.ReadString(' ')
		if err != nil {
			if err != io.EOF && !strings.Contains(err.Error(), "closed") {
				r.fail("reading a frame length: %v", err)
			}
			return
		}
		size, err := strconv.Atoi(strings.TrimSuffix(lenStr, " "))
		if err != nil || size <= 0 || strings.HasPrefix(lenStr, "0") {
			r.fail("bad frame length %q", lenStr)
			return
		}
		buf := make([]byte, size)
		if _, err := io.ReadFull(br, buf); err != nil {
			r.fail("reading a frame of %d bytes: %v", size, err)
			return
		}
		r.mu.Lock()
		r.msgs = append(r.msgs, string(buf))
		r.mu.Unlock()
		n++
		if first && r.closeAfter > 0 && n == r.closeAfter {
			c.Close()
			close(r.closed)
			return
		}
	}
}

func (r *syslogReceiver) fail(format string, args ...any) {
	r.mu.Lock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
	r.mu.Unlock()
}

func (r *syslogReceiver) messages() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.errs) > 0 {
		r.t.Errorf("syslog receiver: %v", r.errs)
		r.errs = nil
	}
	return slices.Clone(r.msgs)
}

// rfc5424 is the header of RFC 5424 (section 6) as the sink writes it:
// PRI VERSION TIMESTAMP HOSTNAME APP-NAME PROCID MSGID, one SD-ELEMENT, MSG.
var rfc5424 = regexp.MustCompile(`^<([0-9]{1,3})>1 (\S+) (\S{1,255}) (\S{1,48}) (\S{1,128}) (\S{1,32}) \[warden@32473 seq="([0-9]+)"\] (.*)$`)

// rfc5424Time is FULL-DATE "T" FULL-TIME of RFC 5424: at most 6 digits of
// fraction.
var rfc5424Time = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?(Z|[+-][0-9]{2}:[0-9]{2})$`)

type syslogMsg struct {
	pri       int
	timestamp string
	host, app string
	procid    string
	msgid     string
	seq       int64
	ev        apiv1.Event
}

func parseSyslog(t *testing.T, m string) syslogMsg {
	t.Helper()
	if !regexp.MustCompile(`^<[0-9]{1,3}>1 `).MatchString(m) {
		t.Fatalf("message does not start with <PRI>1: %q", m)
	}
	p := rfc5424.FindStringSubmatch(m)
	if p == nil {
		t.Fatalf("not an RFC 5424 message as expected: %q", m)
	}
	var out syslogMsg
	out.pri, _ = strconv.Atoi(p[1])
	out.timestamp, out.host, out.app, out.procid, out.msgid = p[2], p[3], p[4], p[5], p[6]
	out.seq, _ = strconv.ParseInt(p[7], 10, 64)
	if err := json.Unmarshal([]byte(p[8]), &out.ev); err != nil {
		t.Fatalf("message body is not an event: %v: %q", err, p[8])
	}
	if out.ev.Seq != out.seq {
		t.Fatalf("structured data says seq %d, body %d", out.seq, out.ev.Seq)
	}
	if _, err := time.Parse(time.RFC3339Nano, out.timestamp); err != nil {
		t.Fatalf("timestamp %q: %v", out.timestamp, err)
	}
	return out
}

// checkSyslog runs a syslog sink against rcv and checks every message.
func checkSyslog(t *testing.T, rcv *syslogReceiver, d *sink.Syslog) {
	t.Helper()
	e := newEnv(t)
	r := e.runner(t, "syslog", d, sink.Filter{}, fastRetry)
	type x struct {
		action string
		effect warden.Effect
		pri    int
	}
	cases := []x{
		{"file.read", warden.Allow, 16*8 + 6},
		{"file.write", warden.Deny, 16*8 + 4},
		{"tool.call", warden.Ask, 16*8 + 6},
		{"detect.alert", warden.Allow, 16*8 + 1},
		{"detect.alert.lock", warden.Deny, 16*8 + 1},
		{strings.Repeat("a", 33), warden.Allow, 16*8 + 6}, // too long for MSGID
	}
	var seqs []int64
	for range 3 {
		for _, c := range cases {
			seqs = append(seqs, e.record(t, c.effect, c.action)...)
		}
	}
	waitFor(t, "every syslog message", func() bool { return len(rcv.messages()) >= len(seqs) })
	waitCursor(t, r, seqs[len(seqs)-1])
	r.Close()
	msgs := rcv.messages()
	if len(msgs) != len(seqs) {
		t.Fatalf("%d messages for %d events", len(msgs), len(seqs))
	}
	for i, m := range msgs {
		p := parseSyslog(t, m)
		c := cases[i%len(cases)]
		if p.seq != seqs[i] {
			t.Errorf("message %d has seq %d, want %d", i, p.seq, seqs[i])
		}
		if p.pri != c.pri {
			t.Errorf("%s/%s: PRI %d, want %d", c.action, c.effect, p.pri, c.pri)
		}
		wantID := c.action
		if len(wantID) > 32 {
			wantID = "-"
		}
		if p.msgid != wantID || p.app != "warden" || p.procid != "-" {
			t.Errorf("message %d: app %q procid %q msgid %q", i, p.app, p.procid, p.msgid)
		}
		if p.ev.Action != c.action || p.ev.Decision.Effect != c.effect {
			t.Errorf("message %d carries %+v", i, p.ev)
		}
	}
}

// TestSyslogTCP: octet-counted RFC 5424 frames over TCP, one per event, in
// order, with the seq in structured data and a PRI from the decision.
func TestSyslogTCP(t *testing.T) {
	rcv := newSyslogReceiver(t, nil)
	d, err := sink.NewSyslog("tcp://"+rcv.ln.Addr().String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	checkSyslog(t, rcv, d)
}

// selfSigned returns a certificate for 127.0.0.1 and a pool trusting it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "syslog test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: k, Leaf: leaf}, pool
}

// TestSyslogTLS: the same over TLS with a self-signed certificate passed
// as roots; without them the handshake fails and nothing counts as sent.
func TestSyslogTLS(t *testing.T) {
	cert, pool := selfSigned(t)
	rcv := newSyslogReceiver(t, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	addr := "tcp+tls://" + rcv.ln.Addr().String()

	untrusted, err := sink.NewSyslog(addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	n, err := untrusted.Deliver(bg, []apiv1.Event{{Seq: 1, Action: "file.read"}})
	if err == nil || n != 0 {
		t.Errorf("delivery to an untrusted certificate: %d, %v; want 0 and an error", n, err)
	}
	untrusted.Close()

	d, err := sink.NewSyslog(addr, pool)
	if err != nil {
		t.Fatal(err)
	}
	checkSyslog(t, rcv, d)
}

// TestNewSyslogRefusesBadAddresses: the address is tcp:// or tcp+tls://
// and host:port.
func TestNewSyslogRefusesBadAddresses(t *testing.T) {
	for _, a := range []string{"", "127.0.0.1:514", "udp://127.0.0.1:514", "tls://127.0.0.1:514", "tcp://127.0.0.1", "tcp://"} {
		if _, err := sink.NewSyslog(a, nil); err == nil {
			t.Errorf("NewSyslog accepted %q", a)
		}
	}
	for _, a := range []string{"tcp://127.0.0.1:514", "tcp+tls://127.0.0.1:6514", "tcp://[::1]:514"} {
		if _, err := sink.NewSyslog(a, nil); err != nil {
			t.Errorf("NewSyslog refused %q: %v", a, err)
		}
	}
}

// TestSyslogTimestampIsRFC5424: RFC 5424 section 6.2.3 allows at most six
// digits of fraction (TIME-SECFRAC = "." 1*6DIGIT); strict collectors
// reject more. Events carry nanoseconds.
func TestSyslogTimestampIsRFC5424(t *testing.T) {
	for _, at := range []time.Time{
		time.Date(2026, 3, 1, 12, 0, 0, 123456789, time.UTC),
		time.Date(2026, 3, 1, 12, 0, 0, 100000000, time.FixedZone("CET", 3600)),
		time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC),
	} {
		m, err := sink.Format("host", apiv1.Event{Seq: 7, Time: at, Action: "file.read"})
		if err != nil {
			t.Fatal(err)
		}
		p := parseSyslog(t, string(m))
		if !rfc5424Time.MatchString(p.timestamp) {
			t.Errorf("timestamp %q is not an RFC 5424 TIMESTAMP (at most 6 fraction digits)", p.timestamp)
		}
		if got, _ := time.Parse(time.RFC3339Nano, p.timestamp); !got.Equal(at.Truncate(time.Microsecond)) && !got.Equal(at) {
			t.Errorf("timestamp %q is not %v", p.timestamp, at)
		}
	}
}

// TestSyslogReceiverRestart: the collector closes the connection (a
// restart, an idle timeout). Events sent after that must still arrive: at
// least once, as the package promises.
func TestSyslogReceiverRestart(t *testing.T) {
	rcv := newSyslogReceiver(t, nil)
	rcv.closeAfter = 3
	d, err := sink.NewSyslog("tcp://"+rcv.ln.Addr().String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t)
	r := e.runner(t, "syslog", d, sink.Filter{}, fastRetry)
	seqs := e.recordN(t, 3)
	waitCursor(t, r, 3)
	<-rcv.closed
	time.Sleep(50 * time.Millisecond) // the FIN reaches the sender
	for range 5 {
		seqs = append(seqs, e.recordN(t, 1)...)
		waitCursor(t, r, seqs[len(seqs)-1])
	}
	waitFor(t, "a second connection", func() bool { rcv.mu.Lock(); defer rcv.mu.Unlock(); return rcv.conns >= 2 })
	got := map[int64]bool{}
	deadline := time.Now().Add(2 * time.Second)
	for {
		for _, m := range rcv.messages() {
			got[parseSyslog(t, m).seq] = true
		}
		if len(got) >= len(seqs) || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	r.Close()
	var lost []int64
	for _, s := range seqs {
		if !got[s] {
			lost = append(lost, s)
		}
	}
	if len(lost) > 0 {
		t.Errorf("events %v were counted as delivered (cursor moved past them) but never reached the collector: "+
			"the write after the collector closed the connection went into a dead socket", lost)
	}
}
