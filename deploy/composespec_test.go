package deploy

import (
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
)

// TestComposeFileLoadsWithTheComposeSpecLoader loads docker-compose.yml with
// compose-go, the loader Docker Compose itself uses: schema validation (a
// misspelt key such as read_onyl fails), interpolation, and the consistency
// checks (services named by network_mode and depends_on exist, secrets and
// networks are declared). The secret files need not exist for this.
func TestComposeFileLoadsWithTheComposeSpecLoader(t *testing.T) {
	o, err := cli.NewProjectOptions([]string{"docker-compose.yml"},
		cli.WithWorkingDirectory("."), cli.WithEnv(nil), cli.WithConsistency(true))
	if err != nil {
		t.Fatal(err)
	}
	p, err := o.LoadProject(t.Context())
	if err != nil {
		t.Fatalf("docker-compose.yml does not load as Compose does it: %v", err)
	}
	for _, name := range []string{"warden", "warden-gate", "openclaw", "openclaw-gate"} {
		if _, err := p.GetService(name); err != nil {
			t.Errorf("service %s: %v", name, err)
		}
	}
}
