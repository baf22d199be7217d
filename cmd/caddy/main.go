// Command caddy is the pinned Caddy build for this project, written the way
// xcaddy would generate it. xcaddy itself is not available here, so this main
// package plus go.mod/go.sum is the single source of truth for exactly which
// Caddy version and which plugins end up in bin/caddy.
package main

import (
	caddycmd "github.com/caddyserver/caddy/v2/cmd"

	// plug in Caddy modules here
	_ "github.com/caddy-minimize/caddy-minimize/module"
	_ "github.com/caddyserver/caddy/v2/modules/standard"
)

func main() {
	caddycmd.Main()
}
