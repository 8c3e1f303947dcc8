package toolcall

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/wardenhq/warden"
)

// audience is how much of a call's parameters one audience sees.
type audience struct {
	mask  func(string) string
	str   int // longest string kept, in bytes
	depth int
	items int // entries kept per map or list
}

// recordView is what the audit record keeps: every secret and personal
// value masked, short strings (enough to replay a policy on a command).
func (s *Service) recordView() audience {
	return audience{mask: s.opts.Mask, str: 2048, depth: 8, items: 64}
}

// approverView is what approvers are shown: credentials masked, but the
// people and addresses a call reaches visible (an approver must see who a
// message goes to), and long commands nearly whole.
func (s *Service) approverView() audience {
	return audience{mask: s.opts.MaskSecrets, str: 16 << 10, depth: 16, items: 256}
}

// actionHash binds an approval to one exact call by one agent: a keyed hash
// (the install's index key, so the store alone cannot be used to test
// guesses) of the agent id, the tool and the canonical JSON of the
// parameters. encoding/json writes map keys sorted and numbers in one form,
// so the same call hashes the same whichever enforcement point sees it.
func (s *Service) actionHash(agentID int64, tool string, params map[string]any) ([]byte, error) {
	canon, err := json.Marshal(params)
	if err != nil {
		return nil, warden.Errorf(warden.EINVALID, "params cannot be encoded: %v", err)
	}
	return s.keys.Index("tool-action", []byte(strconv.FormatInt(agentID, 10)), []byte(tool), canon), nil
}

// maskParams returns a copy of params fit for one audience: strings
// masked and cut, deep or long structures cut, each cut marked. Keys are
// names, kept as they are.
func maskParams(params map[string]any, v audience) map[string]any {
	out, _ := v.value(params, 0).(map[string]any)
	return out
}

func (v audience) value(x any, depth int) any {
	if depth >= v.depth {
		return "[cut: nested too deep]"
	}
	switch x := x.(type) {
	case string:
		n := len(x)
		if n > v.str {
			x = strings.ToValidUTF8(x[:v.str], "")
		}
		x = v.mask(x)
		if n > v.str {
			x += fmt.Sprintf(" [cut: %d bytes]", n)
		}
		return x
	case map[string]any:
		keys := slices.Sorted(maps.Keys(x))
		m := make(map[string]any, min(len(keys), v.items+1))
		for i, k := range keys {
			if i == v.items {
				m["[cut]"] = fmt.Sprintf("%d more keys", len(keys)-i)
				break
			}
			m[k] = v.value(x[k], depth+1)
		}
		return m
	case []any:
		l := make([]any, 0, min(len(x), v.items+1))
		for i, e := range x {
			if i == v.items {
				l = append(l, fmt.Sprintf("[cut: %d more items]", len(x)-i))
				break
			}
			l = append(l, v.value(e, depth+1))
		}
		return l
	}
	return x
}
