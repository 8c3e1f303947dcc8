package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/wardenhq/warden/wardentest"
)

func TestHealthExitsZeroForAReadyServer(t *testing.T) {
	s := wardentest.Start(t)
	code, out, errs := newCLI(t, nil).run("", "health", "--url", s.URL)
	if code != 0 || strings.TrimSpace(out) != "ok" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errs)
	}
}

func TestHealthExitsOneWhenNotHealthy(t *testing.T) {
	starting := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte(`{"status":"starting"}`))
	}))
	defer starting.Close()
	notWarden := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`hello`))
	}))
	defer notWarden.Close()
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	for name, url := range map[string]string{"starting": starting.URL, "not Warden": notWarden.URL, "down": down.URL} {
		code, _, errs := newCLI(t, nil).run("", "health", "--url", url)
		if code != 1 || !strings.Contains(errs, "health:") {
			t.Errorf("%s: exit %d, stderr %q", name, code, errs)
		}
	}
}

func TestHealthURLComesFromTheServersOwnSettings(t *testing.T) {
	for _, tc := range []struct {
		vars map[string]string
		want string
	}{
		{nil, "http://127.0.0.1:8700"},
		{map[string]string{"WARDEN_LISTEN": "127.0.0.1:9000"}, "http://127.0.0.1:9000"},
		{map[string]string{"WARDEN_LISTEN": ":9000"}, "http://127.0.0.1:9000"},
		{map[string]string{"WARDEN_ADDR": "https://warden:8700", "WARDEN_LISTEN": ":1"}, "https://warden:8700"},
	} {
		c := newCLI(t, tc.vars)
		e := &env{getenv: func(k string) string { return c.vars[k] }}
		if got := healthURL(e); got != tc.want {
			t.Errorf("%v: %s, want %s", tc.vars, got, tc.want)
		}
	}
}
