package config

import "fmt"

// MCP configures the agents' MCP endpoint (/mcp).
type MCP struct {
	// Injection says what file_read and file_search do with content the
	// injection detector scores at or above llm.injection.threshold: wrap
	// (the default) returns it spotlighted between markers it cannot forge,
	// with the score; withhold returns a notice instead of the content.
	// Either way the finding is on the audit record.
	Injection string `yaml:"injection"`
	// MaxRead is the largest file file_read returns (default 1 MiB): the
	// content goes into a model's context, where more is rarely useful.
	MaxRead ByteSize `yaml:"max_read"`
}

func defaultMCP() MCP { return MCP{Injection: "wrap", MaxRead: 1 << 20} }

func (c *Config) validateMCP() error {
	switch c.MCP.Injection {
	case "wrap", "withhold":
	default:
		return fmt.Errorf("mcp.injection: %q is not wrap or withhold", c.MCP.Injection)
	}
	if c.MCP.MaxRead <= 0 || c.MCP.MaxRead > 64<<20 {
		return fmt.Errorf("mcp.max_read: must be above 0 and at most 64MiB")
	}
	return nil
}
