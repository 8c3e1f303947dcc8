package scan

import "regexp"

// The rule catalogue: ids are stable (baselines, SARIF and OpenClaw's
// findings name them); severities are OpenClaw's info, warn, critical.
// Critical blocks an install, warn shows it to the operator.

type rule struct {
	id, severity, message string
	re                    *regexp.Regexp
}

// rules are matched line by line, case-insensitively.
var rules = []rule{
	{"shell.pipe_remote", Critical, "downloads a script and runs it in a shell", regexp.MustCompile(`(?i)\b(curl|wget|fetch)\b[^\n|]{0,300}\|\s*(sudo\s+)?(ba|z|da|k)?sh\b`)},
	{"shell.decode_exec", Critical, "decodes an encoded payload into a shell", regexp.MustCompile(`(?i)\b(base64|b64)\s+(-d|-D|--decode)\b[^\n|]{0,100}\|\s*(sudo\s+)?(ba|z|da)?sh\b|xxd\s+-r\s+-p[^\n|]{0,100}\|\s*(ba|z)?sh\b`)},
	{"code.dynamic_exec", Critical, "runs code fetched or decoded at run time", regexp.MustCompile(`(?i)\beval\s*\(\s*(atob|base64|requests\.get|fetch|urllib|Buffer\.from)|exec\s*\(\s*(base64|requests\.get|urllib|compile\()|python3?\s+-c\s+["'][^"']*(urlopen|requests\.get|exec\()|new\s+Function\s*\(`)},
	{"url.raw_ip", Warn, "contacts a raw IP address", regexp.MustCompile(`(?i)\bhttps?://\d{1,3}(\.\d{1,3}){3}\b`)},
	{"url.suspicious_host", Warn, "uses a paste site, tunnel, request catcher or URL shortener", regexp.MustCompile(`(?i)\b(bore\.pub|ngrok(-free)?\.(io|app)|trycloudflare\.com|glot\.io|pastebin\.com|paste\.ee|hastebin|webhook\.site|requestbin|pipedream\.net|bit\.ly|tinyurl\.com|is\.gd|t\.co/)`)},
	{"lure.terminal", Warn, "tells the user to run something in a terminal", regexp.MustCompile(`(?i)\b(open|launch)\s+(a\s+|your\s+)?terminal\s+and\s+(run|paste|type)|paste\s+(this|the\s+following)(\s+command)?\s+into\s+(a\s+|your\s+)?terminal`)},
	{"lure.prerequisite", Warn, "a 'prerequisite' banner asking to install a helper first", regexp.MustCompile(`(?i)(prerequisite|required|before\s+(you\s+)?(use|using|install))[^\n]{0,80}\b(install|download|run)\b[^\n]{0,80}\b(helper|agent|driver|tool|package)\b`)},
	{"archive.password", Warn, "a password-protected archive (its content cannot be checked)", regexp.MustCompile(`(?i)\b(unzip\s+-P|7z\s+x\s+-p|password[^\n]{0,40}\.(zip|7z|rar))`)},
	{"creds.read", Critical, "reads credential stores", regexp.MustCompile(`(?i)(~|\$HOME|/home/[^/\s]+|/Users/[^/\s]+)/\.(ssh|aws|gnupg|kube|docker|openclaw)\b|\bid_(rsa|ed25519)\b|Login Data|Local State|keychain|wallet\.dat|\.config/gcloud`)},
	{"creds.env_file", Warn, "reads .env files", regexp.MustCompile(`(?i)(cat|open|read|load|source)[^\n]{0,40}\.env\b`)},
	{"env.harvest", Warn, "collects the whole environment", regexp.MustCompile(`(?i)\b(printenv|os\.environ\b(?:\.copy\(\))?\s*$|process\.env\s*\)|env\s*>\s*\S)`)},
	{"persist.autostart", Warn, "installs itself to start again (cron, launchd, systemd, shell rc files)", regexp.MustCompile(`(?i)\bcrontab\b|launchctl\s+load|LaunchAgents|systemctl\s+(--user\s+)?enable|>>\s*~/\.(bashrc|zshrc|profile|bash_profile)`)},
	{"priv.escalate", Warn, "asks for more privileges", regexp.MustCompile(`(?i)\bsudo\s+\S|chmod\s+(u?\+s|[0-7]*[4-7][0-7]{3}\b)|setcap\s`)},
	{"crypto.mining", Critical, "mines cryptocurrency", regexp.MustCompile(`(?i)\b(xmrig|stratum\+tcp://|minerd|cryptonight|coinhive)\b`)},
	{"injection.override", Critical, "instructions aimed at the agent: overriding its rules", regexp.MustCompile(`(?i)\b(ignore|disregard|forget)\s+(all\s+|any\s+)?(previous|prior|above|earlier)\s+(instructions|rules|prompts)|you\s+are\s+now\s+(in\s+)?(developer|dan|jailbreak)\s+mode`)},
	{"injection.html_comment", Warn, "an HTML comment with instructions (hidden from readers of the rendered page)", regexp.MustCompile(`(?i)<!--[^>]{0,300}\b(ignore|instruction|assistant|agent|must|always|never|execute|run)\b`)},
}

var hiddenChars = regexp.MustCompile("[\u200b\u200c\u200d\u2060\ufeff\u202a-\u202e\u2066-\u2069]|\U000E0000|[\U000E0001-\U000E007F]")

var encodedBlob = regexp.MustCompile(`[A-Za-z0-9+/]{400,}={0,2}|(\\x[0-9a-fA-F]{2}){40,}`)
