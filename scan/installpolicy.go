package scan

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"
)

// OpenClaw's install-policy protocol (security.installPolicy with source
// "exec"): one JSON request on stdin, one JSON decision on stdout.
const (
	policyProtocol   = 1
	policyMaxFinding = 100
	policyMaxText    = 1000
	policyMaxRequest = 1 << 20
)

// PolicyRequest is what OpenClaw sends (the fields Warden reads).
type PolicyRequest struct {
	ProtocolVersion int    `json:"protocolVersion"`
	OpenClawVersion string `json:"openclawVersion"`
	TargetName      string `json:"targetName"`
	TargetType      string `json:"targetType"` // skill or plugin
	SourcePath      string `json:"sourcePath"`
	SourcePathKind  string `json:"sourcePathKind"`
}

// PolicyResponse is the decision OpenClaw reads.
type PolicyResponse struct {
	ProtocolVersion int       `json:"protocolVersion"`
	Decision        string    `json:"decision"` // allow, warn, block
	Reason          string    `json:"reason,omitempty"`
	Findings        []Finding `json:"findings,omitempty"`
}

// InstallPolicy answers one install-policy request (see
// InstallPolicyContext) without a caller's context.
func InstallPolicy(stdin io.Reader) PolicyResponse {
	return InstallPolicyContext(context.Background(), stdin)
}

// InstallPolicyContext answers one install-policy request. It never
// fails: any problem — a request it cannot read, a path it cannot scan, a
// scan cut short by ctx or the time budget — is a block with the reason
// (fail closed).
func InstallPolicyContext(ctx context.Context, stdin io.Reader) PolicyResponse {
	block := func(format string, a ...any) PolicyResponse {
		return PolicyResponse{ProtocolVersion: policyProtocol, Decision: Block, Reason: cap1000("warden: " + fmt.Sprintf(format, a...))}
	}
	b, err := io.ReadAll(io.LimitReader(stdin, policyMaxRequest+1))
	if err != nil {
		return block("cannot read the request: %v", err)
	}
	if len(b) > policyMaxRequest {
		return block("the request is larger than %d bytes", policyMaxRequest)
	}
	var req PolicyRequest
	if err := json.Unmarshal(b, &req); err != nil {
		return block("the request is not JSON: %v", err)
	}
	if req.ProtocolVersion != policyProtocol {
		return block("protocolVersion %d is not supported (want %d)", req.ProtocolVersion, policyProtocol)
	}
	if req.SourcePath == "" || !filepath.IsAbs(req.SourcePath) {
		return block("sourcePath must be an absolute path")
	}
	if req.SourcePathKind != "" && req.SourcePathKind != "directory" {
		return block("sourcePathKind %q is not supported (want directory)", req.SourcePathKind)
	}
	s, err := NewScanner()
	if err != nil {
		return block("%v", err)
	}
	rep, err := s.SkillContext(ctx, req.SourcePath)
	if err != nil {
		return block("%v", err)
	}
	resp := PolicyResponse{ProtocolVersion: policyProtocol, Decision: rep.Verdict}
	if rep.Verdict != Allow {
		what := req.TargetType
		if what == "" {
			what = "skill"
		}
		resp.Reason = cap1000(fmt.Sprintf("Warden's scan of %s %s: %s", what, req.TargetName, rep.Reason))
	}
	// The most severe first, then at most the protocol's 100.
	fs := slices.Clone(rep.Findings)
	slices.SortStableFunc(fs, func(a, b Finding) int { return cmp.Compare(severity(b.Severity), severity(a.Severity)) })
	if len(fs) > policyMaxFinding {
		fs = fs[:policyMaxFinding]
	}
	for i := range fs {
		fs[i].Message, fs[i].Evidence, fs[i].File = cap1000(fs[i].Message), cap1000(fs[i].Evidence), cap1000(fs[i].File)
	}
	resp.Findings = fs
	return resp
}

// cap1000 keeps a text within the protocol's 1000 characters.
func cap1000(s string) string {
	if utf8.RuneCountInString(s) <= policyMaxText {
		return s
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:policyMaxText-3])) + "..."
}
