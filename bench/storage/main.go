// Command storage measures Warden's encrypted data plane against the disk it
// runs on: encrypted PUT+GET of a file through a real server process, as a
// ratio to a plain file copy plus read-back on the same disk in the same run,
// and the server's peak RSS (VmHWM) while streaming.
//
//	go run ./bench/storage -size 1GiB -rounds 3
//
// Both sides pay for an fsync of the written data, and rounds alternate so
// that disk and page-cache effects fall on both alike. Timings vary from run
// to run on a shared machine; the ratio within one run is what is reported.
package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/wardenhq/warden/apiv1"
	"github.com/wardenhq/warden/client"
	"github.com/wardenhq/warden/keyring"
)

func main() {
	size := flag.String("size", "1GiB", "file size (KiB, MiB, GiB suffixes)")
	rounds := flag.Int("rounds", 7, "rounds; the median is reported")
	dir := flag.String("dir", "", "working folder on the disk to measure (default: a temp dir)")
	bin := flag.String("warden", "", "warden binary (default: build ./cmd/warden)")
	asJSON := flag.Bool("json", false, "print JSON")
	flag.Parse()
	n, err := parseSize(*size)
	if err != nil {
		fail(err)
	}
	if *dir == "" {
		if *dir, err = os.MkdirTemp("", "warden-bench-"); err != nil {
			fail(err)
		}
		defer os.RemoveAll(*dir)
	}
	if *bin == "" {
		*bin = filepath.Join(*dir, "warden")
		if out, err := exec.Command("go", "build", "-o", *bin, "./cmd/warden").CombinedOutput(); err != nil {
			fail(fmt.Errorf("build: %v\n%s", err, out))
		}
	}
	canDrop := unix.Access("/proc/sys/vm/drop_caches", unix.W_OK) == nil
	res, err := measure(*bin, *dir, n, *rounds, canDrop)
	if err != nil {
		fail(err)
	}
	if *asJSON {
		json.NewEncoder(os.Stdout).Encode(res)
		return
	}
	fmt.Printf("file size            %s\n", *size)
	fmt.Printf("rounds               %d (median)\n", *rounds)
	fmt.Printf("page cache           %s\n", map[bool]string{true: "dropped before each side", false: "NOT dropped (needs root): expect more noise"}[canDrop])
	fmt.Printf("plain copy+read      %.0f MB/s\n", res.PlainMBps)
	fmt.Printf("plain HTTP PUT+GET   %.0f MB/s\n", res.HTTPMBps)
	fmt.Printf("warden PUT+GET       %.0f MB/s\n", res.WardenMBps)
	fmt.Printf("ratio to plain copy  %.2f (goal >= 0.70)\n", res.Ratio)
	fmt.Printf("ratio to plain HTTP  %.2f\n", res.RatioHTTP)
	fmt.Printf("server peak RSS      %.1f MB (goal < 64 MB)\n", res.PeakRSSMB)
}

// Result is one run's figures.
type Result struct {
	Bytes      int64     `json:"bytes"`
	PlainMBps  float64   `json:"plain_mbps"`
	WardenMBps float64   `json:"warden_mbps"`
	Ratio      float64   `json:"ratio"`
	Ratios     []float64 `json:"ratios"`
	HTTPMBps   float64   `json:"plain_http_mbps"`
	RatioHTTP  float64   `json:"ratio_http"`
	PeakRSSMB  float64   `json:"peak_rss_mb"`

	CachesDropped bool `json:"caches_dropped"`
}

// settle gives each measured side the same start: earlier writes flushed,
// the page cache emptied (when allowed) so no side pays for reclaiming the
// other's pages, and the source file read back into the cache.
func settle(src string, drop bool) error {
	unix.Sync()
	if drop {
		if err := os.WriteFile("/proc/sys/vm/drop_caches", []byte("3"), 0); err != nil {
			return fmt.Errorf("drop caches: %w", err)
		}
	}
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.CopyBuffer(writerOnly{io.Discard}, f, make([]byte, 1<<20))
	return err
}

func measure(bin, dir string, n int64, rounds int, dropCaches bool) (*Result, error) {
	src := filepath.Join(dir, "src.bin")
	if err := writeRandom(src, n); err != nil {
		return nil, err
	}
	srv, err := startServer(bin, dir)
	if err != nil {
		return nil, err
	}
	defer srv.stop()
	ctx := context.Background()
	if _, err := srv.admin.CreateWorkspace(ctx, "bench", "internal"); err != nil {
		return nil, err
	}
	res := &Result{Bytes: n, CachesDropped: dropCaches}
	ph, err := startPlainHTTP(filepath.Join(dir, "plainhttp"))
	if err != nil {
		return nil, err
	}
	defer ph.close()
	hc := &http.Client{Transport: &http.Transport{WriteBufferSize: 1 << 20, ReadBufferSize: 1 << 20}}
	var plain, warden, plainHTTP []float64
	for i := range rounds {
		// Alternate which side goes first, so that neither always inherits
		// the other's dirty pages.
		var p, w time.Duration
		plainSide := func() (err error) {
			p, err = plainCopy(src, filepath.Join(dir, "copy-"+strconv.Itoa(i)+".bin"))
			return err
		}
		var h time.Duration
		httpSide := func() (err error) {
			h, err = ph.putGet(hc, src, "round-"+strconv.Itoa(i), n)
			return err
		}
		wardenSide := func() (err error) {
			w, err = wardenPutGet(ctx, srv.admin, src, "round-"+strconv.Itoa(i), n)
			return err
		}
		sides := []func() error{plainSide, httpSide, wardenSide}
		if i%2 == 1 {
			slices.Reverse(sides)
		}
		for _, side := range sides {
			if err := settle(src, dropCaches); err != nil {
				return nil, err
			}
			if err := side(); err != nil {
				return nil, err
			}
		}
		plain, warden, plainHTTP = append(plain, p.Seconds()), append(warden, w.Seconds()), append(plainHTTP, h.Seconds())
		res.Ratios = append(res.Ratios, p.Seconds()/w.Seconds())
		fmt.Fprintf(os.Stderr, "round %d: plain copy %.2fs, plain HTTP %.2fs, warden %.2fs, ratio %.2f\n", i+1, p.Seconds(), h.Seconds(), w.Seconds(), p.Seconds()/w.Seconds())
	}
	res.PlainMBps = float64(n) / 1e6 / median(plain)
	res.WardenMBps = float64(n) / 1e6 / median(warden)
	res.Ratio = median(res.Ratios)
	res.HTTPMBps = float64(n) / 1e6 / median(plainHTTP)
	res.RatioHTTP = median(plainHTTP) / median(warden)
	hwm, err := peakRSS(srv.cmd.Process.Pid)
	if err != nil {
		return nil, err
	}
	res.PeakRSSMB = float64(hwm) / 1e6
	return res, nil
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

func writeRandom(path string, n int64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := io.CopyN(f, rand.Reader, n); err != nil {
		return err
	}
	return f.Sync()
}

// plainCopy is the baseline: copy src to a new file dst and fsync it (as an
// acknowledged upload is), then read dst back. Like Warden, which keeps every
// version, it writes a new file each round rather than reusing blocks.
func plainCopy(src, dst string) (time.Duration, error) {
	start := time.Now()
	in, err := os.Open(src)
	if err != nil {
		return 0, err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return 0, err
	}
	if _, err := io.Copy(out, in); err != nil {
		return 0, err
	}
	if err := out.Sync(); err != nil {
		return 0, err
	}
	out.Close()
	back, err := os.Open(dst)
	if err != nil {
		return 0, err
	}
	defer back.Close()
	if _, err := io.Copy(io.Discard, back); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}

func wardenPutGet(ctx context.Context, c *client.Client, src, name string, n int64) (time.Duration, error) {
	cpu0 := cpuSeconds(serverPid)
	start := time.Now()
	in, err := os.Open(src)
	if err != nil {
		return 0, err
	}
	defer in.Close()
	if _, err := c.PutFile(ctx, "bench", name, in, n); err != nil {
		return 0, err
	}
	put := time.Since(start)
	cpu1 := cpuSeconds(serverPid)
	resp, err := c.GetFile(ctx, "bench", name, 0)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	got, err := io.CopyBuffer(writerOnly{io.Discard}, resp.Body, make([]byte, 1<<20))
	if err != nil {
		return 0, err
	}
	if got != n {
		return 0, fmt.Errorf("read back %d of %d bytes", got, n)
	}
	fmt.Fprintf(os.Stderr, "  put %.2fs (server cpu %.2fs) get %.2fs (server cpu %.2fs)\n", put.Seconds(), cpu1-cpu0, (time.Since(start) - put).Seconds(), cpuSeconds(serverPid)-cpu1)
	return time.Since(start), nil
}

type server struct {
	cmd   *exec.Cmd
	admin *client.Client
}

func startServer(bin, dir string) (*server, error) {
	data := filepath.Join(dir, "data")
	tokFile := filepath.Join(dir, "admin.token")
	os.RemoveAll(data)
	os.Remove(tokFile)
	env := append(os.Environ(), "WARDEN_MASTER_KEY="+keyring.EncodeMasterKey(keyring.GenerateMasterKey()), "WARDEN_LOG_LEVEL=warn")
	initCmd := exec.Command(bin, "init", "--data", data, "--token-file", tokFile)
	initCmd.Env = env
	if out, err := initCmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("init: %v\n%s", err, out)
	}
	tok, err := os.ReadFile(tokFile)
	if err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "serve", "--data", data, "--listen", "127.0.0.1:"+port, "--egress-listen", "off", "--allow-root")
	cmd.Env = env
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	serverPid = cmd.Process.Pid
	addr := "http://127.0.0.1:" + port
	// net/http's default 4 KiB transport buffers would turn the upload into
	// a quarter of a million small writes; size them like curl does.
	hc := &http.Client{Transport: &http.Transport{WriteBufferSize: 1 << 20, ReadBufferSize: 1 << 20}}
	c, _ := client.New(addr, strings.TrimSpace(string(tok)), hc)
	for range 200 {
		var h *apiv1.Health
		if h, err = c.Health(context.Background()); err == nil && h.Status == "ok" {
			return &server{cmd: cmd, admin: c}, nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	cmd.Process.Kill()
	return nil, fmt.Errorf("server did not start: %v", err)
}

func (s *server) stop() {
	s.cmd.Process.Signal(os.Interrupt)
	s.cmd.Wait()
}

func freePort() (string, error) {
	l, err := netListen()
	if err != nil {
		return "", err
	}
	defer l.Close()
	_, port, _ := strings.Cut(l.Addr().String(), ":")
	return port, nil
}

// peakRSS reads VmHWM (bytes) of a process from /proc.
func peakRSS(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb * 1024, err
		}
	}
	return 0, fmt.Errorf("no VmHWM for pid %d", pid)
}

func parseSize(s string) (int64, error) {
	mult := int64(1)
	for suf, m := range map[string]int64{"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30} {
		if strings.HasSuffix(s, suf) {
			s, mult = strings.TrimSuffix(s, suf), m
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("bad size %q", s)
	}
	return n * mult, nil
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "bench:", err)
	os.Exit(1)
}

var serverPid int

// cpuSeconds returns the user+system CPU time of a process.
func cpuSeconds(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	u, _ := strconv.ParseFloat(f[11], 64)
	s, _ := strconv.ParseFloat(f[12], 64)
	return (u + s) / 100
}

// writerOnly hides io.Discard's ReadFrom, which would read in 8 KiB pieces.
type writerOnly struct{ io.Writer }
