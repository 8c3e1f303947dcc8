package toolcall

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/wardenhq/warden"
)

// Bounds on what is kept of parameters for people (approvers, the audit
// record): enough to judge a command, never a whole file being written.
const (
	maxKeptString = 2048
	maxKeptDepth  = 8
	maxKeptItems  = 64
)

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

// maskParams returns a copy of params fit to show and record: strings
// masked (secrets, personal data) and cut, deep or long structures cut.
func (s *Service) maskParams(params map[string]any) map[string]any {
	out, _ := s.maskValue(params, 0).(map[string]any)
	return out
}

func (s *Service) maskValue(v any, depth int) any {
	if depth >= maxKeptDepth {
		return "[cut: nested too deep]"
	}
	switch x := v.(type) {
	case string:
		cut := len(x) > maxKeptString
		if cut {
			x = strings.ToValidUTF8(x[:maxKeptString], "")
		}
		x = s.opts.Mask(x)
		if cut {
			x += fmt.Sprintf(" [cut: %d bytes]", len(v.(string)))
		}
		return x
	case map[string]any:
		m := make(map[string]any, min(len(x), maxKeptItems))
		n := 0
		for k, e := range x {
			if n == maxKeptItems {
				m["[cut]"] = fmt.Sprintf("%d more keys", len(x)-n)
				break
			}
			m[s.opts.Mask(k)] = s.maskValue(e, depth+1)
			n++
		}
		return m
	case []any:
		l := make([]any, 0, min(len(x), maxKeptItems+1))
		for i, e := range x {
			if i == maxKeptItems {
				l = append(l, fmt.Sprintf("[cut: %d more items]", len(x)-i))
				break
			}
			l = append(l, s.maskValue(e, depth+1))
		}
		return l
	}
	return v
}
