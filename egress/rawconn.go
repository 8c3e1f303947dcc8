package egress

import "syscall"

// syscallRawConn is the type net.Dialer.Control receives.
type syscallRawConn = syscall.RawConn
