package module

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
)

func TestUnmarshalCaddyfile(t *testing.T) {
	d := caddyfile.NewTestDispenser(`minimize fraud {
		key {env.MINIMIZE_KEY}
		default keep
		keep order.id items.#.sku
		drop **.password
		redact notes
		pseudonymize customer.id
		mask card.number last4
		generalize client.ip ip/24 ip6/48
		max_body 64KiB
		max_depth 16
		pass text/plain
	}`)
	var h Handler
	if err := h.UnmarshalCaddyfile(d); err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(h)
	want := `{"partner":"fraud","key":"{env.MINIMIZE_KEY}","default":"keep","rules":[` +
		`{"action":"keep","path":"order.id"},{"action":"keep","path":"items.#.sku"},` +
		`{"action":"drop","path":"**.password"},{"action":"redact","path":"notes"},` +
		`{"action":"pseudonymize","path":"customer.id"},{"action":"mask","path":"card.number","args":["last4"]},` +
		`{"action":"generalize","path":"client.ip","args":["ip/24","ip6/48"]}],` +
		`"max_body":65536,"max_depth":16,"pass":["text/plain"]}`
	if string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// TestCaddyfileErrors checks that every policy error names its line.
func TestCaddyfileErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"minimize", "minimize needs the partner's name"},
		{"minimize a b", "wrong argument count"},
		{"minimize p {\n\tkeep a\n\tfrobnicate x\n}", `unknown subdirective "frobnicate": want an action (keep, drop, redact, mask, pseudonymize, generalize) or key, default, max_body, max_depth, pass, at Testfile:3`},
		{"minimize p {\n\tkeep a..b\n}", `keep: path "a..b" has an empty segment, at Testfile:2`},
		{"minimize p {\n\tkeep\n}", "keep needs at least one path, at Testfile:2"},
		{"minimize p {\n\tmask a\n}", "mask: mask takes one path and one style, e.g. mask card.number last4, at Testfile:2"},
		{"minimize p {\n\n\tmask a last\n}", `mask: unknown mask style "last"`},
		{"minimize p {\n\tgeneralize ip ip/33\n}", `generalize: unknown generalization "ip/33"`},
		{"minimize p {\n\tdefault share\n}", `default must be drop or keep, not "share", at Testfile:2`},
		{"minimize p {\n\tmax_body lots\n}", `max_body "lots": want a size such as 64KiB or 5MB, at Testfile:2`},
		{"minimize p {\n\tmax_depth 0\n}", `max_depth "0": want a number of levels from 1 to 10000, at Testfile:2`},
		{"minimize p {\n\tpass application/json\n}", `pass "application/json": want a media type other than JSON`},
		{"minimize p {\n\tkey c2hvcnQ=\n}", "key: key is 5 bytes, need at least 32, at Testfile:2"},
		{"minimize p {\n\tkeep a\n\tpseudonymize b\n}", "minimize p: pseudonymize b needs the gateway key: add `key {env.MINIMIZE_KEY}` (or {file.PATH}), at Testfile:3"},
		{"minimize p {\n\tkeep a.b\n\n\tdrop A.b\n}", `minimize p: path "A.b" is already named by keep "a.b": one rule per path, at Testfile:4`},
	}
	for _, tt := range tests {
		var h Handler
		err := h.UnmarshalCaddyfile(caddyfile.NewTestDispenser(tt.in))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q:\n got  %v\n want %s", tt.in, err, tt.want)
		}
	}
}
