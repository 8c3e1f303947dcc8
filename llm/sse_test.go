package llm

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

type sseWant struct {
	name string
	data string
	raw  string // checked when not empty
}

func readAllEvents(t *testing.T, r io.Reader) []*event {
	t.Helper()
	rd := newSSEReader(r)
	var out []*event
	for {
		ev, err := rd.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		out = append(out, ev)
		if len(out) > 1000 {
			t.Fatal("reader does not end")
		}
	}
}

func TestSSEReader(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []sseWant
	}{
		{
			name: "LF",
			in:   "data: a\n\ndata: b\n\n",
			want: []sseWant{{data: "a", raw: "data: a"}, {data: "b", raw: "data: b"}},
		},
		{
			name: "CRLF",
			in:   "event: x\r\ndata: a\r\n\r\ndata: b\r\n\r\n",
			want: []sseWant{{name: "x", data: "a"}, {data: "b"}},
		},
		{
			name: "bare CR line endings",
			in:   "event: x\rdata: a\r\rdata: b\r\r",
			want: []sseWant{{name: "x", data: "a"}, {data: "b"}},
		},
		{
			name: "multi-line data joined by LF",
			in:   "data: one\ndata: two\ndata:three\n\n",
			want: []sseWant{{data: "one\ntwo\nthree"}},
		},
		{
			name: "empty data lines kept",
			in:   "data\ndata:\ndata: \n\n",
			want: []sseWant{{data: "\n\n"}},
		},
		{
			name: "only one leading space stripped",
			in:   "data:  two spaces\n\n",
			want: []sseWant{{data: " two spaces"}},
		},
		{
			name: "colon in the value",
			in:   "data: {\"a\":\"b: c\"}\n\n",
			want: []sseWant{{data: `{"a":"b: c"}`}},
		},
		{
			name: "comment inside an event is kept in Raw only",
			in:   ": keep-alive\ndata: a\n\n",
			want: []sseWant{{data: "a", raw: ": keep-alive\ndata: a"}},
		},
		{
			name: "comment on its own passes through as an event without data",
			in:   ": ping\n\ndata: a\n\n",
			want: []sseWant{{data: "", raw: ": ping"}, {data: "a"}},
		},
		{
			name: "missing final blank line",
			in:   "data: a\n\ndata: last",
			want: []sseWant{{data: "a"}, {data: "last"}},
		},
		{
			name: "missing final blank line after newline",
			in:   "event: message_stop\ndata: {}\n",
			want: []sseWant{{name: "message_stop", data: "{}"}},
		},
		{
			name: "event names",
			in:   "event: message_start\ndata: {\"type\":\"message_start\"}\n\nevent:content_block_delta\ndata: {}\n\n",
			want: []sseWant{{name: "message_start", data: `{"type":"message_start"}`}, {name: "content_block_delta", data: "{}"}},
		},
		{
			name: "extra blank lines between events",
			in:   "\n\n\ndata: a\n\n\n\ndata: b\n\n",
			want: []sseWant{{data: "a"}, {data: "b"}},
		},
		{
			name: "unknown fields ignored",
			in:   "id: 7\nretry: 100\nfoo: bar\ndata: a\n\n",
			want: []sseWant{{data: "a", raw: "id: 7\nretry: 100\nfoo: bar\ndata: a"}},
		},
		{
			name: "DONE",
			in:   "data: {\"x\":1}\n\ndata: [DONE]\n\n",
			want: []sseWant{{data: `{"x":1}`}, {data: "[DONE]"}},
		},
		{
			name: "empty stream",
			in:   "",
		},
		{
			name: "only blank lines",
			in:   "\n\r\n\n",
		},
		{
			name: "line longer than the read buffer",
			in:   "data: " + strings.Repeat("x", 100<<10) + "\n\n",
			want: []sseWant{{data: strings.Repeat("x", 100<<10)}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Whole, and one byte at a time (as a slow upstream sends it).
			for _, mode := range []string{"whole", "byte by byte"} {
				var r io.Reader = strings.NewReader(tt.in)
				if mode != "whole" {
					r = iotest.OneByteReader(r)
				}
				got := readAllEvents(t, r)
				if len(got) != len(tt.want) {
					t.Fatalf("%s: got %d events, want %d: %s", mode, len(got), len(tt.want), describeEvents(got))
				}
				for i, w := range tt.want {
					if got[i].Name != w.name || string(got[i].Data) != w.data {
						t.Errorf("%s: event %d = {name %q data %q}, want {name %q data %q}", mode, i, got[i].Name, got[i].Data, w.name, w.data)
					}
					if w.raw != "" && string(got[i].Raw) != w.raw {
						t.Errorf("%s: event %d raw = %q, want %q", mode, i, got[i].Raw, w.raw)
					}
				}
			}
		})
	}
}

func TestSSEReaderEventTooLarge(t *testing.T) {
	in := "data: " + strings.Repeat("x", maxEventSize+10) + "\n\n"
	_, err := newSSEReader(strings.NewReader(in)).Next()
	if !errors.Is(err, errEventTooLarge) {
		t.Fatalf("Next = %v, want errEventTooLarge", err)
	}
}

func TestSSEWriteRawRoundTrip(t *testing.T) {
	for _, in := range []string{
		"event: a\r\ndata: 1\r\n\r\n: c\ndata: 2\n\n",
		"event: a\rdata: 1\r\r: c\rdata: 2\r\r",
		"data: 1\n\nevent: b\rdata: 2\r\rdata: 3",
	} {
		sseRawRoundTrip(t, in)
	}
}

func sseRawRoundTrip(t *testing.T, in string) {
	t.Helper()
	evs := readAllEvents(t, strings.NewReader(in))
	if len(evs) == 0 {
		t.Fatalf("no events in %q", in)
	}
	var b bytes.Buffer
	for _, ev := range evs {
		if err := writeRaw(&b, ev); err != nil {
			t.Fatal(err)
		}
	}
	again := readAllEvents(t, &b)
	if len(again) != len(evs) {
		t.Fatalf("%q: re-read %d events, want %d", in, len(again), len(evs))
	}
	for i := range evs {
		if again[i].Name != evs[i].Name || !bytes.Equal(again[i].Data, evs[i].Data) {
			t.Errorf("%q: event %d changed by writeRaw: %q/%q → %q/%q", in, i, evs[i].Name, evs[i].Data, again[i].Name, again[i].Data)
		}
	}
}

func describeEvents(evs []*event) string {
	var b strings.Builder
	for _, ev := range evs {
		b.WriteString("{" + ev.Name + "|" + string(ev.Data) + "} ")
	}
	return b.String()
}

// FuzzSSEReader: the reader never panics, and each event it reads, written
// again with writeEvent and read back, has the same name and data.
func FuzzSSEReader(f *testing.F) {
	for _, s := range []string{
		"data: a\n\n",
		"event: x\r\ndata: a\r\n\r\n",
		"data: one\ndata: two\n\n",
		": comment\n\ndata: b",
		"event: message_start\ndata: {\"type\":\"message_start\"}\n\n",
		"data:\n\ndata\n\n",
		"\r\r\n\n\rdata: x\r",
		"event:  spaced \ndata:  v \n\n",
		"data: [DONE]\n\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		rd := newSSEReader(strings.NewReader(in))
		for n := 0; ; n++ {
			if n > len(in)+1 {
				t.Fatalf("more events than input bytes")
			}
			ev, err := rd.Next()
			if err != nil {
				if !errors.Is(err, io.EOF) {
					t.Fatalf("Next: %v", err)
				}
				return
			}
			// Written anew (writeEvent) and relayed as received (writeRaw),
			// the event reads back the same.
			for _, how := range []string{"writeEvent", "writeRaw"} {
				var b bytes.Buffer
				var err error
				if how == "writeEvent" {
					err = writeEvent(&b, ev.Name, ev.Data)
				} else {
					err = writeRaw(&b, ev)
				}
				if err != nil {
					t.Fatal(err)
				}
				back, err := newSSEReader(&b).Next()
				if err != nil {
					t.Fatalf("%s: re-reading %q (from name %q data %q): %v", how, b.String(), ev.Name, ev.Data, err)
				}
				if back.Name != ev.Name || !bytes.Equal(back.Data, ev.Data) {
					t.Fatalf("%s: round trip changed the event: name %q data %q → name %q data %q (written %q)", how, ev.Name, ev.Data, back.Name, back.Data, b.String())
				}
			}
		}
	})
}
