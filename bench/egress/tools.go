//go:build tools

// The benchmark builds smokescreen's command from the module proxy; this
// keeps it in go.mod.
package main

import _ "github.com/stripe/smokescreen"
