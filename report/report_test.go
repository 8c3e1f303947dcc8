package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"
)

func sample() *Report {
	return &Report{Tool: "secrets", Target: ".", Scanned: 3, Unit: "files", Findings: []Finding{
		{RuleID: "low.one", Severity: Low, Message: "low", File: "a b/c:d.txt", Line: 2},
		{RuleID: "crit.one", Severity: Critical, Message: "crit", File: "x.zip!/SKILL.md", Line: 7, Column: 3, Evidence: "ghp_****", Commit: "0123456789abcdef0123", Fingerprint: "fp1", Fix: "rotate it", Properties: map[string]string{"package": "left-pad"}},
		{RuleID: "nofile", Severity: Medium, Message: "no SKILL.md\nforged row"},
	}}
}

func TestSARIFIsValidAndCarriesSeverity(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, SARIF, sample(), "test"); err != nil {
		t.Fatal(err)
	}
	doc, err := sarif.FromBytes(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(); err != nil {
		t.Fatalf("schema: %v", err)
	}
	run := doc.Runs[0]
	if len(run.Results) != 3 || len(run.Tool.Driver.Rules) != 3 {
		t.Fatalf("results %d rules %d", len(run.Results), len(run.Tool.Driver.Rules))
	}
	first := run.Results[0]
	if *first.RuleID != "crit.one" || first.Level != "error" {
		t.Fatalf("first result %s %s, want the critical one as error", *first.RuleID, first.Level)
	}
	uri := *first.Locations[0].PhysicalLocation.ArtifactLocation.URI
	if uri != "x.zip%21/SKILL.md" && uri != "x.zip!/SKILL.md" {
		t.Fatalf("uri %q", uri)
	}
	for _, res := range run.Results {
		if *res.RuleID == "low.one" {
			if u := *res.Locations[0].PhysicalLocation.ArtifactLocation.URI; u != "a%20b/c:d.txt" {
				t.Fatalf("escaped uri %q", u)
			}
		}
	}
	if !strings.Contains(buf.String(), `"security-severity": "9.5"`) {
		t.Fatal("no security-severity for GitHub")
	}
}

func TestSARIFOfNoFindingsHasEmptyResults(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, SARIF, &Report{Tool: "deps"}, ""); err != nil {
		t.Fatal(err)
	}
	var v struct {
		Runs []struct {
			Results []any `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(buf.Bytes(), &v); err != nil || len(v.Runs) != 1 || v.Runs[0].Results == nil {
		t.Fatalf("%v %s", err, buf.String())
	}
}

func TestSchemaValidationRejectsABrokenLog(t *testing.T) {
	doc, err := sarif.FromString(`{"version":"2.1.0","runs":[{"tool":{"driver":{}},"results":[]}]}`)
	if err == nil {
		err = doc.Validate()
	}
	if err == nil {
		t.Fatal("a driver without a name validated: the validator checks nothing")
	}
}

func TestTableKeepsOneFindingPerLine(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, Table, sample(), ""); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if strings.Contains(out, "\nforged row") {
		t.Fatalf("a newline in a message made a new table row:\n%s", out)
	}
	if !strings.Contains(out, "1 critical, 1 medium, 1 low (3 files scanned)") {
		t.Fatalf("summary missing:\n%s", out)
	}
	if !strings.Contains(out, "x.zip!/SKILL.md:7@0123456789ab") {
		t.Fatalf("where missing:\n%s", out)
	}
}

func TestJSONRoundTripsSeverityNames(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, JSON, sample(), ""); err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if back.Findings[0].Severity != Critical || back.Summary["medium"] != 1 || !strings.Contains(buf.String(), `"severity": "critical"`) {
		t.Fatalf("%+v", back)
	}
}

func TestFailOn(t *testing.T) {
	r := sample()
	for _, tc := range []struct {
		in   string
		want bool
	}{{"info", true}, {"low", true}, {"warn", true}, {"high", true}, {"critical", true}} {
		s, err := ParseSeverity(tc.in)
		if err != nil || r.Fails(s) != tc.want {
			t.Fatalf("%s: %v %v", tc.in, err, r.Fails(s))
		}
	}
	r.Findings = r.Findings[:1] // low only
	if r.Fails(Medium) {
		t.Fatal("a low finding failed --fail-on medium")
	}
	if _, err := ParseSeverity("severe"); err == nil {
		t.Fatal("unknown severity accepted")
	}
	if _, err := ParseFormat("xml"); err == nil {
		t.Fatal("unknown format accepted")
	}
}

func TestProgressIsSilentWhenPiped(t *testing.T) {
	var buf bytes.Buffer
	p := NewProgress(&buf, false, 10, "scanning")
	p.Add(5)
	p.Finish()
	if buf.Len() != 0 || p != nil {
		t.Fatalf("piped progress wrote %q", buf.String())
	}
	p = NewProgress(&buf, true, 10, "scanning")
	p.Add(3)
	if buf.Len() == 0 {
		t.Fatal("terminal progress wrote nothing")
	}
	p.Finish()
}

// GitHub rejects a SARIF result without a location ("expected at least
// one location"): a finding that names no file points at the target.
func TestSARIFResultWithoutAFileStillHasALocation(t *testing.T) {
	for _, target := range []string{"skills/weather", "weather 1.2.zip", "", "."} {
		r := &Report{Tool: "skill", Target: target, Findings: []Finding{
			{RuleID: "skill.no_skill_md", Severity: Medium, Message: "no SKILL.md"},
			{RuleID: "file.too_many", Severity: Critical, Message: "too many files", Line: 3},
		}}
		var buf bytes.Buffer
		if err := Write(&buf, SARIF, r, "test"); err != nil {
			t.Fatalf("%q: %v", target, err)
		}
		doc, err := sarif.FromBytes(buf.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		for _, res := range doc.Runs[0].Results {
			if len(res.Locations) == 0 || res.Locations[0].PhysicalLocation.ArtifactLocation.URI == nil || *res.Locations[0].PhysicalLocation.ArtifactLocation.URI == "" {
				t.Fatalf("%q: result %s has no location: %s", target, *res.RuleID, buf.String())
			}
			if res.Locations[0].PhysicalLocation.Region != nil {
				t.Fatalf("%q: a file-less result got a region", target)
			}
		}
		want := map[string]string{"skills/weather": "weather", "weather 1.2.zip": "weather%201.2.zip", "": ".", ".": "."}[target]
		if got := *doc.Runs[0].Results[0].Locations[0].PhysicalLocation.ArtifactLocation.URI; got != want {
			t.Fatalf("%q: location %q, want %q", target, got, want)
		}
	}
}

// A scanned file's text reaches the terminal through the verdict's reason,
// the skipped list and archive member names: none may carry escape
// sequences (ESC, the one-byte CSI U+009B) or bidi controls.
func TestTableNeutralisesTerminalControls(t *testing.T) {
	evil := "a\x1b[2K\x1b[1A\x1b[32mverdict allow\x1b[0m\u009b2J\u202egnp.exe\x07.sh"
	r := &Report{Tool: "skill", Target: evil, Verdict: "block", Reason: "1 critical finding(s), first: x in " + evil,
		Skipped: []string{evil}, Findings: []Finding{{RuleID: "x", Severity: Critical, Message: evil, File: evil, Evidence: evil}}}
	var buf bytes.Buffer
	if err := Write(&buf, Table, r, ""); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, bad := range []string{"\x1b", "\u009b", "\u202e", "\x07"} {
		if strings.Contains(out, bad) {
			t.Fatalf("table output carries %q:\n%q", bad, out)
		}
	}
	if !strings.Contains(out, "a?[2K?[1A?[32mverdict allow") {
		t.Fatalf("the neutralised text is not shown:\n%q", out)
	}
	if got := Sanitize("x\xc2\x9by\x9bz\n\tw"); got != "x?y\uFFFDz  w" {
		t.Fatalf("Sanitize: %q", got)
	}
}
