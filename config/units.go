package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Duration is a time.Duration written like "10s" or "1m30s".
type Duration time.Duration

// D returns the time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

func (d *Duration) set(s string) error {
	v, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return fmt.Errorf("not a duration like 10s or 5m")
	}
	*d = Duration(v)
	return nil
}

// UnmarshalYAML reads a duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if err := d.set(n.Value); err != nil {
		return fmt.Errorf("line %d: %q: %w", n.Line, n.Value, err)
	}
	return nil
}

// ByteSize is a size written like "8GiB", "512MiB", "10MB" or a plain number
// of bytes.
type ByteSize int64

var units = []struct {
	suffix string
	mult   int64
}{
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
	{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12}, {"B", 1},
}

func (b *ByteSize) set(s string) error {
	s = strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range units {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSpace(strings.TrimSuffix(s, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || (n > 0 && mult > (1<<62)/n) {
		return fmt.Errorf("not a size like 512MiB or 8GiB")
	}
	*b = ByteSize(n * mult)
	return nil
}

// UnmarshalYAML reads a size string or number.
func (b *ByteSize) UnmarshalYAML(n *yaml.Node) error {
	if err := b.set(n.Value); err != nil {
		return fmt.Errorf("line %d: %q: %w", n.Line, n.Value, err)
	}
	return nil
}
