package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

// plainHTTP is a second baseline: the least an HTTP file server can do. PUT
// streams the body to a new file and fsyncs it; GET serves the file with
// http.ServeContent (sendfile). No auth, no encryption, no audit. The gap
// between it and Warden is what Warden's protections cost; the gap between it
// and the plain copy is what HTTP over loopback costs.
type plainHTTP struct {
	dir string
	srv *http.Server
	url string
}

func startPlainHTTP(dir string) (*plainHTTP, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &plainHTTP{dir: dir, url: "http://" + ln.Addr().String()}
	p.srv = &http.Server{Handler: http.HandlerFunc(p.serve), ReadHeaderTimeout: 10 * time.Second}
	go p.srv.Serve(ln)
	return p, nil
}

func (p *plainHTTP) serve(w http.ResponseWriter, r *http.Request) {
	path := filepath.Join(p.dir, filepath.Base(r.URL.Path))
	switch r.Method {
	case "PUT":
		f, err := os.Create(path)
		if err == nil {
			_, err = io.Copy(f, r.Body)
		}
		if err == nil {
			err = f.Sync()
		}
		if f != nil {
			f.Close()
		}
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		w.WriteHeader(201)
	case "GET":
		f, err := os.Open(path)
		if err != nil {
			http.Error(w, err.Error(), 404)
			return
		}
		defer f.Close()
		fi, _ := f.Stat()
		http.ServeContent(w, r, "", fi.ModTime(), f)
	}
}

func (p *plainHTTP) putGet(hc *http.Client, src, name string, n int64) (time.Duration, error) {
	start := time.Now()
	in, err := os.Open(src)
	if err != nil {
		return 0, err
	}
	defer in.Close()
	req, _ := http.NewRequest("PUT", p.url+"/"+name, in)
	req.ContentLength = n
	resp, err := hc.Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 201 {
		return 0, fmt.Errorf("plain PUT: %s", resp.Status)
	}
	resp, err = hc.Get(p.url + "/" + name)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	got, err := io.CopyBuffer(writerOnly{io.Discard}, resp.Body, make([]byte, 1<<20))
	if err != nil || got != n {
		return 0, fmt.Errorf("plain GET: %d of %d bytes, %v", got, n, err)
	}
	return time.Since(start), nil
}

func (p *plainHTTP) close() { p.srv.Close() }
