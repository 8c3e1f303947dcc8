package hostcheck

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/wardenhq/warden/report"
)

// Process kinds warden check looks for.
const (
	KindOpenClaw = "openclaw"
	KindWarden   = "warden"
)

// Process is one OpenClaw or Warden process as /proc shows it.
type Process struct {
	PID        int
	Kind       string
	Cmdline    []string
	UID        int               // effective uid
	GIDs       []int             // effective gid and supplementary groups
	NoNewPrivs bool              // NoNewPrivs: 1
	Seccomp    bool              // Seccomp: 2 (filter)
	Cgroup     string            // the unified (or first) cgroup path
	Env        map[string]string // proxy variables only, when readable
}

// classify says what a process is from its command line and comm:
// OpenClaw (its CLI or gateway under node; OpenClaw renames its gateway
// process "openclaw-gateway") or Warden's server.
func classify(cmdline []string, comm string) string {
	if len(cmdline) == 0 {
		return ""
	}
	base := filepath.Base(cmdline[0])
	switch {
	case strings.HasPrefix(base, "openclaw") || strings.HasPrefix(comm, "openclaw"):
		return KindOpenClaw
	case base == "node" || base == "nodejs" || strings.HasPrefix(base, "node2") || comm == "node" || comm == "MainThread":
		for _, a := range cmdline[1:] {
			if strings.HasPrefix(a, "-") {
				continue
			}
			b := filepath.Base(a)
			if b == "openclaw" || b == "openclaw.mjs" || strings.Contains(a, "/openclaw/") {
				return KindOpenClaw
			}
			break // the script node runs is the first non-flag argument
		}
	case base == "warden" && slices.Contains(cmdline[1:], "serve"):
		return KindWarden
	}
	return ""
}

// readProcesses lists OpenClaw and Warden processes under procRoot.
// Processes that vanish or cannot be read are skipped.
func readProcesses(procRoot string, self int) ([]Process, error) {
	ents, err := os.ReadDir(procRoot)
	if err != nil {
		return nil, fmt.Errorf("processes: %w", err)
	}
	var out []Process
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		dir := filepath.Join(procRoot, e.Name())
		raw, err := os.ReadFile(filepath.Join(dir, "cmdline"))
		if err != nil || len(raw) == 0 {
			continue // kernel threads, gone
		}
		cmdline := strings.Split(strings.TrimRight(string(raw), "\x00"), "\x00")
		comm, _ := os.ReadFile(filepath.Join(dir, "comm"))
		kind := classify(cmdline, strings.TrimSpace(string(comm)))
		if kind == "" {
			continue
		}
		p := Process{PID: pid, Kind: kind, Cmdline: cmdline, UID: -1}
		if st, err := os.ReadFile(filepath.Join(dir, "status")); err == nil {
			p.parseStatus(st)
		}
		if cg, err := os.ReadFile(filepath.Join(dir, "cgroup")); err == nil {
			p.Cgroup = unifiedCgroup(cg)
		}
		if env, err := os.ReadFile(filepath.Join(dir, "environ")); err == nil {
			p.Env = map[string]string{}
			for _, kv := range bytes.Split(env, []byte{0}) {
				k, v, _ := strings.Cut(string(kv), "=")
				if slices.Contains(proxyVars, k) {
					p.Env[k] = v
				}
			}
		}
		if p.UID < 0 {
			continue
		}
		out = append(out, p)
	}
	return out, nil
}

// parseStatus reads the effective uid, gids and groups, NoNewPrivs and
// Seccomp from /proc/PID/status.
func (p *Process) parseStatus(b []byte) {
	for line := range strings.SplitSeq(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		f := strings.Fields(v)
		switch k {
		case "Uid":
			if len(f) > 1 {
				p.UID, _ = strconv.Atoi(f[1])
			}
		case "Gid":
			if len(f) > 1 {
				if g, err := strconv.Atoi(f[1]); err == nil {
					p.GIDs = append(p.GIDs, g)
				}
			}
		case "Groups":
			for _, s := range f {
				if g, err := strconv.Atoi(s); err == nil && !slices.Contains(p.GIDs, g) {
					p.GIDs = append(p.GIDs, g)
				}
			}
		case "NoNewPrivs":
			p.NoNewPrivs = len(f) > 0 && f[0] == "1"
		case "Seccomp":
			p.Seccomp = len(f) > 0 && f[0] == "2"
		}
	}
}

// unifiedCgroup is the cgroup v2 path ("0::/…"), else the first line's.
func unifiedCgroup(b []byte) string {
	first := ""
	for line := range strings.SplitSeq(strings.TrimSpace(string(b)), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		if parts[0] == "0" && parts[1] == "" {
			return parts[2]
		}
		if first == "" {
			first = parts[2]
		}
	}
	return first
}

// containerMarks are cgroup path parts of container runtimes.
var containerMarks = []string{"docker", "containerd", "kubepods", "libpod", "podman", "lxc", "crio", "garden", "buildkit"}

// inContainer says whether the host itself (the filesystem warden check
// sees) or the process is in a container.
func (h *host) inContainer(p Process) (bool, string) {
	for _, f := range []string{".dockerenv", "run/.containerenv"} {
		if _, err := os.Stat(filepath.Join(h.o.Root, f)); err == nil {
			return true, "/" + f + " exists"
		}
	}
	for _, cg := range []string{p.Cgroup, h.pid1Cgroup()} {
		for _, m := range containerMarks {
			if strings.Contains(cg, m) {
				return true, "cgroup " + cg
			}
		}
	}
	return false, ""
}

func (h *host) pid1Cgroup() string {
	b, err := os.ReadFile(filepath.Join(h.o.ProcRoot, "1", "cgroup"))
	if err != nil {
		return ""
	}
	return unifiedCgroup(b)
}

// systemdSandboxed says whether a process runs as a system service with
// NoNewPrivileges and a seccomp filter (SystemCallFilter=).
func systemdSandboxed(p Process) bool {
	return strings.HasPrefix(p.Cgroup, "/system.slice/") && strings.HasSuffix(p.Cgroup, ".service") && p.NoNewPrivs && p.Seccomp
}

// checkProcesses finds OpenClaw and Warden's server in /proc: who they
// run as, how OpenClaw is confined, and whether the Docker socket is open
// to the agent's user.
func (h *host) checkProcesses(ctx context.Context) {
	if !h.o.Processes {
		h.skipped = append(h.skipped, "processes: not checked (--no-processes)")
		h.checkDockerSocket(nil)
		return
	}
	procs, err := readProcesses(h.o.ProcRoot, h.o.SelfPID)
	if err != nil {
		h.skipped = append(h.skipped, err.Error())
		h.checkDockerSocket(nil)
		return
	}
	h.procs = procs
	if len(procs) == 0 {
		h.add("process.none", dflt, "", "no running OpenClaw or Warden server process found: who they run as and how they are confined was not verified", "looked in "+h.o.ProcRoot, "")
	}
	for _, p := range procs {
		what := map[string]string{KindOpenClaw: "OpenClaw", KindWarden: "Warden"}[p.Kind]
		ev := fmt.Sprintf("pid %d uid %d: %s", p.PID, p.UID, oneLine(strings.Join(p.Cmdline, " "), 160))
		in, why := h.inContainer(p)
		if p.UID == 0 {
			msg := what + " runs as root"
			if in {
				msg += " (in a container: " + why + "; root there is still root on the host's kernel)"
			}
			h.add("process.root", dflt, "", msg, ev, fmt.Sprint(p.Kind, p.PID))
		}
		if p.Kind == KindOpenClaw && !in && !systemdSandboxed(p) {
			h.add("process.unconfined", dflt, "", "OpenClaw runs outside a container and outside a sandboxed systemd service",
				fmt.Sprintf("%s; cgroup %q, NoNewPrivs %v, seccomp filter %v", ev, p.Cgroup, p.NoNewPrivs, p.Seccomp), fmt.Sprint(p.PID))
		}
	}
	h.checkDockerSocket(procs)
}

// dockerSockets are where container engines listen.
var dockerSockets = []string{"var/run/docker.sock", "run/docker.sock", "run/podman/podman.sock", "run/containerd/containerd.sock"}

// agentUsers are the uids and groups that act for the agent: the running
// OpenClaw processes, else the owner of the state folder.
func (h *host) agentUsers(procs []Process) []Process {
	var out []Process
	for _, p := range procs {
		if p.Kind == KindOpenClaw {
			out = append(out, p)
		}
	}
	if len(out) > 0 {
		return out
	}
	fi, err := os.Stat(h.o.StateDir)
	if err != nil {
		return nil
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	p := Process{PID: 0, Kind: "owner", UID: int(st.Uid), GIDs: []int{int(st.Gid)}}
	if gs, err := h.o.Groups(p.UID); err == nil {
		for _, g := range gs {
			if !slices.Contains(p.GIDs, g) {
				p.GIDs = append(p.GIDs, g)
			}
		}
	}
	return []Process{p}
}

// checkDockerSocket: connecting to a unix socket needs write permission,
// so the socket is open to a user that is root, owns it with u+w, is in
// its group with g+w, or any user with o+w.
func (h *host) checkDockerSocket(procs []Process) {
	users := h.agentUsers(procs)
	for _, s := range dockerSockets {
		p := filepath.Join(h.o.Root, s)
		fi, err := os.Stat(p)
		if err != nil || fi.Mode()&os.ModeSocket == 0 {
			continue
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		if !ok {
			continue
		}
		m := fi.Mode().Perm()
		for _, u := range users {
			var how string
			switch {
			case u.UID == 0:
				how = "the agent's user is root"
			case u.UID == int(st.Uid) && m&0o200 != 0:
				how = "the agent's user owns it"
			case slices.Contains(u.GIDs, int(st.Gid)) && m&0o020 != 0:
				how = fmt.Sprintf("the agent's user is in its group %d", st.Gid)
			case m&0o002 != 0:
				how = "it is writable by every user"
			default:
				continue
			}
			who := fmt.Sprintf("uid %d (state folder owner)", u.UID)
			if u.PID > 0 {
				who = fmt.Sprintf("OpenClaw pid %d uid %d", u.PID, u.UID)
			}
			h.add("docker.socket", report.Critical, "/"+s, fmt.Sprintf("/%s is reachable: %s", s, how),
				fmt.Sprintf("%s; socket mode %04o owner %d group %d", who, m, st.Uid, st.Gid), fmt.Sprint(s, u.UID))
			break
		}
	}
}

// oneLine flattens control characters and bounds the length.
func oneLine(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
