package llm

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// event is one server-sent event. Only the fields model APIs use are kept;
// comments and ids pass through in Raw.
type event struct {
	Name string // "event:" field, "" if absent
	Data []byte // "data:" lines joined by "\n"
	// Raw is the event as received (without the blank line that ends
	// it), to relay untouched when nothing in it changes.
	Raw []byte
}

// maxEventSize bounds one event, so a misbehaving upstream cannot make
// Warden buffer without end.
const maxEventSize = 8 << 20

var errEventTooLarge = errors.New("server-sent event larger than 8 MiB")

// sseReader reads server-sent events one at a time, as they arrive.
type sseReader struct {
	r     *bufio.Reader
	raw   bytes.Buffer
	lines [][]byte // lines already read, split at lone \r
	// loneCR is set once the stream used lone \r line endings: raw bytes
	// then no longer line up with events, so events carry no Raw and are
	// written anew from their fields.
	loneCR bool
}

func newSSEReader(r io.Reader) *sseReader {
	return &sseReader{r: bufio.NewReaderSize(r, 32<<10)}
}

// Next returns the next event, or io.EOF at the end of the stream. A stream
// that ends without a final blank line still yields its last event.
func (s *sseReader) Next() (*event, error) {
	s.raw.Reset()
	ev := &event{}
	var data [][]byte
	hasField := false
	for {
		line, err := s.readLine()
		if err != nil {
			if errors.Is(err, io.EOF) && hasField {
				ev.Data = bytes.Join(data, []byte("\n"))
				ev.Raw = s.rawBytes(false)
				return ev, nil
			}
			return nil, err
		}
		if len(line) == 0 {
			if !hasField {
				continue // blank lines between events
			}
			ev.Data = bytes.Join(data, []byte("\n"))
			ev.Raw = s.rawBytes(true)
			return ev, nil
		}
		hasField = true
		if line[0] == ':' {
			continue // a comment (keep-alive); kept in Raw
		}
		field, value, _ := bytes.Cut(line, []byte(":"))
		value = bytes.TrimPrefix(value, []byte(" "))
		switch string(field) {
		case "event":
			ev.Name = string(value)
		case "data":
			data = append(data, bytes.Clone(value))
		}
	}
}

// eventReady reports whether a whole event is already buffered, so that
// reading it will not wait for the upstream.
func (s *sseReader) eventReady() bool {
	if len(s.lines) > 0 {
		return true
	}
	n := s.r.Buffered()
	if n == 0 {
		return false
	}
	b, _ := s.r.Peek(n)
	return bytes.Contains(b, []byte("\n\n")) || bytes.Contains(b, []byte("\r\n\r\n")) || bytes.Contains(b, []byte("\r\r"))
}

// rawBytes returns the event's bytes as received, or nil if they cannot be
// told apart from the next event's.
func (s *sseReader) rawBytes(trim bool) []byte {
	if s.loneCR {
		return nil
	}
	b := s.raw.Bytes()
	if trim {
		b = bytes.TrimRight(b, "\r\n")
	}
	return bytes.Clone(b)
}

// readLine reads one line without its ending, appending the raw bytes to
// s.raw. Lines end in \n, \r\n or a lone \r, as the SSE specification
// allows; a chunk read up to \n may hold several lines split by lone \r.
func (s *sseReader) readLine() ([]byte, error) {
	if len(s.lines) > 0 {
		l := s.lines[0]
		s.lines = s.lines[1:]
		return l, nil
	}
	var chunk []byte
	for {
		frag, err := s.r.ReadSlice('\n')
		s.raw.Write(frag)
		if s.raw.Len() > maxEventSize {
			return nil, errEventTooLarge
		}
		chunk = append(chunk, frag...)
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil && (len(chunk) == 0 || !errors.Is(err, io.EOF)) {
			return nil, err
		}
		break
	}
	chunk = bytes.TrimSuffix(chunk, []byte("\n"))
	chunk = bytes.TrimSuffix(chunk, []byte("\r"))
	if bytes.IndexByte(chunk, '\r') < 0 {
		return chunk, nil
	}
	s.loneCR = true
	parts := bytes.Split(chunk, []byte("\r"))
	s.lines = append(s.lines, parts[1:]...)
	return parts[0], nil
}

// writeEvent writes an event with the given name (may be empty) and data.
func writeEvent(w io.Writer, name string, data []byte) error {
	var b bytes.Buffer
	b.Grow(len(data) + len(name) + 16)
	if name != "" {
		b.WriteString("event: ")
		b.WriteString(name)
		b.WriteByte('\n')
	}
	for _, line := range bytes.Split(data, []byte("\n")) {
		b.WriteString("data: ")
		b.Write(line)
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	_, err := w.Write(b.Bytes())
	return err
}

// writeRaw relays an event as received (or anew from its fields when its
// raw bytes are not known).
func writeRaw(w io.Writer, ev *event) error {
	if ev.Raw == nil {
		return writeEvent(w, ev.Name, ev.Data)
	}
	if _, err := w.Write(ev.Raw); err != nil {
		return err
	}
	_, err := w.Write([]byte("\n\n"))
	return err
}
