// Package deploy holds Warden's deployment artifacts — the Dockerfiles, the
// compose stack with OpenClaw, the systemd units and the example egress
// firewall rules — and, in its tests, the checks that keep them buildable,
// hardened and in step with the code (docs/DEPLOY.md). It has no code.
package deploy
