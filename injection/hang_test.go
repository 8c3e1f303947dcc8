package injection

import (
	"os"
	"runtime"
	"testing"
	"time"
)

func FuzzHang(f *testing.F) {
	for _, r := range textRules.rules {
		for _, s := range r.tp {
			f.Add(s)
		}
	}
	f.Add("\u202Eabc\u202C")
	d := New(Options{})
	f.Fuzz(func(t *testing.T, text string) {
		done := make(chan bool)
		go func() {
			select {
			case <-done:
			case <-time.After(3 * time.Second):
				os.WriteFile("/tmp/hang_input.bin", []byte(text), 0o644)
				buf := make([]byte, 1<<20)
				n := runtime.Stack(buf, true)
				os.WriteFile("/tmp/hang_stack.txt", buf[:n], 0o644)
				os.Exit(3)
			}
		}()
		d.scanText(text)
		close(done)
	})
}
