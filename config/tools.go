package config

import (
	"fmt"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"
)

// ToolPolicy is a profile's tool-plane policy: which tools an agent may
// call, must ask for, or may not call, rules over the call's parameters, and
// per-tool rates. The policy package compiles and checks it.
type ToolPolicy struct {
	Allow []string          `yaml:"allow"` // tool names, "*" globs, OpenClaw groups ("group:fs")
	Ask   []string          `yaml:"ask"`
	Deny  []string          `yaml:"deny"`
	Rules []ToolRule        `yaml:"rules"` // checked first, in order; the first that matches decides
	Rate  map[string]string `yaml:"rate"`  // tool (or glob, or group): "30/1m"
	Line  int               `yaml:"-"`     // where the policy starts in the file
}

// ToolRule decides a call when its CEL condition holds.
type ToolRule struct {
	When     string `yaml:"when"`     // CEL over tool, params, agent, session
	Decision string `yaml:"decision"` // allow, deny or ask
	Reason   string `yaml:"reason"`
	Line     int    `yaml:"-"` // where the rule is in the file
}

// UnmarshalYAML reads a policy and remembers its line.
func (p *ToolPolicy) UnmarshalYAML(n *yaml.Node) error {
	type plain ToolPolicy
	if err := decodeStrict(n, (*plain)(p)); err != nil {
		return err
	}
	p.Line = n.Line
	return nil
}

// UnmarshalYAML reads a rule and remembers its line, so that an error in its
// condition can name it.
func (r *ToolRule) UnmarshalYAML(n *yaml.Node) error {
	type plain ToolRule
	if err := decodeStrict(n, (*plain)(r)); err != nil {
		return err
	}
	r.Line = n.Line
	return nil
}

// decodeStrict decodes a mapping into v (a pointer to a struct) and refuses
// keys the struct does not have, as the top-level decoder does: a type with
// its own UnmarshalYAML does not inherit the decoder's strictness.
func decodeStrict(n *yaml.Node, v any) error {
	if n.Kind == yaml.MappingNode {
		known := map[string]bool{}
		t := reflect.TypeOf(v).Elem()
		for i := 0; i < t.NumField(); i++ {
			if tag := strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0]; tag != "" && tag != "-" {
				known[tag] = true
			}
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			if k := n.Content[i]; !known[k.Value] {
				return fmt.Errorf("line %d: field %s not found in type %s", k.Line, k.Value, t.Name())
			}
		}
	}
	return n.Decode(v)
}
