package e2e

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// runCaddy runs the binary as a user would and returns stdout, stderr and
// the exit code.
func runCaddy(t *testing.T, stdin string, env []string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(caddyBin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

const previewConfig = `{
	admin off
}
:0 {
	minimize shop {
		key {env.MINIMIZE_KEY}
		purposes support newsletter
		keep order.id items.#.sku
		mask card.number last4
		never customer.password
		consent {
			keys KEYS
			subject customer.id
			keep customer.email customer.password
		}
	}
	respond ok
}
`

func TestCommands(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()

	// keygen: a base64 key of 32 bytes, its id on stderr.
	key, kerr, code := runCaddy(t, "", nil, "minimize", "keygen")
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(key))
	if code != 0 || err != nil || len(raw) != 32 || !strings.HasPrefix(kerr, "key id: ") || len(strings.TrimSpace(kerr)) != len("key id: ")+4 {
		t.Fatalf("keygen: %q %q %d", key, kerr, code)
	}
	env := []string{"MINIMIZE_KEY=" + strings.TrimSpace(key)}

	// A consent key pair: the private half mints, the public half verifies.
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	der, _ := x509.MarshalPKCS8PrivateKey(priv)
	privPath := filepath.Join(dir, "consent.pem")
	_ = os.WriteFile(privPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)
	pubDER, _ := x509.MarshalPKIXPublicKey(pub)
	pubPath := filepath.Join(dir, "consent.pub.pem")
	_ = os.WriteFile(pubPath, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}), 0o600)
	conf := filepath.Join(dir, "Caddyfile")
	_ = os.WriteFile(conf, []byte(strings.Replace(previewConfig, "KEYS", pubPath, 1)), 0o600)

	body := `{"order":{"id":"o-1"},"customer":{"id":"c-7","email":"ann@example.com","password":"hunter2"},"card":{"number":"4111111111111111"},"items":[{"sku":"A","n":1}]}`
	out, stderr, code := runCaddy(t, body, env, "minimize", "preview", "--config", conf, "--partner", "shop", "--purpose", "support", "--explain")
	want := `{"order":{"id":"o-1"},"card":{"number":"************1111"},"items":[{"sku":"A"}]}

PATH         ACTION        RULE
order.id     keep          order.id
customer     drop (whole)  (default)
card.number  mask last4    card.number
items.0.sku  keep          items.#.sku
items.0.n    drop          (default)
`
	if code != 0 || out != want {
		t.Errorf("preview: exit %d\n%s\nwant\n%s\nstderr %s", code, out, want, stderr)
	}
	if strings.Contains(out, "\x1b[") {
		t.Error("colour on a pipe")
	}

	// consent mints a token that preview accepts: it releases the email,
	// never the password.
	tok, stderr, code := runCaddy(t, "", nil, "minimize", "consent", "--key", privPath, "--aud", "shop", "--sub", "c-7", "--purpose", "support", "--scope", "customer.email,customer.password", "--jti", "j-1")
	tok = strings.TrimSpace(tok)
	if code != 0 || strings.Count(tok, ".") != 2 {
		t.Fatalf("consent: %d %q %s", code, tok, stderr)
	}
	out, stderr, code = runCaddy(t, body, env, "minimize", "preview", "--config", conf, "--partner", "shop", "--purpose", "support", "--consent", tok, "--format", "json")
	var res struct {
		Body    json.RawMessage
		Consent string
		Granted []string
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || code != 0 {
		t.Fatalf("preview json: %d %v %s %s", code, err, out, stderr)
	}
	if string(res.Body) != `{"order":{"id":"o-1"},"customer":{"email":"ann@example.com"},"card":{"number":"************1111"},"items":[{"sku":"A"}]}` ||
		res.Consent != "valid" || strings.Join(res.Granted, ",") != "customer.email,customer.password" {
		t.Errorf("preview with consent: %+v", res)
	}
	// The token is for c-7: a body about someone else is not widened.
	other := strings.Replace(body, `"c-7"`, `"c-8"`, 1)
	if out, _, _ = runCaddy(t, other, env, "minimize", "preview", "--config", conf, "--partner", "shop", "--purpose", "support", "--consent", tok, "--format", "json"); !strings.Contains(out, `"consent":"wrong_subject"`) {
		t.Errorf("other subject: %s", out)
	}

	// Spans in scanned text, and the credentials floor, explained.
	desk, err := filepath.Abs("../caddyfile/support-desk.Caddyfile")
	if err != nil {
		t.Fatal(err)
	}
	out, stderr, code = runCaddy(t, string(cookbookPayload(t, "support-desk")), env, "minimize", "preview", "--config", desk, "--partner", "support-desk", "--purpose", "ticket", "--explain")
	for _, line := range []string{
		"\nticket.message                   scan (card: redact, phone: redact)  ticket.message\n",
		"\ncustomer.password                drop                                floor @credentials\n",
		"\ncustomer.identity                drop (whole)                        never customer.identity\n",
	} {
		if code != 0 || !strings.Contains(out, line) {
			t.Errorf("preview of the support desk lacks %q: exit %d\n%s\n%s", line, code, out, stderr)
		}
	}

	// categories: which category a field name is in, in any naming style,
	// with a partner's own categories.
	if out, stderr, code = runCaddy(t, "", nil, "minimize", "categories", "customerEmail", "card_number", "lastLoginAt", "X-Forwarded-For"); code != 0 ||
		out != "customerEmail\tcontact\ncard_number\tpayment\nlastLoginAt\t(none)\nX-Forwarded-For\tnetwork\n" {
		t.Errorf("categories: %d %q %s", code, out, stderr)
	}
	loyal := filepath.Join(dir, "loyalty.Caddyfile")
	_ = os.WriteFile(loyal, []byte(":8080 {\n\tminimize club {\n\t\tcategory loyalty {\n\t\t\tfields member_number\n\t\t}\n\t\tdrop @loyalty\n\t}\n}\n"), 0o600)
	if out, stderr, code = runCaddy(t, "", nil, "minimize", "categories", "--config", loyal, "--partner", "club", "MemberNumber"); code != 0 || out != "MemberNumber\tloyalty\n" {
		t.Errorf("categories of a partner: %d %q %s", code, out, stderr)
	}
	if out, _, code = runCaddy(t, "", nil, "minimize", "categories"); code != 0 || !strings.Contains(out, "@credentials\n  detectors: private_key, jwt, bearer,") {
		t.Errorf("categories list: %d %s", code, out)
	}

	// Exit codes: refused body 3, missing purpose 3, policy error 1, usage 2.
	for _, c := range []struct {
		name, stdin string
		args        []string
		code        int
		stderr      string
	}{
		{"duplicate keys", `{"a":1,"a":2}`, []string{"--purpose", "support"}, 3, "the gateway would refuse this request (400 duplicate-key): duplicate key at byte offset 7"},
		{"no purpose", body, nil, 3, "the gateway would refuse this request (403 purpose-required): the policy requires --purpose, one of: support, newsletter"},
		{"unknown partner", body, []string{"--partner", "nobody"}, 1, `has no minimize handler for partner "nobody"`},
		{"no key", body, []string{"--purpose", "support", "NOKEY"}, 1, "key {env.MINIMIZE_KEY}"},
		{"usage", body, []string{"--format", "yaml"}, 2, "preview needs --config and --partner; --format is text or json"},
	} {
		args := []string{"minimize", "preview", "--config", conf, "--partner", "shop"}
		e := env
		for _, a := range c.args {
			if a == "NOKEY" {
				e = []string{"MINIMIZE_KEY="}
				continue
			}
			args = append(args, a)
		}
		_, stderr, code := runCaddy(t, c.stdin, e, args...)
		if code != c.code || !strings.Contains(stderr, c.stderr) {
			t.Errorf("%s: exit %d, stderr %s", c.name, code, stderr)
		}
	}
}
