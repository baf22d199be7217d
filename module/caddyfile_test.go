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
		never **.secret payment.card.cvc
		purposes billing refunds
		purpose_header X-Purpose
		purpose refunds {
			keep payment.card.number
		}
		consent {
			keys /etc/consent/jwks.json /etc/consent/old.pem
			header X-Consent
			issuer https://consent.example
			leeway 1m
			required
			subject customer.id
			keep customer.email
			mask customer.name first1
		}
		mode report
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
		`"never":["**.secret","payment.card.cvc"],"purposes":["billing","refunds"],"purpose_header":"X-Purpose",` +
		`"purpose_rules":{"refunds":[{"action":"keep","path":"payment.card.number"}]},` +
		`"consent":{"header":"X-Consent","keys":["/etc/consent/jwks.json","/etc/consent/old.pem"],"issuer":"https://consent.example",` +
		`"leeway":60000000000,"required":true,"subject":"customer.id","rules":[{"action":"keep","path":"customer.email"},` +
		`{"action":"mask","path":"customer.name","args":["first1"]}]},"mode":"report",` +
		`"max_body":65536,"max_depth":16,"pass":["text/plain"]}`
	if string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// TestCaddyfileErrors checks that every policy error names its line.
func TestCaddyfileErrors(t *testing.T) {
	// Headers have no category floor, so a header rule may name one.
	var ok Handler
	if err := ok.UnmarshalCaddyfile(caddyfile.NewTestDispenser("minimize p {\n\tdrop header.@credentials\n}")); err != nil {
		t.Errorf("drop header.@credentials: %v", err)
	}
	// A subject at the root makes the whole document the subject's; inside
	// the subject's object any pattern may be released.
	for _, in := range []string{
		"minimize p {\n\tpurposes a\n\tconsent {\n\t\tkeys k.pem\n\t\tsubject id\n\t\tkeep @contact\n\t}\n}",
		"minimize p {\n\tpurposes a\n\tconsent {\n\t\tkeys k.pem\n\t\tsubject orders.#.C.id\n\t\tkeep orders.#.c orders.#.c.@contact Orders.#.c.**.email\n\t}\n}",
		// Literal paths elsewhere are the author's claim about the body.
		"minimize p {\n\tpurposes a\n\tconsent {\n\t\tkeys k.pem\n\t\tsubject orders.#.c.id\n\t\tkeep prefs.topics orders.#.note\n\t}\n}",
	} {
		var h Handler
		if err := h.UnmarshalCaddyfile(caddyfile.NewTestDispenser(in)); err != nil {
			t.Errorf("%q: %v", in, err)
		}
	}
	tests := []struct{ in, want string }{
		{"minimize", "minimize needs the partner's name"},
		{"minimize a b", "wrong argument count"},
		{"minimize p {\n\tkeep a\n\tfrobnicate x\n}", `unknown subdirective "frobnicate": want an action (keep, drop, redact, mask, pseudonymize, tokenize, generalize, scan) or key, old_keys, default, never, floor, category, purposes, purpose, consent, mode, response, max_body, max_depth, pass, at Testfile:3`},
		{"minimize p {\n\tkeep a..b\n}", `keep: path "a..b" has an empty segment, at Testfile:2`},
		{"minimize p {\n\tkeep\n}", "keep needs at least one path, at Testfile:2"},
		{"minimize p {\n\tmask a\n}", "mask: mask takes one path and one style, e.g. mask card.number last4, at Testfile:2"},
		{"minimize p {\n\n\tmask a last\n}", `mask: unknown mask style "last"`},
		{"minimize p {\n\tgeneralize ip ip/33\n}", `generalize: unknown generalization "ip/33"`},
		{"minimize p {\n\tdefault share\n}", `default must be drop or keep, not "share", at Testfile:2`},
		{"minimize p {\n\tmax_body lots\n}", `max_body "lots": want a size such as 64KiB or 5MB, at Testfile:2`},
		{"minimize p {\n\tmax_depth 0\n}", `max_depth "0": want a number of levels from 1 to 10000, at Testfile:2`},
		{"minimize p {\n\tpass application/json\n}", `pass "application/json": want a media type without parameters or wildcards, other than JSON of any kind or a form (which are minimized), such as text/plain`},
		{"minimize p {\n\tpass \"text/plain; charset=utf-8\"\n}", `pass "text/plain; charset=utf-8": want a media type without parameters`},
		{"minimize p {\n\tpass application/x-ndjson\n}", `pass "application/x-ndjson": want a media type without parameters or wildcards, other than JSON of any kind or a form`},
		{"minimize p {\n\tpass application/json-seq\n}", `pass "application/json-seq": want a media type without parameters or wildcards, other than JSON of any kind`},
		{"minimize p {\n\tpass text/*\n}", `pass "text/*": want a media type without parameters or wildcards`},
		{"minimize p {\n\tpass application/x-www-form-urlencoded\n}", `pass "application/x-www-form-urlencoded": want a media type without parameters or wildcards, other than JSON of any kind or a form`},
		{"minimize p {\n\tkey c2hvcnQ=\n}", "key: key is 5 bytes, need at least 32, at Testfile:2"},
		{"minimize p {\n\tkeep a\n\tpseudonymize b\n}", "minimize p: pseudonymize b needs the gateway key: add `key {env.MINIMIZE_KEY}` (or {file.PATH}), at Testfile:3"},
		{"minimize p {\n\tkeep a.b\n\n\tdrop A.b\n}", `minimize p: path "A.b" is already named by keep "a.b": one rule per path, at Testfile:4`},
		{"minimize p {\n\tnever a*\n}", `never: path "a*": wildcards match whole segments`},
		{"minimize p {\n\tmode loud\n}", `mode must be enforce or report, not "loud", at Testfile:2`},
		{"minimize p {\n\tpurposes a\n\tpurpose b {\n\t\tkeep x\n\t}\n}", `minimize p: purpose b has a block but is not listed in purposes`},
		{"minimize p {\n\tpurposes a\n\tpurpose a {\n\t\tkeep x\n\t\tdrop X\n\t}\n}", `minimize p: purpose a: path "X" is already named by keep "x": one rule per path, at Testfile:5`},
		{"minimize p {\n\tpurposes a\n\tconsent {\n\t\tsubject *.id\n\t}\n}", `subject: path "*.id": only literal keys and # may locate a value, at Testfile:4`},
		{"minimize p {\n\tpurposes a\n\tconsent {\n\t\tsubject customer.@identity\n\t}\n}", `subject: path "customer.@identity": only literal keys and # may locate a value, at Testfile:4`},
		{"minimize p {\n\tpurposes a\n\tconsent {\n\t\tkeys k.pem\n\t\tsubject c.id\n\t}\n}", `consent releases nothing`},
		{"minimize p {\n\tconsent {\n\t\tkeys k.pem\n\t\tsubject c.id\n\t\tkeep c.email\n\t}\n}", `consent needs purposes`},
		{"minimize p {\n\tpurposes a\n\tconsent {\n\t\tkeys k.pem\n\t\tsubject c.id\n\t\tkeep c.email\n\t\tpseudonymize c.name\n\t}\n}", `minimize p: consent: pseudonymize c.name needs the gateway key: add ` + "`key {env.MINIMIZE_KEY}`" + ` (or {file.PATH}), at Testfile:7`},
		{"minimize p {\n\tdrop @contacts\n}", `minimize p: path "@contacts": unknown category "contacts" (known: contact, identity, credentials, payment, demographic, network, device, location, cookies, children); to name a key that starts with @, write \@contacts, at Testfile:2`},
		{"minimize p {\n\tkeep @contact.email\n}", `keep: path "@contact.email": a category names the field itself, so @contact must be the last segment, at Testfile:2`},
		{"minimize p {\n\tkeep @credentials\n}", `minimize p: keep @credentials: credentials is a floor category, which no rule releases (see floor)`},
		{"minimize p {\n\tpurposes a\n\tpurpose a {\n\t\tkeep query.@credentials\n\t}\n}", `minimize p: keep query.@credentials: credentials is a floor category, which no rule releases (see floor)`},
		{"minimize p {\n\tkeep customer.@credentials\n}", `minimize p: keep customer.@credentials: credentials is a floor category, which no rule releases (see floor)`},
		{"minimize p {\n\tdrop @credentials\n}", `minimize p: drop @credentials: credentials is a floor category, dropped already; remove the rule`},
		{"minimize p {\n\tfloor secrets\n}", `minimize p: floor "secrets": unknown category`},
		{"minimize p {\n\tfloor none credentials\n}", `floor none cannot be listed with categories`},
		{"minimize p {\n\tfloor\n}", `floor needs categories, or none (the default is floor credentials), at Testfile:2`},
		{"minimize p {\n\tcategory Loyalty {\n\t\tfields member_no\n\t}\n}", `category name "Loyalty": want lower-case letters, then letters, digits, _ or -, at Testfile:2`},
		{"minimize p {\n\tcategory loyalty {\n\t\tdetectors passport\n\t}\n}", `category "loyalty": unknown detector "passport"`},
		{"minimize p {\n\tcategory loyalty {\n\t}\n}", `category "loyalty" is new and needs field patterns or detectors`},
		{"minimize p {\n\tcategory loyalty {\n\t\tcolour red\n\t}\n}", `category loyalty: unknown subdirective "colour": want fields or detectors, at Testfile:3`},
		{"minimize p {\n\tpurposes a\n\tconsent {\n\t\tleeway forever\n\t}\n}", `leeway "forever": want a duration up to 10m, such as 30s, at Testfile:4`},
		{"minimize p {\n\tpurposes a\n\tconsent {\n\t\tkeys k.pem\n\t\tsubject c.id\n\t\tkeep c.email\n\t\tkeep @contact\n\t}\n}", "minimize p: consent: keep @contact: outside the object that holds its subject c.id, a consent releases only literal paths, with # only where the subject's path has it, at Testfile:7"},
		{"minimize p {\n\tpurposes a\n\tconsent {\n\t\tkeys k.pem\n\t\tsubject c.id\n\t\tkeep **.email\n\t}\n}", "minimize p: consent: keep **.email: outside the object that holds its subject c.id, a consent releases only literal paths"},
		{"minimize p {\n\tpurposes a\n\tconsent {\n\t\tkeys k.pem\n\t\tsubject orders.#.c.id\n\t\tkeep orders.*.c.email\n\t}\n}", "minimize p: consent: keep orders.*.c.email: outside the object that holds its subject orders.#.c.id, a consent releases only literal paths"},
		{"minimize p {\n\tpurposes a\n\tconsent {\n\t\tkeys k.pem\n\t\tsubject c.id\n\t\tkeep friends.#.email\n\t}\n}", "minimize p: consent: keep friends.#.email: outside the object that holds its subject c.id, a consent releases only literal paths, with # only where the subject's path has it, at Testfile:6"},
		{"minimize p {\n\tpurposes a\n\tconsent {\n\t\tsubject ids.#\n\t}\n}", `subject: path "ids.#": a value is located by the name of its member, not by #`},
		{"minimize p {\n\tpurposes a\n\tconsent {\n\t\tkeys k.pem\n\t\tsubject c.id\n\t\tkeep prefs.@contact\n\t}\n}", "minimize p: consent: keep prefs.@contact: outside the object that holds its subject c.id, a consent releases only literal paths"},
		{"minimize p {\n\tpurposes a\n\tconsent {\n\t\tkeys k.pem\n\t\tsubject c.id\n\t\tkeep c.email Header.X-Email\n\t}\n}", "minimize p: consent: keep Header.X-Email: a consent releases body paths only, since its subject is checked in the body, at Testfile:6"},
	}
	for _, tt := range tests {
		var h Handler
		err := h.UnmarshalCaddyfile(caddyfile.NewTestDispenser(tt.in))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q:\n got  %v\n want %s", tt.in, err, tt.want)
		}
	}
}
