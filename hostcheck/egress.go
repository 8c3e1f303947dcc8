package hostcheck

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// nftSkuid and iptOwner find the user a Warden egress rule is for: the
// reject rule at the end of `warden egress rules` output, as `nft list
// ruleset` and `iptables -S` print it back.
var (
	nftReject = regexp.MustCompile(`meta skuid "?([A-Za-z0-9_.-]+)"?\s+(?:counter\s+(?:packets \d+ bytes \d+\s+)?)?reject`)
	iptReject = regexp.MustCompile(`-A OUTPUT .*-m owner --uid-owner ([A-Za-z0-9_.-]+) .*-j REJECT`)
)

// checkEgress looks for the firewall rules `warden egress rules`
// generates, for the agent's user: an nftables table inet warden_egress
// rejecting the user's other connections, or iptables and ip6tables
// OUTPUT rules doing the same. When the rulesets cannot be read (no nft
// or iptables, no permission) the answer is "not verified", never a pass.
func (h *host) checkEgress(ctx context.Context) {
	users := h.agentUsers(h.procs)
	if len(users) == 0 {
		h.add("egress.unverified", dflt, "", "the agent's user is unknown (no OpenClaw process, state folder owner unreadable)", "", "")
		return
	}
	names := map[string]bool{}
	var uids []int
	for _, u := range users {
		if slices.Contains(uids, u.UID) {
			continue
		}
		uids = append(uids, u.UID)
		names[strconv.Itoa(u.UID)] = true
		if n, err := h.o.UserName(u.UID); err == nil && n != "" {
			names[n] = true
		}
	}
	covered := func(users []string) bool {
		for _, u := range users {
			if names[u] {
				return true
			}
		}
		return false
	}
	// Each backend is read, unread (an error), or not installed; the
	// answer is "open" only when none could hide the rules.
	var notes []string
	read, unread := 0, 0
	if out, err := h.runTool(ctx, "nft", "list", "ruleset"); err == nil {
		read++
		if covered(submatches(nftReject, wardenTable(string(out)))) {
			return
		}
		notes = append(notes, "nft list ruleset: no table inet warden_egress rejecting the user")
	} else if !isNotInstalled(err) {
		unread++
		notes = append(notes, err.Error())
	} else {
		notes = append(notes, err.Error())
	}
	// iptables: both families must reject, or IPv6 is a way out.
	v4, err4 := h.runTool(ctx, "iptables", "-S", "OUTPUT")
	v6, err6 := h.runTool(ctx, "ip6tables", "-S", "OUTPUT")
	switch {
	case err4 == nil && err6 == nil:
		read++
		if covered(submatches(iptReject, string(v4))) && covered(submatches(iptReject, string(v6))) {
			return
		}
		notes = append(notes, "iptables/ip6tables -S OUTPUT: no owner rule rejecting the user in both families")
	case isNotInstalled(err4) && isNotInstalled(err6):
		notes = append(notes, "iptables not installed")
	default:
		unread++
		for _, e := range []error{err4, err6} {
			if e != nil {
				notes = append(notes, e.Error())
			}
		}
	}
	who := fmt.Sprintf("uid %v", uids)
	if read > 0 && unread == 0 {
		h.add("egress.open", dflt, "", "the agent's user ("+who+") can connect past the proxy: no Warden firewall rule rejects its other connections", strings.Join(notes, "; "), who)
		return
	}
	h.add("egress.unverified", dflt, "", "not verified whether the agent's user ("+who+") can connect past the proxy", strings.Join(notes, "; "), who)
}

// wardenTable is the text of the table Warden's nft rules create (table
// inet warden_egress { … }), or "".
func wardenTable(ruleset string) string {
	i := strings.Index(ruleset, "table inet warden_egress {")
	if i < 0 {
		return ""
	}
	rest := ruleset[i:]
	if j := strings.Index(rest, "\n}"); j >= 0 {
		return rest[:j]
	}
	return rest
}

// errNotInstalled is what runTool says when a program is not there.
type errNotInstalled struct{ name string }

func (e errNotInstalled) Error() string { return e.name + " not installed" }

func isNotInstalled(err error) bool {
	_, ok := err.(errNotInstalled)
	return ok
}

// runTool runs a ruleset listing with the step's timeout.
func (h *host) runTool(ctx context.Context, name string, args ...string) ([]byte, error) {
	bin, err := h.o.LookPath(name)
	if err != nil {
		return nil, errNotInstalled{name}
	}
	ctx, cancel := context.WithTimeout(ctx, h.o.Timeout)
	defer cancel()
	out, err := h.o.Run(ctx, nil, bin, args...)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", name, strings.Join(args, " "), err)
	}
	return out, nil
}

func submatches(re *regexp.Regexp, s string) []string {
	var out []string
	for _, m := range re.FindAllStringSubmatch(s, -1) {
		out = append(out, m[1])
	}
	return out
}
