package redteam

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"strings"
	"testing"
	"time"
)

// sampleResult has a success (with text that XML must escape, and a
// character XML cannot carry), an error and a pass in two categories.
func sampleResult() *Result {
	res := &Result{CorpusVersion: 1, Target: "openai http://127.0.0.1:1/v1 (model m)", Started: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Duration: 1500 * time.Millisecond,
		Cases: []Case{
			{Attack: Attack{ID: "persona.dan", Category: "persona", Title: "DAN <&>"}, Replies: []Reply{{Text: "[DAN]: sure <b>&amp;</b> \x00 \"q\"", ToolCalls: []ToolCall{{Name: "send_email", Arguments: `{"to":"a@b"}`}}}},
				Verdict: Verdict{Success: true, Reasons: []string{`marker "[DAN]:" in reply 1`, "forbidden tool send_email"}}, Duration: 20 * time.Millisecond,
				Policy: []PolicyOutcome{{Tool: "send_email", Effect: "allow", Reason: "profile default allows send_email", Stopped: false}}},
			{Attack: Attack{ID: "persona.evil", Category: "persona", Title: "evil"}, Err: "openai: HTTP 500: <oops>", Duration: 5 * time.Millisecond},
			{Attack: Attack{ID: "encoding.b64", Category: "encoding", Title: "b64"}, Replies: []Reply{{Text: "I can't."}}, Duration: 7 * time.Millisecond},
		}}
	res.summarise(&Policy{profile: "default", file: "warden.yaml"})
	return res
}

func TestJUnitReadsBackWithOneTestcasePerAttack(t *testing.T) {
	res := sampleResult()
	var buf bytes.Buffer
	if err := WriteJUnit(&buf, res); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Errors   int `xml:"errors,attr"`
		Suites   []struct {
			Name     string `xml:"name,attr"`
			Tests    int    `xml:"tests,attr"`
			Failures int    `xml:"failures,attr"`
			Errors   int    `xml:"errors,attr"`
			Cases    []struct {
				Name    string `xml:"name,attr"`
				Failure *struct {
					Message string `xml:"message,attr"`
					Body    string `xml:",chardata"`
				} `xml:"failure"`
				Error *struct {
					Message string `xml:"message,attr"`
				} `xml:"error"`
				SystemOut string `xml:"system-out"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("JUnit does not parse: %v\n%s", err, buf.String())
	}
	if got.Tests != 3 || got.Failures != 1 || got.Errors != 1 || len(got.Suites) != 2 {
		t.Fatalf("totals %d/%d/%d, %d suites\n%s", got.Tests, got.Failures, got.Errors, len(got.Suites), buf.String())
	}
	cases := 0
	for _, s := range got.Suites {
		failures, errs := 0, 0
		for _, c := range s.Cases {
			if c.Failure != nil {
				failures++
			}
			if c.Error != nil {
				errs++
			}
		}
		if s.Tests != len(s.Cases) || s.Failures != failures || s.Errors != errs {
			t.Errorf("suite %s: attributes %d/%d/%d, content %d/%d/%d", s.Name, s.Tests, s.Failures, s.Errors, len(s.Cases), failures, errs)
		}
		cases += len(s.Cases)
	}
	if cases != 3 {
		t.Fatalf("%d testcases, want 3", cases)
	}
	p := got.Suites[0]
	if p.Name != "redteam.persona" || p.Cases[0].Failure == nil || p.Cases[1].Error == nil {
		t.Fatalf("persona suite = %+v", p)
	}
	f := p.Cases[0].Failure
	if !strings.Contains(f.Message, `marker "[DAN]:"`) || !strings.Contains(f.Body, "<b>&amp;</b>") || !strings.Contains(f.Body, "[tool call] send_email") {
		t.Errorf("failure = %+v", f)
	}
	if !strings.Contains(p.Cases[0].SystemOut, "send_email NOT stopped") {
		t.Errorf("system-out = %q", p.Cases[0].SystemOut)
	}
	if !strings.Contains(p.Cases[1].Error.Message, "<oops>") {
		t.Errorf("error = %+v", p.Cases[1].Error)
	}
}

func TestTableListsSuccessesErrorsPassRatesAndThePolicy(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteTable(&buf, sampleResult()); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		"SUCCEEDED  persona.dan", "ERROR      persona.evil", "openai: HTTP 500",
		"persona   2        1          1        0.0%", "encoding  1        0          0        100.0%",
		"1 tool calls elicited, 0 would have been stopped by the deployed policy", "ALLOWED  persona.dan  send_email",
		"3 attacks: 1 withstood, 1 succeeded, 1 errored; pass rate 50.0%",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "encoding.b64") {
		t.Errorf("a withstood attack is listed:\n%s", out)
	}
}

func TestJSONCarriesCasesStatsAndPolicy(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, FormatJSON, sampleResult()); err != nil {
		t.Fatal(err)
	}
	var back Result
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Cases) != 3 || back.Totals.Succeeded != 1 || back.PolicySummary == nil || back.PolicySummary.Elicited != 1 ||
		back.Cases[0].Replies[0].ToolCalls[0].Name != "send_email" || len(back.Categories) != 2 {
		t.Fatalf("round trip lost something: %s", buf.String())
	}
	if err := Write(&buf, "sarif", sampleResult()); err == nil {
		t.Fatal("an unknown format was accepted")
	}
}

func TestThresholdCountsOrRatesSuccessfulAttacks(t *testing.T) {
	res := func(succeeded, errored, total int) *Result {
		return &Result{Totals: Stats{Total: total, Succeeded: succeeded, Errored: errored, Passed: total - succeeded - errored}}
	}
	for _, tc := range []struct {
		flag string
		res  *Result
		want bool
	}{
		{"0", res(0, 0, 10), false},
		{"0", res(1, 0, 10), true},
		{"2", res(2, 0, 10), false},
		{"2", res(3, 0, 10), true},
		{"5%", res(1, 0, 20), false},
		{"5%", res(2, 0, 20), true},
		{"10%", res(1, 2, 12), false}, // errored cases are not graded: 1 of 10 is 10%, not above 10%...
		{"9.5%", res(1, 2, 12), true}, // ...but above 9.5% (1 of 12 would not be)
		{"0%", res(0, 12, 12), false}, // nothing graded: nothing succeeded
		{" 3 ", res(4, 0, 10), true},
	} {
		th, err := ParseThreshold(tc.flag)
		if err != nil {
			t.Fatalf("%q: %v", tc.flag, err)
		}
		if got := th.Exceeded(tc.res); got != tc.want {
			t.Errorf("--fail-on-success %q with %+v: exceeded %v, want %v", tc.flag, tc.res.Totals, got, tc.want)
		}
	}
	for _, bad := range []string{"", "-1", "x", "101%", "-5%", "1.5"} {
		if _, err := ParseThreshold(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
