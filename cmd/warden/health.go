package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/wardenhq/warden/apiv1"
)

// healthCmd probes a server's /healthz, so a container healthcheck needs
// no shell or curl in an image that has neither.
func healthCmd(e *env) *cobra.Command {
	var url string
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "health",
		Short: "Exit 0 if the Warden server answers /healthz with ok, 1 if not (for container healthchecks)",
		Long: `GET <url>/healthz and exit 0 when it answers 200 {"status":"ok"}, 1
otherwise (starting, unreachable, anything else), with one line saying why.
The URL defaults to WARDEN_ADDR, else http:// and WARDEN_LISTEN, else
http://127.0.0.1:8700.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if url == "" {
				url = healthURL(e)
			}
			status, err := probeHealth(cmd.Context(), strings.TrimRight(url, "/")+"/healthz", timeout)
			if err != nil {
				return &exitError{code: 1, err: err}
			}
			fmt.Fprintln(e.stdout, status)
			return nil
		},
	}
	cmd.Flags().StringVar(&url, "url", "", "Warden's base URL (default $WARDEN_ADDR, or http://$WARDEN_LISTEN, or http://127.0.0.1:8700)")
	cmd.Flags().DurationVar(&timeout, "timeout", 3*time.Second, "give up after this long")
	return cmd
}

// healthURL is the address a probe inside the server's own container or
// unit reaches it at.
func healthURL(e *env) string {
	if a := e.getenv("WARDEN_ADDR"); a != "" {
		return a
	}
	if l := e.getenv("WARDEN_LISTEN"); l != "" {
		if strings.HasPrefix(l, ":") || strings.HasPrefix(l, "0.0.0.0:") {
			l = "127.0.0.1:" + l[strings.LastIndex(l, ":")+1:]
		}
		return "http://" + l
	}
	return "http://127.0.0.1:8700"
}

// probeHealth GETs a /healthz URL and returns its status, or why it is not
// healthy.
func probeHealth(ctx context.Context, url string, timeout time.Duration) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", fmt.Errorf("health: %w", err)
	}
	client := &http.Client{Timeout: timeout}
	resp, err := client.Do(req)
	if err != nil {
		return "", fmt.Errorf("health: %w", err)
	}
	defer resp.Body.Close()
	var h apiv1.Health
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if err := json.Unmarshal(body, &h); err != nil {
		return "", fmt.Errorf("health: %s answered %d with no health status", url, resp.StatusCode)
	}
	if resp.StatusCode != http.StatusOK || h.Status != "ok" {
		return "", fmt.Errorf("health: %s answered %d %q", url, resp.StatusCode, h.Status)
	}
	return h.Status, nil
}
