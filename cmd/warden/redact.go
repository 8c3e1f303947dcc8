package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/wardenhq/warden/app"
	"github.com/wardenhq/warden/config"
	"github.com/wardenhq/warden/dlp"
	"github.com/wardenhq/warden/injection"
)

// maxStdin bounds what the offline text commands read.
const maxStdin = 256 << 20

func readStdin(e *env) (string, error) {
	b, err := io.ReadAll(io.LimitReader(e.stdin, maxStdin+1))
	if err != nil {
		return "", fmt.Errorf("read stdin: %w", err)
	}
	if len(b) > maxStdin {
		return "", fmt.Errorf("stdin is larger than %d MiB", maxStdin>>20)
	}
	if !utf8.Valid(b) {
		return "", fmt.Errorf("stdin is not UTF-8 text")
	}
	return string(b), nil
}

// loadOfflineConfig reads the config file (--config, else WARDEN_CONFIG,
// else ./warden.yaml if present) with the WARDEN_* overrides.
func loadOfflineConfig(path string, e *env) (*config.Config, error) {
	if path == "" {
		path = e.getenv("WARDEN_CONFIG")
	}
	return config.Load(path, e.getenv)
}

func redactCmd(e *env) *cobra.Command {
	var cfgPath string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "redact",
		Short: "Replace sensitive values in stdin with placeholders, as the model plane does",
		Long: `Read text on stdin and write it to stdout with each detected value replaced
by a placeholder such as <EMAIL_1> (the same value gets the same placeholder),
following llm.dlp.actions from the config: mask replaces by [REDACTED TYPE],
allow leaves the value. A type whose action is block is replaced too, and the
command exits 1 to say the text could not be sent as it is.

--json prints {"text", "entities":[{"type","start","end","score"}]} with
offsets in Unicode code points of the input.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadOfflineConfig(cfgPath, e)
			if err != nil {
				return err
			}
			engine, err := app.NewDLP(cfg)
			if err != nil {
				return err
			}
			text, err := readStdin(e)
			if err != nil {
				return err
			}
			policy := cfg.LLM.DLPPolicy()
			blocked := map[dlp.Type]bool{}
			for t, a := range policy {
				if a == dlp.Block {
					blocked[t] = true
					policy[t] = dlp.Redact
				}
			}
			out, findings := engine.Redact(text, policy, dlp.NewVault())
			if asJSON {
				type entity struct {
					Type  dlp.Type `json:"type"`
					Start int      `json:"start"`
					End   int      `json:"end"`
					Score float64  `json:"score"`
				}
				res := struct {
					Text     string   `json:"text"`
					Entities []entity `json:"entities"`
				}{Text: out, Entities: []entity{}}
				cp := newCodePoints(text)
				for _, f := range findings {
					res.Entities = append(res.Entities, entity{Type: f.Type, Start: cp.at(f.Start), End: cp.at(f.End), Score: float64(int(f.Score*100+0.5)) / 100})
				}
				enc := json.NewEncoder(e.stdout)
				enc.SetIndent("", "  ")
				if err := enc.Encode(res); err != nil {
					return err
				}
			} else {
				fmt.Fprint(e.stdout, out)
			}
			var hit []string
			for _, f := range findings {
				if blocked[f.Type] {
					hit = append(hit, strings.ToLower(string(f.Type)))
				}
			}
			if len(hit) > 0 {
				return &exitError{code: 1, err: fmt.Errorf("found %s, whose action is block", strings.Join(dedupe(hit), ", "))}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&cfgPath, "config", "", "config file for llm.dlp settings (env WARDEN_CONFIG)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the text and the entities as JSON")
	return cmd
}

// codePoints converts byte offsets of a string into code point offsets.
type codePoints struct{ s string }

func newCodePoints(s string) codePoints { return codePoints{s} }

func (c codePoints) at(byteOff int) int { return utf8.RuneCountInString(c.s[:byteOff]) }

func dedupe(ss []string) []string {
	seen := map[string]bool{}
	out := ss[:0]
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

func scanCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "scan",
		Short: "Offline scanners",
	}
	cmd.AddCommand(scanPromptCmd(e), scanSkillCmd(e), scanDepsCmd(e), scanSecretsCmd(e))
	return cmd
}

func scanPromptCmd(e *env) *cobra.Command {
	var asJSON bool
	var threshold float64
	var failOn string
	cmd := &cobra.Command{
		Use:   "prompt",
		Short: "Score text on stdin for prompt injection, as the model plane scores tool results",
		Long: `Read text on stdin and score it for prompt injection: instruction overrides,
role-play jailbreaks, exfiltration instructions, hidden Unicode, encoded
payloads. Prints the score (0 to 1), the verdict (clean, suspicious,
injection) and the signals that matched; --json prints
{"score","verdict","signals":[{"id","score","start","end"}]} with offsets in
code points.

Exit code 1 when the verdict is at or above --fail-on (default injection).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if failOn != "injection" && failOn != "suspicious" && failOn != "none" {
				return fmt.Errorf("--fail-on: %q is not injection, suspicious or none", failOn)
			}
			if threshold <= 0 || threshold > 1 {
				return fmt.Errorf("--threshold: must be above 0 and at most 1")
			}
			text, err := readStdin(e)
			if err != nil {
				return err
			}
			res := injection.New(injection.Options{Threshold: threshold}).Scan(text)
			cp := newCodePoints(text)
			for i := range res.Signals {
				res.Signals[i].Start, res.Signals[i].End = cp.at(res.Signals[i].Start), cp.at(res.Signals[i].End)
			}
			if res.Signals == nil {
				res.Signals = []injection.Signal{}
			}
			if asJSON {
				enc := json.NewEncoder(e.stdout)
				enc.SetIndent("", "  ")
				if err := enc.Encode(res); err != nil {
					return err
				}
			} else {
				fmt.Fprintf(e.stdout, "score   %.2f\nverdict %s\n", res.Score, res.Verdict)
				for _, s := range res.Signals {
					fmt.Fprintf(e.stdout, "signal  %-36s %.2f  at %d-%d\n", s.ID, s.Score, s.Start, s.End)
				}
			}
			if failOn == "injection" && res.Verdict == injection.Verdict("injection") ||
				failOn == "suspicious" && res.Verdict != injection.Verdict("clean") {
				return &exitError{code: 1}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print score, verdict and signals as JSON")
	cmd.Flags().Float64Var(&threshold, "threshold", 0.5, "score at or above which the verdict is injection")
	cmd.Flags().StringVar(&failOn, "fail-on", "injection", "exit 1 at this verdict or above: injection, suspicious or none")
	return cmd
}
