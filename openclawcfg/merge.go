package openclawcfg

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
)

// Change is one value the merge set in the config.
type Change struct {
	Path   []string // keys from the root
	Old    any      // the value before; nil when Added
	New    any
	Added  bool // the path did not exist before
	Secret bool // the old value may be a credential: never print it
}

// unionPaths hold lists that the patch adds to instead of replacing: other
// plugins the user loads must stay loaded.
var unionPaths = [][]string{{"plugins", "load", "paths"}}

// Merge merges patch into cfg (changing cfg), objects recursively and other
// values by replacement, except that the lists in unionPaths gain the
// patch's items. It then makes sure the plugin is not shut out by
// plugins.allow, plugins.deny or plugins.enabled. It returns what changed,
// in path order.
func Merge(cfg, patch map[string]any) []Change {
	var changes []Change
	mergeInto(cfg, normalize(patch).(map[string]any), nil, &changes)
	changes = append(changes, admitPlugin(cfg)...)
	sort.SliceStable(changes, func(i, j int) bool {
		return slices.Compare(changes[i].Path, changes[j].Path) < 0
	})
	return changes
}

func mergeInto(dst, patch map[string]any, path []string, changes *[]Change) {
	keys := make([]string, 0, len(patch))
	for k := range patch {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		pv := patch[k]
		p := append(slices.Clip(path), k)
		dv, had := dst[k]
		if pm, ok := pv.(map[string]any); ok {
			if dm, ok := dv.(map[string]any); ok {
				mergeInto(dm, pm, p, changes)
				continue
			}
		}
		nv := pv
		if isUnionPath(p) {
			nv = union(dv, pv)
		}
		if had && reflect.DeepEqual(dv, nv) {
			continue
		}
		dst[k] = nv
		*changes = append(*changes, Change{Path: p, Old: dv, New: nv, Added: !had, Secret: had && secretKey(k)})
	}
}

func isUnionPath(p []string) bool {
	return slices.ContainsFunc(unionPaths, func(u []string) bool { return slices.Equal(u, p) })
}

// union is old's items followed by those of add it lacks; old that is not a
// list is replaced.
func union(old, add any) any {
	ol, _ := old.([]any)
	out := slices.Clone(ol)
	for _, v := range add.([]any) {
		if !slices.ContainsFunc(out, func(o any) bool { return reflect.DeepEqual(o, v) }) {
			out = append(out, v)
		}
	}
	return out
}

// admitPlugin undoes what would keep the Warden plugin from loading: an
// allowlist without it, a denylist with it, plugins switched off.
func admitPlugin(cfg map[string]any) []Change {
	plugins, _ := cfg["plugins"].(map[string]any)
	if plugins == nil {
		return nil
	}
	var changes []Change
	set := func(k string, old, nv any) {
		plugins[k] = nv
		changes = append(changes, Change{Path: []string{"plugins", k}, Old: old, New: nv})
	}
	if allow, ok := plugins["allow"].([]any); ok && len(allow) > 0 && !slices.Contains(allow, any(PluginID)) {
		set("allow", allow, append(slices.Clone(allow), PluginID))
	}
	if deny, ok := plugins["deny"].([]any); ok && slices.Contains(deny, any(PluginID)) {
		set("deny", deny, slices.DeleteFunc(slices.Clone(deny), func(v any) bool { return v == PluginID }))
	}
	if enabled, ok := plugins["enabled"].(bool); ok && !enabled {
		set("enabled", false, true)
	}
	return changes
}

// AsPatch turns changes back into a patch that `openclaw config patch`
// (objects merge, lists replace) applies with the same result as Merge.
func AsPatch(changes []Change) map[string]any {
	out := map[string]any{}
	for _, c := range changes {
		m := out
		for _, k := range c.Path[:len(c.Path)-1] {
			next, ok := m[k].(map[string]any)
			if !ok {
				next = map[string]any{}
				m[k] = next
			}
			m = next
		}
		m[c.Path[len(c.Path)-1]] = c.New
	}
	return out
}

// normalize gives v the types a JSON decoder produces (float64 numbers,
// []any, map[string]any), so patch values compare equal to parsed ones.
func normalize(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("openclawcfg: patch is not JSON: %v", err)) // built here, always JSON
	}
	var out any
	json.Unmarshal(b, &out)
	return out
}

// secretKey reports whether a key's value may be a credential.
func secretKey(k string) bool {
	k = strings.ToLower(k)
	for _, s := range []string{"key", "token", "secret", "password", "passphrase", "credential", "authorization", "cookie"} {
		if strings.Contains(k, s) {
			return true
		}
	}
	return false
}

// String prints a change for a person: the new value in JSON (the patch
// holds no secrets), the old one only when it cannot be a secret
// (credentials in URLs are masked, objects summarised).
func (c Change) String() string {
	path := PathString(c.Path)
	b, _ := json.Marshal(c.New)
	nv := string(b)
	if c.Added {
		return "+ " + path + " = " + nv
	}
	old := "(a value that may be a secret, not shown)"
	if !c.Secret {
		old = show(c.Old)
	}
	return "~ " + path + ": " + old + " -> " + nv
}

// PathString writes a path the way OpenClaw's config commands take it:
// dots, with brackets around keys that are not plain identifiers.
func PathString(p []string) string {
	var b strings.Builder
	for i, k := range p {
		if isIdent(k) {
			if i > 0 {
				b.WriteByte('.')
			}
			b.WriteString(k)
			continue
		}
		q, _ := json.Marshal(k)
		b.WriteString("[" + string(q) + "]")
	}
	return b.String()
}

func isIdent(k string) bool {
	if k == "" {
		return false
	}
	for i, c := range k {
		if !(c == '_' || c == '$' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || i > 0 && (c == '-' || '0' <= c && c <= '9')) {
			return false
		}
	}
	return true
}

// show is v in compact JSON, with the password of any URL masked.
func show(v any) string {
	switch t := v.(type) {
	case nil:
		return "null"
	case string:
		t = maskURL(t)
		b, _ := json.Marshal(t)
		return string(b)
	case map[string]any:
		return fmt.Sprintf("{%d keys}", len(t))
	case []any:
		parts := make([]string, len(t))
		for i, e := range t {
			parts[i] = show(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// maskURL replaces the password in a URL's authority by ***, unless it is
// a ${VAR} reference (which names a variable and is no secret). It does not
// rely on url.Parse, which refuses some characters a password may hold.
func maskURL(s string) string {
	_, rest, ok := strings.Cut(s, "://")
	if !ok {
		return s
	}
	authority, _, _ := strings.Cut(rest, "/")
	at := strings.LastIndex(authority, "@")
	if at < 0 {
		return s
	}
	_, pw, ok := strings.Cut(authority[:at], ":")
	if !ok || pw == "" || strings.HasPrefix(pw, "${") && strings.HasSuffix(pw, "}") {
		return s
	}
	return strings.Replace(s, ":"+pw+"@", ":***@", 1)
}

// Clone is a deep copy of a parsed config.
func Clone(v any) any {
	switch t := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, e := range t {
			m[k] = Clone(e)
		}
		return m
	case []any:
		s := make([]any, len(t))
		for i, e := range t {
			s[i] = Clone(e)
		}
		return s
	}
	return v
}
