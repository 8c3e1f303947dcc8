// Command gen makes the trees the secret-scanner benchmark runs on, and
// scores the scanners' reports against the seeded one's manifest.
//
//	gen tree -out DIR -files N -mb M      a large tree of source-like text
//	gen seeded -out DIR -manifest FILE    fake keys of many kinds, and where each is
//	gen score -manifest FILE -gitleaks REPORT -warden REPORT
//
// Everything is generated from fixed seeds: the same command makes the
// same bytes on every machine. The keys are random strings in the shapes
// gitleaks' rules describe; none is a real credential.
package main

import (
	"bufio"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"flag"
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: gen tree|seeded|score [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "tree":
		err = treeCmd(os.Args[2:])
	case "seeded":
		err = seededCmd(os.Args[2:])
	case "score":
		err = scoreCmd(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

const (
	upper      = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	lower      = "abcdefghijklmnopqrstuvwxyz"
	digits     = "0123456789"
	alnum      = upper + lower + digits
	lowerAlnum = lower + digits
	hexLower   = "0123456789abcdef"
	hexMixed   = "0123456789abcdefABCDEF"
)

// gen is a seeded source of text.
type gen struct{ r *rand.Rand }

func newGen(seed uint64) *gen { return &gen{rand.New(rand.NewPCG(seed, seed*31+7))} }

func (g *gen) str(alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[g.r.IntN(len(alphabet))]
	}
	return string(b)
}

func (g *gen) pick(words []string) string { return words[g.r.IntN(len(words))] }

// ---- the large tree -------------------------------------------------

var (
	nouns = []string{"user", "order", "item", "cache", "request", "response", "config", "session",
		"account", "buffer", "index", "record", "message", "handler", "client", "server", "token",
		"keyboard", "monkey", "payload", "router", "worker", "queue", "event", "policy", "secretary",
		"passwordField", "apiVersion", "authority", "credentialsProvider", "access", "key", "value"}
	verbs = []string{"get", "set", "load", "parse", "build", "send", "read", "write", "find",
		"update", "delete", "check", "validate", "render", "encode", "decode", "close", "open"}
	words = strings.Fields(`the a of to and in is it that for on with as this be by are from at or
		an not but have was if will can more when which one all their there been has would what
		so up out about into than them these some could other time then its only new first any
		may should each must value field request returns error user data cache token key file`)
	idNames = []string{"id", "requestId", "traceId", "uuid", "parent", "correlationId", "orderId"}
	exts    = []string{".go", ".py", ".js", ".ts", ".yaml", ".json", ".md", ".java", ".rb", ".log", ".toml", ".sh"}
)

func ident(g *gen) string {
	n := g.pick(nouns)
	return g.pick(verbs) + strings.ToUpper(n[:1]) + n[1:]
}

// line writes one line of source-like text in the style of ext.
func line(g *gen, w *bufio.Writer) {
	switch n := g.r.IntN(20); {
	case n < 4:
		fmt.Fprintf(w, "// %s %s %s %s %s %s %s\n", g.pick(words), g.pick(words), g.pick(nouns), g.pick(words), g.pick(words), g.pick(words), g.pick(words))
	case n < 8:
		fmt.Fprintf(w, "\t%s := %s(%s, %d)\n", g.pick(nouns), ident(g), g.pick(nouns), g.r.IntN(10000))
	case n < 10:
		fmt.Fprintf(w, "\tif err := %s.%s(ctx); err != nil {\n\t\treturn fmt.Errorf(\"%s %s: %%w\", err)\n\t}\n", g.pick(nouns), ident(g), g.pick(verbs), g.pick(nouns))
	case n < 12:
		fmt.Fprintf(w, "  %s: %q\n", g.pick(nouns), g.pick(words)+" "+g.pick(words)+" "+g.pick(nouns))
	case n < 13:
		// Hashes and ids, as lock files and logs hold: random, but not
		// secrets to any rule.
		fmt.Fprintf(w, "%s commit %s by %s %s\n", g.pick(nouns), g.str(hexLower, 40), g.pick(words), g.str(digits, 10))
	case n < 14:
		fmt.Fprintf(w, "\"%s\": \"%s-%s-%s-%s-%s\",\n", g.pick(idNames), g.str(hexLower, 8), g.str(hexLower, 4), g.str(hexLower, 4), g.str(hexLower, 4), g.str(hexLower, 12))
	case n < 16:
		fmt.Fprintf(w, "func %s(%s %s) (%s, error) {\n", ident(g), g.pick(nouns), g.pick(nouns), g.pick(nouns))
	case n < 17:
		fmt.Fprintf(w, "%s = %s.%s[%d] + %s\n", g.pick(nouns), g.pick(nouns), g.pick(nouns), g.r.IntN(64), g.pick(nouns))
	case n < 18:
		fmt.Fprintf(w, "%s level=info msg=%q %s=%d duration=%dms\n", "2025-01-02T03:04:05Z", g.pick(verbs)+" "+g.pick(nouns), g.pick(nouns), g.r.IntN(1000), g.r.IntN(900))
	default:
		fmt.Fprintf(w, "\n")
	}
}

func treeCmd(args []string) error {
	fs := flag.NewFlagSet("tree", flag.ExitOnError)
	out := fs.String("out", "", "folder to write")
	files := fs.Int("files", 20000, "number of files")
	mb := fs.Int("mb", 200, "total size in MB, about")
	fs.Parse(args)
	if *out == "" {
		return fmt.Errorf("tree: -out is required")
	}
	g := newGen(1)
	per := *mb << 20 / *files
	for i := range *files {
		dir := filepath.Join(*out, fmt.Sprintf("pkg%03d", i%200), fmt.Sprintf("mod%02d", (i/200)%50))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		ext := exts[i%len(exts)]
		if err := writeFile(filepath.Join(dir, fmt.Sprintf("file%05d%s", i, ext)), func(w *bufio.Writer) {
			// Sizes vary from a quarter to 1.75 times the mean.
			size := per/4 + g.r.IntN(per*3/2)
			for w.Buffered() < size {
				line(g, w)
			}
		}); err != nil {
			return err
		}
	}
	return nil
}

func writeFile(name string, fill func(*bufio.Writer)) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 8<<20)
	fill(w)
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// ---- the seeded tree --------------------------------------------------

// family is a kind of key: the gitleaks rule that describes it (or Warden's
// for wdn_), and how to write one in context.
type family struct {
	rule string
	make func(g *gen) string // one line holding one key
}

func families() []family {
	q := func(name, v string) string { return fmt.Sprintf("%s = \"%s\"", name, v) }
	return []family{
		{"aws-access-token", func(g *gen) string { return "AWS_ACCESS_KEY_ID=AKIA" + g.str("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16) }},
		{"github-pat", func(g *gen) string { return "GITHUB_TOKEN=ghp_" + g.str(alnum, 36) }},
		{"github-oauth", func(g *gen) string { return q("oauth", "gho_"+g.str(alnum, 36)) }},
		{"github-app-token", func(g *gen) string { return q("installation", "ghs_"+g.str(alnum, 36)) }},
		{"github-refresh-token", func(g *gen) string { return q("refresh", "ghr_"+g.str(alnum, 36)) }},
		{"github-fine-grained-pat", func(g *gen) string { return "GH_PAT=github_pat_" + g.str(alnum+"_", 82) }},
		{"gitlab-pat", func(g *gen) string { return "GITLAB_TOKEN=glpat-" + g.str(alnum, 20) }},
		{"slack-bot-token", func(g *gen) string {
			return q("slack_bot", "xoxb-"+g.str(digits, 12)+"-"+g.str(digits, 13)+"-"+g.str(alnum, 24))
		}},
		{"slack-webhook-url", func(g *gen) string {
			return "webhook: https://hooks.slack.com/services/T" + g.str(upper+digits, 8) + "/B" + g.str(upper+digits, 8) + "/" + g.str(alnum, 24)
		}},
		{"stripe-access-token", func(g *gen) string { return q("stripe.api_key", "sk_live_"+g.str(alnum, 24)) }},
		{"gcp-api-key", func(g *gen) string { return q("maps_key", "AIza"+g.str(alnum+"-_", 35)) }},
		{"openai-api-key", func(g *gen) string { return "OPENAI_API_KEY=sk-" + g.str(alnum, 20) + "T3BlbkFJ" + g.str(alnum, 20) }},
		{"anthropic-api-key", func(g *gen) string { return "ANTHROPIC_API_KEY=sk-ant-api03-" + g.str(alnum+"_-", 93) + "AA" }},
		{"npm-access-token", func(g *gen) string { return "//registry.npmjs.org/:_authToken=npm_" + g.str(lowerAlnum, 36) }},
		{"pypi-upload-token", func(g *gen) string { return "password = pypi-AgEIcHlwaS5vcmc" + g.str(alnum+"_-", 70) }},
		{"sendgrid-api-token", func(g *gen) string { return q("sendgrid", "SG."+g.str(alnum+"_-", 22)+"."+g.str(alnum+"_-", 43)) }},
		{"twilio-api-key", func(g *gen) string { return q("twilio_sid", "SK"+g.str(hexLower, 32)) }},
		{"mailgun-private-api-token", func(g *gen) string { return q("mailgun_api_key", "key-"+g.str(hexLower, 32)) }},
		{"shopify-access-token", func(g *gen) string { return q("shopify", "shpat_"+g.str(hexMixed, 32)) }},
		{"digitalocean-pat", func(g *gen) string { return "DO_TOKEN=dop_v1_" + g.str(hexLower, 64) }},
		{"doppler-api-token", func(g *gen) string { return q("doppler", "dp.pt."+g.str(alnum, 43)) }},
		{"hashicorp-tf-api-token", func(g *gen) string {
			return q("tfe", g.str(lowerAlnum, 14)+".atlasv1."+g.str(lowerAlnum, 64))
		}},
		{"linear-api-key", func(g *gen) string { return q("linear", "lin_api_"+g.str(alnum, 40)) }},
		{"huggingface-access-token", func(g *gen) string { return "HF_TOKEN=hf_" + g.str(upper+lower, 34) }},
		{"private-key", privateKey},
		{"jwt", func(g *gen) string {
			enc := base64.RawURLEncoding
			head := enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))
			body := enc.EncodeToString(fmt.Appendf(nil, `{"sub":"%s","iat":%d,"name":"%s"}`, g.str(digits, 10), 1700000000+g.r.IntN(1e7), g.pick(nouns)))
			return "Authorization: Bearer " + head + "." + body + "." + g.str(alnum+"_-", 43)
		}},
		{"age-secret-key", func(g *gen) string { return "AGE-SECRET-KEY-1" + g.str("QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L", 58) }},
		{"sentry-user-token", func(g *gen) string { return "SENTRY_AUTH_TOKEN=sntryu_" + g.str(hexLower, 64) }},
		{"grafana-service-account-token", func(g *gen) string {
			return q("grafana", "glsa_"+g.str(alnum, 32)+"_"+g.str(hexLower, 8))
		}},
		{"databricks-api-token", func(g *gen) string { return "DATABRICKS_TOKEN=dapi" + g.str(hexLower, 32) }},
		{"dynatrace-api-token", func(g *gen) string {
			return q("dynatrace", "dt0c01."+g.str(upper+digits, 24)+"."+g.str(upper+digits, 64))
		}},
		{"postman-api-token", func(g *gen) string {
			return q("postman", "PMAK-"+g.str(hexLower, 24)+"-"+g.str(hexLower, 34))
		}},
		{"pulumi-api-token", func(g *gen) string { return "PULUMI_ACCESS_TOKEN=pul-" + g.str(hexLower, 40) }},
		{"rubygems-api-token", func(g *gen) string { return ":rubygems_api_key: rubygems_" + g.str(hexLower, 48) }},
		{"planetscale-password", func(g *gen) string { return "DATABASE_PASSWORD=pscale_pw_" + g.str(alnum, 43) }},
		{"alibaba-access-key-id", func(g *gen) string { return q("alibaba_id", "LTAI"+g.str(alnum, 20)) }},
		{"generic-api-key", func(g *gen) string { return q("internal_api_key", g.str(alnum, 32)) }},
		{"warden-agent-token", wardenToken},
	}
}

// privateKey writes a PEM Ed25519 private key made from a seeded seed.
func privateKey(g *gen) string {
	seed := []byte(g.str(alnum, ed25519.SeedSize))
	der, err := x509.MarshalPKCS8PrivateKey(ed25519.NewKeyFromSeed(seed))
	if err != nil {
		panic(err)
	}
	return strings.TrimSpace(string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})))
}

// wardenToken writes a Warden token with a valid checksum, made as package
// token makes them but from the seeded generator.
func wardenToken(g *gen) string {
	body := "wdn_" + g.str(digits+upper+lower, 32)
	return fmt.Sprintf("WARDEN_TOKEN=%s_%08x", body, crc32.ChecksumIEEE([]byte(body)))
}

// seed is one planted key: its file, the line it starts on and its kind.
type seed struct {
	File string `json:"file"`
	Line int    `json:"line"`
	Rule string `json:"rule"`
}

func seededCmd(args []string) error {
	fs := flag.NewFlagSet("seeded", flag.ExitOnError)
	out := fs.String("out", "", "folder to write")
	manifest := fs.String("manifest", "", "manifest to write (JSON)")
	n := fs.Int("n", 200, "number of keys")
	fs.Parse(args)
	if *out == "" || *manifest == "" {
		return fmt.Errorf("seeded: -out and -manifest are required")
	}
	g := newGen(2)
	fams := families()
	var seeds []seed
	perFile := 4
	for f := 0; f*perFile < *n; f++ {
		ext := exts[f%len(exts)]
		rel := fmt.Sprintf("svc%02d/config%03d%s", f%10, f, ext)
		p := filepath.Join(*out, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := writeFile(p, func(w *bufio.Writer) {
			lineNo := 1
			count := func(s string) { lineNo += strings.Count(s, "\n") }
			for k := 0; k < perFile && f*perFile+k < *n; k++ {
				// Filler, then the key on a line of its own.
				for range 5 + g.r.IntN(20) {
					var b strings.Builder
					bw := bufio.NewWriter(&b)
					line(g, bw)
					bw.Flush()
					w.WriteString(b.String())
					count(b.String())
				}
				fam := fams[(f*perFile+k)%len(fams)]
				seeds = append(seeds, seed{File: rel, Line: lineNo, Rule: fam.rule})
				s := fam.make(g) + "\n"
				w.WriteString(s)
				count(s)
			}
		}); err != nil {
			return err
		}
	}
	b, err := json.MarshalIndent(seeds, "", " ")
	if err != nil {
		return err
	}
	return os.WriteFile(*manifest, b, 0o644)
}

// ---- scoring ------------------------------------------------------------

func scoreCmd(args []string) error {
	fs := flag.NewFlagSet("score", flag.ExitOnError)
	manifest := fs.String("manifest", "", "the seeded tree's manifest")
	gl := fs.String("gitleaks", "", "gitleaks' JSON report")
	wd := fs.String("warden", "", "warden's JSON report")
	fs.Parse(args)
	var seeds []seed
	if err := readJSON(*manifest, &seeds); err != nil {
		return err
	}
	var glr []struct {
		File      string
		StartLine int
		RuleID    string
	}
	if err := readJSON(*gl, &glr); err != nil {
		return err
	}
	var wr struct {
		Findings []struct {
			File   string `json:"file"`
			Line   int    `json:"line"`
			RuleID string `json:"ruleId"`
		} `json:"findings"`
	}
	if err := readJSON(*wd, &wr); err != nil {
		return err
	}
	// A seed is found when a finding is in its file on its line (a PEM
	// key's finding starts on its BEGIN line).
	glAt, wdAt := map[string]bool{}, map[string]bool{}
	for _, f := range glr {
		glAt[fmt.Sprintf("%s:%d", trimTo(f.File), f.StartLine)] = true
	}
	for _, f := range wr.Findings {
		wdAt[fmt.Sprintf("%s:%d", trimTo(f.File), f.Line)] = true
	}
	glHit, wdHit := 0, 0
	missed := map[string][]string{}
	for _, s := range seeds {
		k := fmt.Sprintf("%s:%d", s.File, s.Line)
		if glAt[k] {
			glHit++
		} else {
			missed["gitleaks"] = append(missed["gitleaks"], s.Rule)
		}
		if wdAt[k] {
			wdHit++
		} else {
			missed["warden"] = append(missed["warden"], s.Rule)
		}
	}
	fams := map[string]bool{}
	for _, s := range seeds {
		fams[s.Rule] = true
	}
	fmt.Printf("seeded keys: %d of %d kinds\n", len(seeds), len(fams))
	fmt.Printf("recall gitleaks: %d/%d = %.3f (missed: %s)\n", glHit, len(seeds), float64(glHit)/float64(len(seeds)), summary(missed["gitleaks"]))
	fmt.Printf("recall warden:   %d/%d = %.3f (missed: %s)\n", wdHit, len(seeds), float64(wdHit)/float64(len(seeds)), summary(missed["warden"]))
	fmt.Printf("findings in total: gitleaks %d, warden %d\n", len(glr), len(wr.Findings))
	return nil
}

// trimTo makes a reported path relative to the seeded tree, whatever
// prefix the scanner put on it.
func trimTo(p string) string {
	p = filepath.ToSlash(p)
	for i := range len(p) {
		if i == 0 || p[i-1] == '/' {
			if strings.HasPrefix(p[i:], "svc") {
				return p[i:]
			}
		}
	}
	return p
}

func summary(rules []string) string {
	if len(rules) == 0 {
		return "none"
	}
	n := map[string]int{}
	var order []string
	for _, r := range rules {
		if n[r] == 0 {
			order = append(order, r)
		}
		n[r]++
	}
	var parts []string
	for _, r := range order {
		parts = append(parts, fmt.Sprintf("%s×%d", r, n[r]))
	}
	return strings.Join(parts, ", ")
}

func readJSON(name string, v any) error {
	b, err := os.ReadFile(name)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}
