package scan

import (
	"net/netip"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The rule catalogue: ids are stable (baselines, SARIF and OpenClaw's
// findings name them); severities are OpenClaw's info, warn, critical.
// Critical blocks an install, warn shows it to the operator.
//
// Most families have a weak form that warns (a paste-site link, a sudo, a
// crontab line: each appears in honest skills) and a strong form that
// blocks: the same signal together with what only a payload needs, on the
// same line — a paste-site URL handed to curl, a crontab line that
// fetches from a raw IP, a "prerequisite" banner pointing at a tunnel.
// The corpus in testdata/corpus holds the examples that keep both forms
// honest (corpus_test.go).

type rule struct {
	id, severity, message string
	// re is named for what the scanner calls on it (re.FindStringIndex).
	re matcher
}

// matcher finds a rule's evidence in one line. The line is folded first
// (normalize.go) so look-alike letters do not hide a command.
type matcher struct {
	re *regexp.Regexp
	// pre is what a line must hold before re is worth running
	// (prefilter.go).
	pre prefilter
	// with must each match the same line too (a combination rule).
	with []matcher
	// keep, if set, vets each match of re; a match it refuses is skipped.
	keep func(match string) bool
	// raw matches the line as written, without folding (for rules about
	// the very characters folding removes).
	raw bool
}

// line is one line of a file in the forms the matchers read, computed
// once for all of them.
type line struct {
	text   string   // as written
	folded string   // fold(text)
	at     []int    // folded byte -> text byte; nil when folded == text
	lower  string   // asciiLower(folded), for the prefilters
	pairs  *pairSet // the byte pairs of lower; nil: not computed
}

// newLine prepares text. With pairs (a scratch set the caller clears with
// done), the prefilters rule most literals out with a bit test.
func newLine(text string, pairs *pairSet) *line {
	folded, at := fold(text)
	l := &line{text: text, folded: folded, at: at, lower: asciiLower(folded), pairs: pairs}
	if pairs != nil {
		pairs.add(l.lower)
	}
	return l
}

// done clears the line's byte pairs from the scratch set.
func (l *line) done() {
	if l.pairs != nil {
		l.pairs.remove(l.lower)
	}
}

// FindStringIndex returns the byte range, in s, of the first match that
// every condition accepts, or nil.
func (m matcher) FindStringIndex(s string) []int { return m.match(newLine(s, nil)) }

// match is FindStringIndex on a prepared line.
func (m matcher) match(l *line) []int {
	if !m.admits(l) {
		return nil
	}
	if m.raw {
		return m.find(l.text)
	}
	loc := m.find(l.folded)
	if loc == nil || l.at == nil {
		return loc
	}
	return []int{l.at[loc[0]], l.at[loc[1]]}
}

// admits runs the prefilters of the matcher and its companions: only a
// line that passes them all is worth a regular expression.
func (m matcher) admits(l *line) bool {
	if m.raw {
		if len(l.text) < m.pre.minLen {
			return false
		}
	} else if !m.pre.admits(l.lower, l.pairs) {
		return false
	}
	for _, w := range m.with {
		if !w.admits(l) {
			return false
		}
	}
	return true
}

func (m matcher) find(text string) []int {
	for _, w := range m.with {
		if w.find(text) == nil {
			return nil
		}
	}
	if m.keep == nil {
		return m.re.FindStringIndex(text)
	}
	for _, loc := range m.re.FindAllStringIndex(text, -1) {
		if m.keep(text[loc[0]:loc[1]]) {
			return loc
		}
	}
	return nil
}

func re(expr string) matcher {
	return matcher{re: regexp.MustCompile(expr), pre: newPrefilter(expr)}
}

func keep(expr string, f func(string) bool) matcher {
	m := re(expr)
	m.keep = f
	return m
}

// all is m, matched only on lines where each of with matches too.
func all(m matcher, with ...matcher) matcher {
	m.with = with
	return m
}

// Building blocks shared by several rules (Go regexp syntax, joined with |).
const (
	// a program or call that talks to the network
	netCall = `(?i)\b(curl|wget|fetch|iwr|irm|Invoke-WebRequest|Invoke-RestMethod|nc|ncat|socat)\b|` +
		`(?i)\b(requests|httpx|aiohttp|axios|got|superagent)\.(get|post|put|request|patch)\b|urlopen\s*\(|urllib\.request|` +
		`(?i)\bfetch\s*\(|XMLHttpRequest|\bhttps?\.(get|request)\s*\(|DownloadString|DownloadFile|WebClient`
	// paste sites, tunnels, request catchers and URL shorteners: where
	// payloads are hosted and stolen data is sent
	suspiciousHosts = `(?i)\b(bore\.pub|[\w-]+\.ngrok(-free)?\.(io|app|dev)|ngrok\.io|trycloudflare\.com|serveo\.net|localhost\.run|loca\.lt|pinggy\.(io|link)|` +
		`glot\.io|pastebin\.com|paste\.ee|hastebin\.com|ghostbin\.\w+|rentry\.(co|org)|termbin\.com|transfer\.sh|file\.io|0x0\.st|` +
		`webhook\.site|requestbin\.\w+|pipedream\.net|oast\.\w+|interact\.sh|burpcollaborator\.net|` +
		`bit\.ly|tinyurl\.com|is\.gd|cutt\.ly|rb\.gy|t\.co/)`
	rawIPURL = `(?i)\b(https?|ftp)://\d{1,3}(\.\d{1,3}){3}\b`
	// a credential store in the home folder, by its folder or file name
	credPath = `(?i)(^|[\s"'/~=:(\x60\\])\.(ssh|aws|gnupg|kube|azure|openclaw|clawdbot|netrc|git-credentials|pypirc)\b(/[\w.-]+)?|` +
		`(?i)\.config/gcloud\b|\.docker/config\.json|\bid_(rsa|ed25519|ecdsa|dsa)\b(\.pub)?`
	// files whose only use is stealing: browser password and cookie
	// databases, keychains, wallets
	stealerFile = `(?i)[/\\"'](Login Data|Web Data|Local State|Cookies)\b|\bkey4\.db\b|\blogins\.json\b|\bcookies\.sqlite\b|` +
		`(?i)Chrome Safe Storage|dump-keychain|\blogin\.keychain|Library/Keychains|\bwallet\.dat\b|\.electrum/wallets|` +
		`(?i)exodus\.wallet|Ethereum/keystore|solana/id\.json|nkbihfbeogaeaoehlefnkodbefgpgknn|bfnaelmomeimhlpmgjnjophhpkkoljpa`
	// reading a file's content (or packing it up)
	readsFile = `(?i)\b(cat|cp|scp|tar|zip|7z|rsync|base64|xxd|head|tail|strings|sqlite3|find)\b|\bopen\s*\(|read_text|read_bytes|` +
		`(?i)readFile|createReadStream|\.read\(|\bglob\b|shutil\.|os\.walk|os\.listdir|copyfile|Get-Content|@~|--data-binary|--upload-file`
	// the whole environment, serialised
	envDump = `(?i)\bprintenv\b\s*($|[|>;&)])|\benv\s*[|>]|(^|[;&|]\s*)env\s*$|json\.dumps\(\s*(dict\()?os\.environ|dict\(\s*os\.environ\s*\)|` +
		`(?i)os\.environ\.(copy|items)\(\)|JSON\.stringify\(\s*process\.env\s*\)|Object\.(entries|keys)\(\s*process\.env\s*\)|Get-ChildItem\s+env:`
	// sending data out
	sends = `(?i)\bcurl\b.*\s(-d|--data[\w-]*|-F|--form|-T|--upload-file)\s|\bwget\b.*--post-(data|file)|` +
		`(?i)\b(requests|httpx|axios|got)\.(post|put)\b|method:\s*["']POST|\bnc\s+\S+\s+\d+\s*<|-Method\s+Post|\bscp\b.*\S@\S+:`
	// a download to a file
	download = `(?i)\b(curl\b.*\s(-o|-O|-\w*[oO]|--output)\b|wget\b|iwr\b|Invoke-WebRequest\b.*-OutFile|DownloadFile)`
	// running what was just fetched: from a temp or hidden path, in the
	// background, or after stripping macOS's quarantine flag
	runsFetched = `(?i)(&&|;|\|\|)\s*(sudo\s+)?(nohup\s+)?((ba|z)?sh\s+|python[23]?\s+|node\s+)?(\./|/tmp/|/var/tmp/|/dev/shm/|\$TMPDIR|%TEMP%|~/\.)\S*|xattr\s+-\w*[dc]\w*\s+(com\.apple\.quarantine\s+)?|` +
		`(?i)\bStart-Process\b|&&\s*open\s+(-a\s+)?\S+\.(app|dmg|pkg)\b`
	lureTerminal = `(?i)\b(open|launch|start)\s+(a\s+|your\s+|the\s+)?(terminal|command\s+prompt|powershell|cmd)(\.app)?\s*(,\s*)?(and|then)\s+(run|paste|type|enter|execute)|` +
		`(?i)\b(paste|copy)\s+(it|this|that|them|(the\s+)?(following|command|script|line|snippet|code)(\s+\w+)?)\s+(in|into)\s+(a\s+|your\s+|the\s+)?(terminal|shell|command\s+line|powershell)|` +
		`(?i)\brun\s+(this|the\s+following|it)\s+(command\s+|script\s+)?in\s+(a\s+|your\s+|the\s+)?terminal|\b(press|hit)\s+(win|windows|cmd|command)\s*\+\s*(r|space)\b`
	lurePrerequisite = `(?i)(prerequisite|required|requirement|before\s+(you\s+)?(use|using|install)|must\s+(first\s+)?install)[^\n]{0,80}\b(install|download|run)\b[^\n]{0,80}\b(helper|agent|driver|tool|package|runtime|component|plugin|core)\b`
	persistence      = `(?i)\bcrontab\b|@reboot|/etc/cron|launchctl\s+(load|bootstrap|submit)|LaunchAgents|LaunchDaemons|systemctl\s+(--user\s+)?enable|/etc/systemd/system|` +
		`(?i)\.config/(autostart|systemd/user)|>>?\s*\S*\.(bashrc|zshrc|profile|bash_profile|zprofile|zshenv|bash_login)\b|/etc/rc\.local|schtasks\s+/create|CurrentVersion\\Run`
	// writing to the files OpenClaw loads into every session
	agentMemoryWrite = `(?i)(>>?|\btee\s+(-a\s+)?|\b(write|append|add|save|store|put)\b)[^\n]{0,80}\b(SOUL|MEMORY|AGENTS|IDENTITY|USER)\.md\b`
	// a program reading its script from a pipe
	shellSink = `\|\s*(sudo\s+(-\S+\s+)*)?(\w+=\S+\s+)?((ba|z|da|k|fi|c|tc)?sh|python[23]?|perl|ruby|node|php)\b(\s+-s?)?\s*($|[;&)|'"\x60#])`
)

// installerHosts serve the documented curl-to-shell installers of
// well-known tools; piping them into a shell warns instead of blocking.
// Paths matter where the host is shared (raw.githubusercontent.com).
var installerHosts = []string{
	"sh.rustup.rs/", "static.rust-lang.org/", "raw.githubusercontent.com/Homebrew/", "raw.githubusercontent.com/nvm-sh/",
	"raw.githubusercontent.com/helm/", "get.docker.com/", "deno.land/", "bun.sh/", "astral.sh/", "ollama.com/",
	"install.python-poetry.org/", "get.pnpm.io/", "tailscale.com/", "fnm.vercel.app/", "starship.rs/",
	"sdk.cloud.google.com/", "get.k3s.io/", "openclaw.ai/", "cli.github.com/", "get.volta.sh/",
}

var urlInText = regexp.MustCompile(`(?i)\b[a-z]+://[^\s"'|)<>\x60]+`)

// onlyKnownInstallers reports whether every URL in s is an https URL of a
// well-known installer (and there is at least one).
func onlyKnownInstallers(s string) bool {
	urls := urlInText.FindAllString(s, -1)
	if len(urls) == 0 {
		return false
	}
	for _, u := range urls {
		rest, ok := strings.CutPrefix(strings.ToLower(u), "https://")
		if !ok {
			return false
		}
		if !strings.Contains(rest, "/") {
			rest += "/"
		}
		known := false
		for _, h := range installerHosts {
			known = known || strings.HasPrefix(rest, strings.ToLower(h))
		}
		if !known {
			return false
		}
	}
	return true
}

// isIPURL reports whether a match of rawIPURL|suspiciousHosts is the
// raw-IP URL (the suspicious hosts carry no scheme).
func isIPURL(m string) bool {
	scheme, _, ok := strings.Cut(m, "://")
	return ok && (strings.EqualFold(scheme, "http") || strings.EqualFold(scheme, "https") || strings.EqualFold(scheme, "ftp"))
}

// publicIP reports whether a raw-IP URL points at the internet: loopback,
// private and unspecified addresses are a local service, not a server
// somebody else runs.
func publicIP(m string) bool {
	host := m[strings.Index(m, "//")+2:]
	a, err := netip.ParseAddr(host)
	if err != nil {
		return false // 999.1.1.1 is no address
	}
	return !a.IsLoopback() && !a.IsPrivate() && !a.IsUnspecified()
}

var (
	mRawIP      = keep(rawIPURL, publicIP)
	mSuspicious = re(suspiciousHosts)
	mUntrusted  = keep(rawIPURL+`|`+suspiciousHosts, func(m string) bool { return !isIPURL(m) || publicIP(m) })
	mLure       = re(lureTerminal + `|` + lurePrerequisite)
	mNetCall    = re(netCall)
	mSends      = re(sends)
	mRunFetched = re(runsFetched)
	mPayloadish = re(rawIPURL + `|` + suspiciousHosts + `|/tmp/|/dev/shm/|/var/tmp/|\bbase64\b|` + shellSink)
)

// pipeToShell: a download handed straight to an interpreter, including
// bash <(curl ...) and sh -c "$(curl ...)", and a continued line that
// starts with the pipe.
const pipeToShell = `(?i)\b(curl|wget|fetch|iwr|irm|Invoke-WebRequest|Invoke-RestMethod)\b[^|]*` + shellSink + `|` +
	`(?i)\b((ba|z|da|k)?sh|source|\.)\s+<\(\s*(curl|wget)\b[^)]*\)|\b(ba|z|da|k)?sh\s+-c\s+["']?\$\(\s*(curl|wget)\b[^)]*\)|` +
	`(?i)\b(iwr|irm|Invoke-WebRequest|Invoke-RestMethod)\b[^|]*\|\s*(iex|Invoke-Expression)\b|` +
	`^\s*\|\s*(sudo\s+)?(ba|z|da|k)?sh\s*$`

// rules are matched line by line, on the folded line (normalize.go).
var rules = []rule{
	{"shell.pipe_remote", Critical, "downloads a script and runs it in a shell",
		keep(pipeToShell, func(m string) bool { return !onlyKnownInstallers(m) })},
	{"shell.pipe_installer", Warn, "pipes a well-known tool's official installer into a shell (runs whatever that server sends)",
		keep(pipeToShell, onlyKnownInstallers)},
	{"shell.decode_exec", Critical, "decodes an encoded payload into a shell", re(
		`(?i)\b(base64|b64|openssl\s+(base64|enc\s+-base64))\s+(-d|-D|--decode)\b[^|]{0,200}` + shellSink + `|` +
			`(?i)\bxxd\s+-r(\s+-p)?[^|]{0,100}` + shellSink + `|` +
			`(?i)\b(printf|echo\s+-n?e)\s+["']?(\\x[0-9a-f]{2}){4,}[^|]*` + shellSink + `|` +
			`(?i)\b(powershell|pwsh)(\.exe)?\b.*\s-(e|ec|enc|encodedcommand)\s+[A-Za-z0-9+/=]{20,}|` +
			`(?i)(^|[;&|(]\s*|\beval\s+|\b(ba|z)?sh\s+-c\s+)["']?\$\(\s*(echo|printf)\s+\S+\s*\|\s*base64\s+(-d|-D|--decode)`)},
	{"shell.reverse", Critical, "opens a reverse shell (a remote operator gets a shell on this machine)", re(
		`(?i)/dev/(tcp|udp)/[\w.-]+/\d+|\b(nc|ncat|netcat)\b[^|;&]*\s-(e|c)\s+\S*(sh|bash|cmd)|\bsocat\b.*\bexec:|` +
			`(?i)\bbash\s+-i\s*>&|pty\.spawn\s*\(\s*["'](/bin/)?(ba)?sh|\bmkfifo\b.*\b(nc|ncat)\b`)},
	{"code.dynamic_exec", Critical, "runs code fetched or decoded at run time", re(
		`(?i)\beval\s*\(\s*(atob|base64|requests\.get|fetch|await\s+fetch|\(\s*await|urllib|Buffer\.from|String\.fromCharCode|unescape|decodeURIComponent|["'](\\x|\\u00|%[0-9a-f]{2}))|` +
			`(?i)\bexec\s*\(\s*(base64|b64decode|requests\.get|urllib|urlopen|compile\(|zlib|marshal|bytes\.fromhex|codecs\.decode|__import__|["']\\x)|` +
			`(?i)python[23]?\s+-c\s+["'][^"']*(urlopen|requests\.get|exec\(|b64decode)|\b(python[23]?|node|perl|ruby)\s+-[ce]\s+["']?\$\(\s*(curl|wget)|` +
			`(?i)\beval\s+["']?\$\(\s*(curl|wget)\b|new\s+Function\s*\(|\b(iex|Invoke-Expression)\b.*\b(DownloadString|iwr|irm|Invoke-WebRequest|FromBase64String)|` +
			`(?i)__import__\(\s*["'](base64|zlib|marshal)["']\)`)},
	{"download.exec", Critical, "downloads a program and runs it (from a temp or hidden path, or after removing macOS's quarantine)", all(re(download), mRunFetched)},
	{"download.hidden_run", Critical, "runs a hidden file from a temporary folder", re(
		`(?i)(^|[;&|]\s*|\bnohup\s+|\bexec\s+)(/tmp|/var/tmp|/dev/shm|\$TMPDIR)/\.[\w.-]+`)},
	{"url.raw_ip", Warn, "contacts a raw IP address", mRawIP},
	{"url.suspicious_host", Warn, "uses a paste site, tunnel, request catcher or URL shortener", mSuspicious},
	{"net.untrusted", Critical, "fetches from or sends to a raw IP, paste site, tunnel, request catcher or URL shortener",
		all(mNetCall, mUntrusted)},
	{"lure.terminal", Warn, "tells the user to run something in a terminal", re(lureTerminal)},
	{"lure.prerequisite", Warn, "a 'prerequisite' banner asking to install a helper first", re(lurePrerequisite)},
	{"lure.payload", Critical, "a terminal lure or prerequisite banner pointing at a raw IP, paste site or tunnel",
		all(mLure, mUntrusted)},
	{"archive.password", Critical, "a password-protected archive (its content cannot be checked, which is its purpose)", re(
		`(?i)\bunzip\s+(-\w+\s+)*-P\s|\b7z\s+[xe]\b.*\s-p\S|\bunrar\s+[xe]\b.*\s-p\S|` +
			`(?i)\.(zip|7z|rar)\b[^\n]{0,80}\b(password|passphrase|passcode|pass)\s*(is\s*)?[:=\x60"']|` +
			`(?i)\b(password|passphrase|passcode)\s*(is\s*)?[:=]\s*[\x60"']?[\w-]+[\x60"']?[^\n]{0,60}\.(zip|7z|rar)\b|` +
			`(?i)\b(extract|unzip|unpack|open)\b[^\n]{0,60}\b((with|using)\s+(the\s+)?(password|passphrase)|(password|passphrase|passcode|pass)\s*[:=])|` +
			`(?i)\b(archive|zip|rar|7z)\s+(password|passphrase)\s*(is\s*)?[:=]`)},
	{"creds.read", Critical, "reads credential stores (SSH and cloud keys, browser passwords, keychains, wallets)", all(
		keep(stealerFile+`|`+credPath, func(m string) bool { return !strings.HasSuffix(strings.ToLower(m), ".pub") }),
		re(readsFile+`|`+stealerFile))},
	{"creds.path", Warn, "names a credential store (SSH, cloud, OpenClaw's own config)", keep(credPath, func(m string) bool {
		return !strings.HasSuffix(strings.ToLower(m), ".pub")
	})},
	{"creds.env_file", Warn, "reads .env files", re(`(?i)\b(cat|open|read|load|source|cp|copy)\b[^\n]{0,40}\.env\b`)},
	{"exfil.send", Critical, "sends credentials or the environment over the network", all(
		mSends, re(credPath+`|`+stealerFile+`|`+envDump+`|(^|[\s"'/@=])\.env\b`))},
	{"env.harvest", Warn, "collects the whole environment", re(envDump)},
	{"persist.autostart", Warn, "installs itself to start again (cron, launchd, systemd, shell rc files)", re(persistence)},
	{"persist.payload", Critical, "makes a download, a temp-folder program or a decoded payload start again by itself", all(
		re(persistence), mPayloadish)},
	{"persist.agent_memory", Warn, "writes to the agent's own memory or persona files (SOUL.md, MEMORY.md, AGENTS.md)", re(agentMemoryWrite)},
	{"injection.memory_write", Critical, "writes standing instructions into the agent's memory or persona files (memory poisoning)", all(
		re(agentMemoryWrite), re(`(?i)\b(always|every\s+time|from\s+now\s+on|whenever|never|ignore|do\s+not\s+(ask|tell|mention)|without\s+asking)\b`))},
	{"priv.escalate", Warn, "asks for more privileges", re(`(?i)\bsudo\s+\S|\bsetcap\s|\bdoas\s+\S|\bpkexec\s`)},
	{"priv.setuid", Critical, "makes a program run as root for everyone (setuid) or grants passwordless sudo", re(
		`(?i)\bchmod\s+(-\w+\s+)*([ugoa]*\+[rwx]*s|[0-7]*[4-7][0-7]{3}\b)|NOPASSWD\s*:|>>?\s*/etc/sudoers|/etc/sudoers\.d/|` +
			`(?i)\bsetcap\s+\S*cap_(setuid|sys_admin|dac_override)|\busermod\s+-\w*G\s+(sudo|wheel|admin)\b`)},
	{"crypto.mining", Critical, "mines cryptocurrency", re(
		`(?i)\b(xmrig|xmr-stak|minerd|cpuminer|cryptonight|coinhive|nicehash|randomx|ethminer|t-rex|lolminer|nbminer)\b|stratum\+(tcp|ssl|tls)://|` +
			`(?i)--donate-level|\b(supportxmr|moneroocean|c3pool|nanopool|minexmr|herominers|2miners|f2pool)\.(com|org|stream|net)\b`)},
	{"injection.override", Critical, "instructions aimed at the agent: overriding its rules", re(
		`(?i)\b(ignore|disregard|forget|override|bypass)\s+(all\s+|any\s+)?(of\s+)?(your\s+|the\s+)?(previous|prior|above|earlier|system|safety|original)\s+(instructions|rules|prompts?|guidelines|guardrails|policies)|` +
			`(?i)you\s+are\s+now\s+(in\s+)?(developer|dan|jailbreak|god|unrestricted)\s+mode|<\|im_start\|>\s*system|\bnew\s+system\s+prompt\s*:|` +
			`(?i)\b(these|the\s+following)\s+instructions\s+(take\s+precedence|override|supersede)`)},
	{"injection.conceal", Critical, "tells the agent to hide what it does from the user", re(
		`(?i)\b(do\s+not|don't|never)\s+(tell|inform|notify|alert|show|mention\s+(this|it|that|these)(\s+\w+)?\s+to)\s+the\s+user\b|` +
			`(?i)\bwithout\s+(telling|informing|notifying|alerting|asking)\s+the\s+user\b[^\n]{0,80}\b(run|send|upload|execute|install|read|copy)|` +
			`(?i)\b(hide|conceal|keep)\s+(this|these|it|them)\s+(secret\s+)?from\s+the\s+user|\b(silently|quietly|secretly|covertly)\s+(run|execute|send|upload|install|copy)\b`)},
	{"injection.html_comment", Warn, "an HTML comment with instructions (hidden from readers of the rendered page)", re(
		`(?i)<!--[^>]{0,300}\b(ignore|instructions?|assistant|agent|llm|ai|model|system|you\s+must|you\s+should|always|never|execute|do\s+not\s+tell)\b`)},
	{"obfuscation.packed", Critical, "packed or obfuscated code (a JavaScript packer, obfuscator names, hex-escaped code run in place)", re(
		`(?i)eval\s*\(\s*function\s*\(\s*p\s*,\s*a\s*,\s*c\s*,\s*k\s*,\s*e\s*,\s*[dr]\s*\)|(\b_0x[0-9a-f]{4,6}\b.*){8}|` +
			`(?i)(eval|exec|Function|system|popen|spawn|bash\s+-c|sh\s+-c)\s*\(?\s*["'](\\x[0-9a-f]{2}){8,}|String\.fromCharCode\((\s*\d+\s*,){20,}`)},
	{"obfuscation.minified", Warn, "a long minified or packed line in a skill (its behaviour cannot be read)", keep(`^.{1000,}$`, minified)},
}

// minified reports whether a long line is code with almost no spaces.
func minified(line string) bool {
	spaces, punct := 0, 0
	for _, c := range line {
		switch {
		case unicode.IsSpace(c):
			spaces++
		case strings.ContainsRune(";{}()=,", c):
			punct++
		}
	}
	n := utf8.RuneCountInString(line)
	return spaces*25 < n && punct*20 > n
}

// hiddenChars finds invisible characters that can hide instructions:
// zero-width characters, bidi controls and Unicode tags. Some have honest
// uses, which it leaves alone: a joiner between two non-ASCII characters
// (an emoji sequence, a Persian or Hindi word), a byte-order mark at the
// very start of a line, and the tag sequence of a subdivision flag (🏴
// followed by tag letters and the cancel tag).
var hiddenChars hidden

type hidden struct{}

// FindStringIndex returns the first invisible character without an
// honest use in line, or nil.
func (hidden) FindStringIndex(line string) []int {
	prev := rune(0)
	for i, r := range line {
		switch {
		case r == '\ufeff' && i == 0:
		case r == '\u200c' || r == '\u200d':
			next, _ := utf8.DecodeRuneInString(line[i+len(string(r)):])
			if prev < utf8.RuneSelf || next < utf8.RuneSelf || next == utf8.RuneError {
				return []int{i, i + len(string(r))}
			}
		case r == 0x1F3F4:
			if n := flagTags(line[i+4:]); n > 0 {
				return hidden{}.after(line, i+4+n)
			}
		case r == '\u200b' || r == '\u2060' || r == '\ufeff' || (r >= '\u202a' && r <= '\u202e') || (r >= '\u2066' && r <= '\u2069') ||
			(r >= 0xE0000 && r <= 0xE007F):
			return []int{i, i + len(string(r))}
		}
		prev = r
	}
	return nil
}

// after searches line from byte i on, shifting the result back to line.
func (h hidden) after(line string, i int) []int {
	loc := h.FindStringIndex(line[i:])
	if loc == nil {
		return nil
	}
	return []int{loc[0] + i, loc[1] + i}
}

// flagTags is the byte length of a subdivision flag's tag sequence at the
// start of s (tag letters or digits, then the cancel tag), or 0.
func flagTags(s string) int {
	n := 0
	for i, r := range s {
		switch {
		case r == 0xE007F && n >= 2 && n <= 6:
			return i + 4
		case (r >= 0xE0030 && r <= 0xE0039) || (r >= 0xE0061 && r <= 0xE007A):
			n++
		default:
			return 0
		}
	}
	return 0
}

// encodedBlob finds long base64 or \x runs; base64 images and fonts
// embedded as data: URLs are content, not code.
var encodedBlob = rawMatcher(keep(`(data:(image|font)/[\w.+-]+;base64,)?[A-Za-z0-9+/]{400,}={0,2}|(\\x[0-9a-fA-F]{2}){40,}`,
	func(m string) bool { return !strings.HasPrefix(m, "data:") }))

// rawMatcher is m matched on the line as written.
func rawMatcher(m matcher) matcher {
	m.raw = true
	return m
}

// RuleInfo describes one rule of the catalogue.
type RuleInfo struct {
	ID, Severity, Message string
}

// builtinRules are the findings the scanner makes outside the line rules
// (skill.go, archive.go, frontmatter.go): the walker's bounds, archives,
// the frontmatter, secrets, and the invisible characters and blobs matched
// on the raw line. Keep in step with those files; the corpus test fails
// on a finding whose id is missing here.
var builtinRules = []RuleInfo{
	{"injection.hidden_chars", Critical, "invisible characters (zero-width, bidi or Unicode tags) that can hide instructions"},
	{"obfuscation.encoded_blob", Warn, "a long encoded blob"},
	{"secret.hardcoded", Critical, "a hardcoded credential"},
	{"secret.possible", Warn, "what looks like a hardcoded credential (a generic key assignment or a high-entropy value)"},
	{"declared.env", Warn, "uses an environment variable the frontmatter does not declare (requires.env)"},
	{"declared.network", Warn, "runs a network tool the frontmatter does not declare (requires.bins)"},
	{"skill.no_skill_md", Warn, "no SKILL.md at the top of the folder"},
	{"skill.frontmatter", Warn, "SKILL.md has no frontmatter or unreadable metadata"},
	{"file.binary", Warn, "a compiled or binary file (its behaviour cannot be read)"},
	{"file.nul_in_text", Critical, "a NUL byte in a script or text file (hides the file from tools that stop at binary content; interpreters run it)"},
	{"file.symlink", Warn, "a symbolic link (not followed)"},
	{"file.too_large", Critical, "a file larger than a skill needs; it was not read"},
	{"file.too_many", Critical, "more files than a skill needs"},
	{"archive.encrypted", Critical, "a password-protected archive member (its content cannot be checked)"},
	{"archive.path_traversal", Critical, "an archive member whose path leaves the archive"},
	{"archive.duplicate_name", Critical, "two archive members share a name (which one is extracted depends on the tool)"},
	{"archive.too_deep", Critical, "archives nested deeper than the scanner reads"},
	{"archive.unreadable", Critical, "an archive or member that cannot be read"},
	{"archive.special_file", Warn, "a device, FIFO or other special file in an archive"},
	{"archive.inconsistent", Critical, "a zip whose local entries and central directory disagree (streaming extractors write files the scanner never saw)"},
	{"archive.unknown_type", Critical, "a tar member of an unknown type (tar extracts it as a regular file)"},
	{"scan.incomplete", Critical, "the scan stopped before the end (out of time, cancelled, or too many findings); what was not read cannot be allowed"},
	{"archive.unsupported", Warn, "an archive format the scanner cannot open (its content cannot be checked)"},
}

// Catalogue lists every rule the skill scanner can report, for SARIF's
// rule table, documentation and the corpus test that wants an example of
// each.
func Catalogue() []RuleInfo {
	out := make([]RuleInfo, 0, len(rules)+len(builtinRules))
	for _, r := range rules {
		out = append(out, RuleInfo{r.id, r.severity, r.message})
	}
	return append(out, builtinRules...)
}
