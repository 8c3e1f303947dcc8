// Package smtptest is a minimal SMTP server for tests: it listens on
// loopback, accepts every message (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP,
// QUIT; no TLS, no AUTH) and keeps what it received. Go's standard library
// has an SMTP client but no server.
package smtptest

import (
	"net"
	"net/textproto"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// Message is one message as received.
type Message struct {
	From string
	To   []string
	Data string // headers and body, dot-unstuffed, CRLF line ends
}

// Server is a running sink.
type Server struct {
	Addr string // host:port
	Host string
	Port int

	ln   net.Listener
	mu   sync.Mutex
	msgs []Message
	wg   sync.WaitGroup
}

// Start starts a sink on 127.0.0.1 and stops it when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a := ln.Addr().(*net.TCPAddr)
	s := &Server{Addr: a.String(), Host: "127.0.0.1", Port: a.Port, ln: ln}
	s.wg.Add(1)
	go s.serve()
	t.Cleanup(s.Close)
	return s
}

// Close stops the server and waits for its connections.
func (s *Server) Close() {
	s.ln.Close()
	s.wg.Wait()
}

// Messages returns what was received so far, oldest first.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

var codeRE = regexp.MustCompile(`\b\d{6}\b`)

// LastCode returns the first six-digit number in the newest message to
// addr, or "".
func (s *Server) LastCode(addr string) string {
	msgs := s.Messages()
	for i := len(msgs) - 1; i >= 0; i-- {
		for _, to := range msgs[i].To {
			if strings.EqualFold(to, addr) {
				_, body, _ := strings.Cut(msgs[i].Data, "\r\n\r\n")
				return codeRE.FindString(body)
			}
		}
	}
	return ""
}

func (s *Server) serve() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer c.Close()
			s.session(textproto.NewConn(c))
		}()
	}
}

func (s *Server) session(c *textproto.Conn) {
	c.PrintfLine("220 smtptest ready")
	var m Message
	for {
		line, err := c.ReadLine()
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO":
			c.PrintfLine("250-smtptest\r\n250 8BITMIME")
		case "HELO", "NOOP":
			c.PrintfLine("250 ok")
		case "MAIL":
			m = Message{From: addrOf(arg)}
			c.PrintfLine("250 ok")
		case "RCPT":
			m.To = append(m.To, addrOf(arg))
			c.PrintfLine("250 ok")
		case "DATA":
			if m.From == "" || len(m.To) == 0 {
				c.PrintfLine("503 need MAIL and RCPT")
				continue
			}
			c.PrintfLine("354 go ahead")
			data, err := readDot(c)
			if err != nil {
				return
			}
			m.Data = data
			s.mu.Lock()
			s.msgs = append(s.msgs, m)
			s.mu.Unlock()
			m = Message{}
			c.PrintfLine("250 ok: queued")
		case "RSET":
			m = Message{}
			c.PrintfLine("250 ok")
		case "QUIT":
			c.PrintfLine("221 bye")
			return
		default:
			c.PrintfLine("502 not implemented")
		}
	}
}

func readDot(c *textproto.Conn) (string, error) {
	lines, err := c.ReadDotLines()
	if err != nil {
		return "", err
	}
	return strings.Join(lines, "\r\n"), nil
}

// addrOf takes the address out of "FROM:<a@b>" or "TO:<a@b> SIZE=…".
func addrOf(arg string) string {
	if i := strings.IndexByte(arg, '<'); i >= 0 {
		if j := strings.IndexByte(arg[i:], '>'); j > 0 {
			return arg[i+1 : i+j]
		}
	}
	_, a, _ := strings.Cut(arg, ":")
	return strings.TrimSpace(a)
}
