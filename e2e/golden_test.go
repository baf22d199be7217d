package e2e

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// update rewrites the golden files instead of comparing against them:
//
//	go test ./e2e -run Golden -update
var update = flag.Bool("update", false, "rewrite e2e/testdata/golden/*.json from `caddy adapt` of caddyfile/*.Caddyfile")

// goldenEnv is the whole environment of `caddy adapt` in the golden test:
// every {$VAR} the Caddyfiles use, set to fixed values (not their defaults,
// so the goldens show the substitution happened), and nothing inherited from
// the developer's shell. A variable missing here resolves to its default.
// {env.MINIMIZE_KEY} is a runtime placeholder and stays in the JSON as it is.
var goldenEnv = []string{
	"GATEWAY_PORT=18080",
	"PARTNER_PORT=19090",
	"ADMIN_PORT=12019",
	"PARTNER_UPSTREAM=https://partner.example",
	"CUSTOMER_API=10.0.0.7:7000",
	"CONSENT_KEYS=/run/secrets/consent-jwks.json",
	"DISCLOSURE_LOG=/var/log/caddy/disclosures-golden.jsonl",
}

// adaptWithEnv runs `caddy adapt --config <file>` in dir with exactly env
// (plus a private HOME), and returns stdout, stderr and the exit error.
func adaptWithEnv(t *testing.T, dir, file string, env []string) (stdout, stderr string, err error) {
	t.Helper()
	cmd := exec.Command(caddyBin, "adapt", "--config", file, "--adapter", "caddyfile")
	cmd.Dir = dir
	cmd.Env = append([]string{"HOME=" + t.TempDir()}, env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	return out.String(), errb.String(), err
}

// TestGoldenAdapt: every Caddyfile in caddyfile/ adapts, without warnings,
// to the JSON checked in as testdata/golden/<name>.json (indented, so a
// policy change shows up as a readable diff).
func TestGoldenAdapt(t *testing.T) {
	t.Parallel()
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join(root, "caddyfile", "*.Caddyfile"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no Caddyfiles in caddyfile/: %v", err)
	}
	goldenDir := filepath.Join("testdata", "golden")
	want := map[string]bool{}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".Caddyfile")
		want[name+".json"] = true
		t.Run(name, func(t *testing.T) {
			out, stderr, err := adaptWithEnv(t, filepath.Dir(f), filepath.Base(f), goldenEnv)
			if err != nil {
				t.Fatalf("caddy adapt %s: %v\n%s", f, err, stderr)
			}
			if stderr != "" {
				t.Errorf("caddy adapt %s warned:\n%s", f, stderr)
			}
			var b bytes.Buffer
			if err := json.Indent(&b, []byte(strings.TrimSpace(out)), "", "  "); err != nil {
				t.Fatalf("caddy adapt %s printed no JSON: %v\n%s", f, err, out)
			}
			b.WriteByte('\n')
			golden := filepath.Join(goldenDir, name+".json")
			if *update {
				if err := os.MkdirAll(goldenDir, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, b.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			g, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run `go test ./e2e -run Golden -update` to create it)", err)
			}
			if !bytes.Equal(g, b.Bytes()) {
				t.Errorf("caddy adapt %s differs from %s (run `go test ./e2e -run Golden -update` if the change is intended):\n%s",
					filepath.Base(f), golden, firstDiff(string(g), b.String()))
			}
		})
	}
	// A golden without its Caddyfile is a leftover of a renamed or deleted file.
	have, _ := filepath.Glob(filepath.Join(goldenDir, "*.json"))
	for _, g := range have {
		if !want[filepath.Base(g)] {
			if *update {
				_ = os.Remove(g)
				continue
			}
			t.Errorf("%s has no caddyfile/%s.Caddyfile", g, strings.TrimSuffix(filepath.Base(g), ".json"))
		}
	}
}

// firstDiff shows the first differing line of two texts with its neighbours.
func firstDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		if i < len(w) && i < len(g) && w[i] == g[i] {
			continue
		}
		lo := max(i-3, 0)
		var b strings.Builder
		for j := lo; j < i+4; j++ {
			if j < len(w) {
				b.WriteString("- golden " + w[j] + "\n")
			}
			if j < len(g) {
				b.WriteString("+ adapt  " + g[j] + "\n")
			}
		}
		return b.String()
	}
	return ""
}

// TestGoldenPolicyErrors adapts one broken policy per row with the real
// binary and asserts the whole error message, with the Caddyfile line it
// names. The policy's lines start at line 3:
//
//	1 http://127.0.0.1:8080 {
//	2 	minimize p {
//	3 		<policy line 1>
//	  ...
func TestGoldenPolicyErrors(t *testing.T) {
	t.Parallel()
	const rulesWanted = `want an action (keep, drop, redact, mask, pseudonymize, tokenize, generalize, scan) or key, old_keys, default, never, floor, category, purposes, purpose, consent, mode, response, max_body, max_depth, pass`
	const keyWanted = "needs the gateway key: add `key {env.MINIMIZE_KEY}` (or {file.PATH})"
	cases := []struct {
		name   string
		policy string // lines separated by \n; nested blocks indented with \t
		want   string // the message after "parsing caddyfile tokens for 'minimize': "
	}{
		{"no partner", "", "minimize needs the partner's name: minimize <partner> { ... }, at Caddyfile:2"},
		{"unknown action", "keep a\nfrobnicate x", `unknown subdirective "frobnicate": ` + rulesWanted + `, at Caddyfile:4`},
		{"action without a path", "keep", "keep needs at least one path, at Caddyfile:3"},
		{"empty path segment", "keep a..b", `keep: path "a..b" has an empty segment, at Caddyfile:3`},
		{"empty query path", "keep query.", `keep: path "query." has an empty segment, at Caddyfile:3`},
		{"wildcard inside a segment", "drop customer.pass*", `drop: path "customer.pass*": wildcards match whole segments; escape * or # with a backslash to match it literally, at Caddyfile:3`},
		{"never with a wildcard inside a segment", "keep a\nnever **.pass*word", `never: path "**.pass*word": wildcards match whole segments; escape * or # with a backslash to match it literally, at Caddyfile:4`},
		{"never without a path", "never", "never needs at least one path, at Caddyfile:3"},
		{"path after keep's paths is a path, not an argument", "keep a b c\ndrop b", `minimize p: path "b" is already named by keep "b": one rule per path, at Caddyfile:4`},
		{"mask without a style", "mask card.number", "mask: mask takes one path and one style, e.g. mask card.number last4, at Caddyfile:3"},
		{"mask with two styles", "mask card.number last4 first2", "mask: mask takes one path and one style, e.g. mask card.number last4, at Caddyfile:3"},
		{"bad mask style", "mask card.number last", `mask: unknown mask style "last" (want lastN, firstN, email or all, e.g. last4), at Caddyfile:3`},
		{"mask reveals nothing", "mask card.number last0", `mask: unknown mask style "last0" (want lastN, firstN, email or all, e.g. last4), at Caddyfile:3`},
		{"mask reveals too much", "mask card.number first65", `mask: unknown mask style "first65" (want lastN, firstN, email or all, e.g. last4), at Caddyfile:3`},
		{"generalize without a method", "generalize client.ip", "generalize: generalize takes one path and at least one method, e.g. generalize client.ip ip/24 ip6/48, at Caddyfile:3"},
		{"bad generalization", "generalize client.ip ip/33", `generalize: unknown generalization "ip/33" (want ip/N, ip6/N, year, month, bucket/W, round/D or prefix/N), at Caddyfile:3`},
		{"unknown generalization", "generalize birthdate day", `generalize: unknown generalization "day" (want ip/N, ip6/N, year, month, bucket/W, round/D or prefix/N), at Caddyfile:3`},
		{"duplicate path, compared as keys are", "keep a.b\n\ndrop A.b", `minimize p: path "A.b" is already named by keep "a.b": one rule per path, at Caddyfile:5`},
		{"a never path that a rule names too", "keep customer.password\nnever customer.password", `minimize p: path "customer.password" is already named by keep "customer.password": one rule per path, at Caddyfile:4`},
		{"pseudonymize without a key", "keep a\npseudonymize customer.id", "minimize p: pseudonymize customer.id " + keyWanted + ", at Caddyfile:4"},
		{"tokenize without a key", "tokenize customer.id", "minimize p: tokenize customer.id " + keyWanted + ", at Caddyfile:3"},
		{"short key", "key c2hvcnQ=\npseudonymize a", "key: key is 5 bytes, need at least 32, at Caddyfile:3"},
		{"key not base64", "key not-base64!!", "key: key is not base64 (generate one with: head -c 32 /dev/urandom | base64), at Caddyfile:3"},
		{"old_keys without a key", "old_keys", "wrong argument count or unexpected line ending after 'old_keys', at Caddyfile:3"},
		{"bad default", "default share", `default must be drop or keep, not "share", at Caddyfile:3`},
		{"bad mode", "mode loud", `mode must be enforce or report, not "loud", at Caddyfile:3`},
		{"bad response mode", "response both", `response must be minimize or detokenize, not "both", at Caddyfile:3`},
		{"bad max_body", "max_body lots", `max_body "lots": want a size such as 64KiB or 5MB, at Caddyfile:3`},
		{"bad max_depth", "max_depth 0", `max_depth "0": want a number of levels from 1 to 10000, at Caddyfile:3`},
		{"pass of JSON", "pass text/plain application/json", `pass "application/json": want a media type without parameters or wildcards, other than JSON of any kind or a form (which are minimized), such as text/plain, at Caddyfile:3`},
		{"pass of a +json type", "pass application/vnd.api+json", `pass "application/vnd.api+json": want a media type without parameters or wildcards, other than JSON of any kind or a form (which are minimized), such as text/plain, at Caddyfile:3`},
		{"pass without a type", "pass", "wrong argument count or unexpected line ending after 'pass', at Caddyfile:3"},
		{"purpose twice", "purposes a\npurpose a {\n\tkeep x\n}\npurpose a {\n\tkeep y\n}", "purpose a has two blocks, at Caddyfile:7"},
		{"duplicate path in a purpose", "purposes a\npurpose a {\n\tkeep x\n\tdrop X\n}", `minimize p: purpose a: path "X" is already named by keep "x": one rule per path, at Caddyfile:6`},
		{"purpose without a name", "purposes a\npurpose {\n\tkeep x\n}", "purpose takes a name and a block of rules: purpose <name> { ... }, at Caddyfile:4"},
		{"subject with a wildcard", "purposes a\nconsent {\n\tsubject *.id\n}", `subject: path "*.id": only literal keys and # may locate a value, at Caddyfile:5`},
		{"bad leeway", "purposes a\nconsent {\n\tleeway forever\n}", `leeway "forever": want a duration up to 10m, such as 30s, at Caddyfile:5`},
		{"leeway over 10m", "purposes a\nconsent {\n\tleeway 11m\n}", `leeway "11m": want a duration up to 10m, such as 30s, at Caddyfile:5`},
		{"consent keys without a file", "purposes a\nconsent {\n\tkeys\n}", "wrong argument count or unexpected line ending after 'keys', at Caddyfile:5"},
		{"required takes no argument", "purposes a\nconsent {\n\trequired yes\n}", "wrong argument count or unexpected line ending after 'yes', at Caddyfile:5"},
		{"unknown consent subdirective", "purposes a\nconsent {\n\tscope all\n}", `unknown subdirective "scope": ` + rulesWanted + `, at Caddyfile:5`},
		{"two consent blocks", "purposes a\nconsent {\n\tkeys k.pem\n\tsubject c.id\n\tkeep c.email\n}\nconsent {\n}", "only one consent block per policy, at Caddyfile:9"},
		{"pseudonymize in consent without a key", "purposes a\nconsent {\n\tkeys k.pem\n\tsubject c.id\n\tkeep c.email\n\tpseudonymize c.name\n}",
			"minimize p: consent: pseudonymize c.name " + keyWanted + ", at Caddyfile:8"},
		{"duplicate path in consent", "purposes a\nconsent {\n\tkeys k.pem\n\tsubject c.id\n\tkeep c.email\n\tdrop C.Email\n}",
			`minimize p: consent: path "C.Email" is already named by keep "c.email": one rule per path, at Caddyfile:8`},

		// These are found only when the whole policy is checked, and the
		// message names no line (yet).
		{"purpose block not listed", "purposes a\npurpose b {\n\tkeep x\n}", "minimize p: purpose b has a block but is not listed in purposes"},
		{"purpose listed twice", "purposes a a", `minimize p: purpose "a" is listed twice`},
		{"purpose not a word", "purposes a,b", `minimize p: purpose "a,b": want a single word`},
		{"consent without purposes", "consent {\n\tkeys k.pem\n\tsubject c.id\n\tkeep c.email\n}", "minimize p: consent needs purposes: a consent is given for a purpose"},
		{"consent without subject", "purposes a\nconsent {\n\tkeys k.pem\n\tkeep c.email\n}", "minimize p: consent needs subject <path>: the body's data subject, which a token must name"},
		{"consent releasing nothing", "purposes a\nconsent {\n\tkeys k.pem\n\tsubject c.id\n}", "minimize p: consent releases nothing: add the rules a consent may apply"},
		{"detokenize without a key", "keep a\nresponse detokenize", "minimize p: response detokenize needs the gateway key"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var b strings.Builder
			b.WriteString("http://127.0.0.1:8080 {\n")
			if c.name == "no partner" {
				b.WriteString("\tminimize {\n")
			} else {
				b.WriteString("\tminimize p {\n")
			}
			for _, line := range strings.Split(c.policy, "\n") {
				if line != "" {
					b.WriteString("\t\t" + line)
				}
				b.WriteString("\n")
			}
			b.WriteString("\t}\n\trespond ok\n}\n")
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "Caddyfile"), []byte(b.String()), 0o600); err != nil {
				t.Fatal(err)
			}
			stdout, stderr, err := adaptWithEnv(t, dir, "Caddyfile", nil)
			if err == nil {
				t.Fatalf("caddy adapt accepted:\n%s", b.String())
			}
			if stdout != "" {
				t.Errorf("caddy adapt printed a config although it failed: %s", stdout)
			}
			want := "parsing caddyfile tokens for 'minimize': " + c.want
			if got := adaptError(stderr); got != want {
				t.Errorf("Caddyfile:\n%s\n got  %s\n want %s", b.String(), got, want)
			}
		})
	}
}

// adaptError returns the message of the error `caddy adapt` logged (a JSON
// log line on stderr), or all of stderr if there is none.
func adaptError(stderr string) string {
	for _, line := range strings.Split(stderr, "\n") {
		var l struct{ Level, Msg string }
		if json.Unmarshal([]byte(line), &l) == nil && l.Level == "error" {
			return l.Msg
		}
	}
	return stderr
}
