package module

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/caddyserver/caddy/v2"
	caddycmd "github.com/caddyserver/caddy/v2/cmd"
	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/spf13/cobra"
	"github.com/tidwall/gjson"
	"go.uber.org/zap"
	"golang.org/x/term"

	"github.com/caddy-minimize/caddy-minimize/rules"
)

// Exit codes of the minimize commands, for scripts.
const (
	exitOK      = 0
	exitPolicy  = 1 // the configuration or policy is wrong
	exitUsage   = 2 // the command line is wrong
	exitRefused = 3 // the gateway would refuse the body: nothing would be sent
)

func init() {
	caddycmd.RegisterCommand(caddycmd.Command{
		Name:  "minimize",
		Usage: "preview | categories | consent | keygen",
		Short: "Preview policies, mint consent tokens and make keys for caddy-minimize",
		Long: `
Tools for the platform engineers who write minimize policies:

  caddy minimize preview     shows what a partner would receive for a sample body
  caddy minimize categories  lists the data categories, or says which a field name is in
  caddy minimize consent     mints a signed consent token, for tests and staging
  caddy minimize keygen      makes a new master key`,
		CobraFunc: func(cmd *cobra.Command) {
			cmd.AddCommand(previewCommand(), categoriesCommand(), consentCommand(), keygenCommand())
		},
	})
}

// exitCode carries a command's exit status through cobra.
type exitCode struct {
	code int
	err  error
}

func (e *exitCode) Error() string { return e.err.Error() }

func fail(code int, format string, args ...any) error {
	return &exitCode{code, fmt.Errorf(format, args...)}
}

// runE adapts a command body to cobra, printing its error and exiting with
// its code.
func runE(f func(cmd *cobra.Command) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, _ []string) error {
		err := f(cmd)
		if err == nil {
			return nil
		}
		fmt.Fprintln(cmd.ErrOrStderr(), "minimize:", err)
		code := exitPolicy
		var ec *exitCode
		if errors.As(err, &ec) {
			code = ec.code
		}
		os.Exit(code)
		return nil
	}
}

func previewCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "preview --config <file> --partner <name> [--body <file>] [--purpose <name>] [--consent <token>] [--explain] [--format text|json]",
		Short: "Print the body a partner would receive, and why",
		Long: `
Loads a Caddyfile or JSON config, finds the minimize handler for --partner,
and applies it to a sample JSON body (--body, or standard input) as the
gateway would: purpose, consent, floors and all. Prints the minimized body;
with --explain, also which rule decided each value. Keys are resolved from
the environment as at startup.

Exit status: 0 the body would be sent; 1 the configuration or policy is
wrong; 2 bad usage; 3 the gateway would refuse the request.`,
		Example: "caddy minimize preview --config caddyfile/demo.Caddyfile --partner fraud --body caddyfile/demo-order.json --explain",
	}
	f := c.Flags()
	f.String("config", "", "Caddyfile or JSON config (required)")
	f.String("adapter", "", "config adapter (default: by file name)")
	f.String("partner", "", "the partner's name, as in `minimize <partner>` (required)")
	f.String("body", "-", "sample JSON body file, - for standard input")
	f.String("purpose", "", "the request's purpose")
	f.String("consent", "", "a consent token")
	f.Bool("explain", false, "list which rule decided each value")
	f.String("format", "text", "text or json")
	c.RunE = runE(runPreview)
	return c
}

// previewResult is --format json's output.
type previewResult struct {
	Body      json.RawMessage   `json:"body,omitempty"`
	Refused   string            `json:"refused,omitempty"`
	Detail    string            `json:"detail,omitempty"`
	Purpose   string            `json:"purpose,omitempty"`
	Consent   string            `json:"consent"`
	Granted   []string          `json:"granted,omitempty"`
	Decisions []previewDecision `json:"decisions,omitempty"`
}

type previewDecision struct {
	Path   string   `json:"path"`
	Action string   `json:"action"`
	Args   []string `json:"args,omitempty"`
	Rule   string   `json:"rule"`
	Floor  bool     `json:"floor,omitempty"`
	Whole  bool     `json:"whole,omitempty"`
	Pruned bool     `json:"pruned,omitempty"`
	// Spans are the findings replaced in kept or scanned text.
	Spans []previewSpan `json:"spans,omitempty"`
}

type previewSpan struct {
	Detector string   `json:"detector"`
	Action   string   `json:"action"`
	Args     []string `json:"args,omitempty"`
	Rule     string   `json:"rule"`
}

func runPreview(cmd *cobra.Command) error {
	f := cmd.Flags()
	config, _ := f.GetString("config")
	adapter, _ := f.GetString("adapter")
	partner, _ := f.GetString("partner")
	bodyFile, _ := f.GetString("body")
	purpose, _ := f.GetString("purpose")
	token, _ := f.GetString("consent")
	explain, _ := f.GetBool("explain")
	format, _ := f.GetString("format")
	if config == "" || partner == "" || (format != "text" && format != "json") {
		return fail(exitUsage, "preview needs --config and --partner; --format is text or json")
	}
	h, err := loadHandler(config, adapter, partner)
	if err != nil {
		return err
	}
	body, err := readInput(cmd, bodyFile)
	if err != nil {
		return fail(exitUsage, "reading the body: %v", err)
	}

	res := previewResult{Purpose: purpose, Consent: string(consentNone)}
	refuse := func(p problem, detail string) error {
		res.Refused, res.Detail = p.slug, detail
		if err := printPreview(cmd.OutOrStdout(), res, format); err != nil {
			return err
		}
		return &exitCode{exitRefused, fmt.Errorf("the gateway would refuse this request (%d %s): %s", p.status, p.slug, detail)}
	}
	if len(h.Purposes) > 0 && !slices.Contains(h.Purposes, purpose) {
		return refuse(problemPurpose, "the policy requires --purpose, one of: "+strings.Join(h.Purposes, ", "))
	}
	d := &disclosure{consent: disclosureConsent{outcome: consentNone}}
	if h.consentRequired(token, purpose, body, d) {
		res.Consent = string(d.consent.outcome)
		return refuse(problemConsent, consentDetail(d.consent.outcome))
	}
	res.Consent, res.Granted = string(d.consent.outcome), d.consent.granted
	c := h.policies.engine(purpose)
	if d.consent.outcome == consentValid && len(d.consent.granted) > 0 {
		if c, err = h.policies.widen(purpose, d.consent.granted); err != nil {
			return err
		}
	}
	e := c.ch[chBody].engine
	out, err := e.Rewrite(nil, body, nil)
	if err != nil {
		var ie *rules.InputError
		if errors.As(err, &ie) {
			return refuse(problemForInput(ie), ie.Detail)
		}
		return err
	}
	res.Body = out
	if explain || format == "json" {
		ds, err := e.Explain(body)
		if err != nil {
			return err
		}
		for _, d := range ds {
			pd := previewDecision{
				Path: d.Path, Action: d.Rule.Action.String(), Args: d.Rule.Args, Rule: ruleName(d.Rule),
				Floor: d.Rule.Floor, Whole: d.Whole, Pruned: d.Pruned,
			}
			for _, sp := range d.Spans {
				pd.Spans = append(pd.Spans, previewSpan{sp.Detector, sp.Rule.Action.String(), sp.Rule.Args, ruleName(sp.Rule)})
			}
			res.Decisions = append(res.Decisions, pd)
		}
		if !explain {
			res.Decisions = nil
		}
	}
	return printPreview(cmd.OutOrStdout(), res, format)
}

// ruleName is how previews name a rule: its path as records write it.
func ruleName(r rules.Rule) string {
	if strings.HasPrefix(r.Path, "(") {
		return r.Path // (default), (scan)
	}
	return displayPath(r.Path)
}

func printPreview(w io.Writer, res previewResult, format string) error {
	if format == "json" {
		return json.NewEncoder(w).Encode(res)
	}
	if res.Refused != "" {
		return nil // the reason goes to standard error
	}
	fmt.Fprintf(w, "%s\n", res.Body)
	if res.Consent != string(consentNone) {
		fmt.Fprintf(w, "\nconsent: %s", res.Consent)
		if len(res.Granted) > 0 {
			fmt.Fprintf(w, ", releases %s", strings.Join(res.Granted, ", "))
		}
		fmt.Fprintln(w)
	}
	if len(res.Decisions) == 0 {
		return nil
	}
	color := isTerminal(w)
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PATH\tACTION\tRULE")
	for _, d := range res.Decisions {
		action := strings.Join(append([]string{d.Action}, d.Args...), " ")
		switch {
		case d.Pruned:
			action += " (emptied)"
		case d.Whole:
			action += " (whole)"
		}
		if len(d.Spans) > 0 {
			var spans []string
			for _, sp := range d.Spans {
				spans = append(spans, sp.Detector+": "+strings.Join(append([]string{sp.Action}, sp.Args...), " "))
			}
			action += " (" + strings.Join(spans, ", ") + ")"
		}
		rule := d.Rule
		switch {
		case d.Floor && strings.HasPrefix(rule, "@"):
			rule = "floor " + rule // a floor category
		case d.Floor:
			rule = "never " + rule
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", d.Path, paint(color, d.Action, action), rule)
	}
	return tw.Flush()
}

// paint colours an action on a terminal: green keeps, red removes, yellow
// transforms.
func paint(on bool, action, text string) string {
	if !on {
		return text
	}
	code := "33"
	switch action {
	case "keep":
		code = "32"
	case "drop", "redact":
		code = "31"
	}
	return "\x1b[" + code + "m" + text + "\x1b[0m"
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && os.Getenv("NO_COLOR") == "" && term.IsTerminal(int(f.Fd()))
}

// loadHandler adapts a config and sets up its minimize handler for partner.
func loadHandler(config, adapter, partner string) (*Handler, error) {
	h, err := findHandler(config, adapter, partner)
	if err != nil {
		return nil, err
	}
	if err := h.setup(caddy.NewReplacer()); err != nil {
		return nil, fail(exitPolicy, "%v", err)
	}
	return h, nil
}

// findHandler adapts a config and decodes its minimize handler for
// partner, without resolving keys.
func findHandler(config, adapter, partner string) (*Handler, error) {
	cfg, _, _, err := caddycmd.LoadConfig(config, adapter)
	if err != nil {
		return nil, fail(exitPolicy, "%v", err)
	}
	var found []string
	var walk func(v gjson.Result)
	walk = func(v gjson.Result) {
		if v.IsObject() && v.Get("handler").Str == "minimize" && v.Get("partner").Str == partner {
			found = append(found, v.Raw)
		}
		v.ForEach(func(_, m gjson.Result) bool {
			if m.IsObject() || m.IsArray() {
				walk(m)
			}
			return true
		})
	}
	walk(gjson.ParseBytes(cfg))
	if len(found) == 0 {
		return nil, fail(exitPolicy, "%s has no minimize handler for partner %q", config, partner)
	}
	for _, f := range found[1:] {
		if f != found[0] {
			return nil, fail(exitPolicy, "%s has %d different minimize policies for partner %q; preview needs one", config, len(found), partner)
		}
	}
	h := new(Handler)
	if err := json.Unmarshal([]byte(found[0]), h); err != nil {
		return nil, fail(exitPolicy, "%v", err)
	}
	h.logger = zap.NewNop()
	return h, nil
}

func readInput(cmd *cobra.Command, name string) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(io.LimitReader(cmd.InOrStdin(), 64<<20))
	}
	return os.ReadFile(name)
}

func consentCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "consent --key <private.pem> --aud <partner> --sub <subject> --purpose <name>... [--scope <path>...] [flags]",
		Short: "Mint a signed consent token (for tests and staging)",
		Long: `
Signs a consent token with a private key (PEM: PKCS#8, or EC/RSA private
key). The algorithm follows the key: Ed25519 gives EdDSA, P-256 ES256, P-384
ES384, P-521 ES512, RSA RS256. Prints the compact token. Production tokens
come from your consent service, never from this command.`,
		Example: "caddy minimize consent --key consent.pem --kid consent-2026 --aud marketing --sub cus_8812 --purpose newsletter --scope customer.email --ttl 1h",
	}
	f := c.Flags()
	f.String("key", "", "PEM private key file (required)")
	f.String("kid", "", "key id for the token header (default: the key's RFC 7638 thumbprint)")
	f.String("aud", "", "the partner (required)")
	f.String("sub", "", "the data subject's identifier (required)")
	f.StringSlice("purpose", nil, "purposes consented to (required; repeat or comma-separate)")
	f.StringSlice("scope", []string{"*"}, "consent rule paths released, or * for all")
	f.String("iss", "", "issuer")
	f.String("jti", "", "token id (default: random)")
	f.Duration("ttl", 15*time.Minute, "validity from now (exp)")
	f.Duration("not-before", 0, "nbf as an offset from now (e.g. 10m); 0 omits nbf")
	c.RunE = runE(runConsent)
	return c
}

func runConsent(cmd *cobra.Command) error {
	f := cmd.Flags()
	keyFile, _ := f.GetString("key")
	kid, _ := f.GetString("kid")
	aud, _ := f.GetString("aud")
	sub, _ := f.GetString("sub")
	purposes, _ := f.GetStringSlice("purpose")
	scope, _ := f.GetStringSlice("scope")
	iss, _ := f.GetString("iss")
	jti, _ := f.GetString("jti")
	ttl, _ := f.GetDuration("ttl")
	nbf, _ := f.GetDuration("not-before")
	if keyFile == "" || aud == "" || sub == "" || len(purposes) == 0 || ttl <= 0 {
		return fail(exitUsage, "consent needs --key, --aud, --sub, --purpose and a positive --ttl")
	}
	key, alg, err := loadPrivateKey(keyFile)
	if err != nil {
		return fail(exitUsage, "%s: %v", keyFile, err)
	}
	if kid == "" {
		pub := jose.JSONWebKey{Key: key.(interface{ Public() crypto.PublicKey }).Public()}
		tp, err := pub.Thumbprint(crypto.SHA256)
		if err != nil {
			return err
		}
		kid = base64.RawURLEncoding.EncodeToString(tp)
	}
	if jti == "" {
		b := make([]byte, 16)
		_, _ = rand.Read(b)
		jti = hex.EncodeToString(b)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", kid))
	if err != nil {
		return err
	}
	now := time.Now()
	claims := consentClaims{
		Claims: jwt.Claims{
			Issuer: iss, Subject: sub, Audience: jwt.Audience{aud}, ID: jti,
			IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(ttl)),
		},
		Purposes: purposes,
		Scope:    scope,
	}
	if nbf != 0 {
		claims.NotBefore = jwt.NewNumericDate(now.Add(nbf))
	}
	tok, err := jwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		return err
	}
	fmt.Fprintln(cmd.OutOrStdout(), tok)
	return nil
}

// loadPrivateKey reads a PEM private key and the algorithm it signs with.
func loadPrivateKey(path string) (crypto.Signer, jose.SignatureAlgorithm, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, "", err
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, "", errors.New("no PEM block")
	}
	var key any
	switch block.Type {
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	default:
		return nil, "", fmt.Errorf("PEM block %q is not a private key", block.Type)
	}
	if err != nil {
		return nil, "", err
	}
	switch k := key.(type) {
	case ed25519.PrivateKey:
		return k, jose.EdDSA, nil
	case *ecdsa.PrivateKey:
		switch k.Curve {
		case elliptic.P256():
			return k, jose.ES256, nil
		case elliptic.P384():
			return k, jose.ES384, nil
		case elliptic.P521():
			return k, jose.ES512, nil
		}
	case *rsa.PrivateKey:
		return k, jose.RS256, nil
	}
	return nil, "", fmt.Errorf("unsupported key type %T", key)
}

func keygenCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "keygen",
		Short: "Print a new master key (base64 of 32 random bytes)",
		Long: `
Prints a new master key in the form the key subdirective expects, and its
key id (as tokens name it) on standard error. Store it as a secret and give
it to the gateway through {env.NAME} or {file./path}.`,
		Example: "MINIMIZE_KEY=$(caddy minimize keygen)",
		RunE: runE(func(cmd *cobra.Command) error {
			key := make([]byte, 32)
			if _, err := rand.Read(key); err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), base64.StdEncoding.EncodeToString(key))
			fmt.Fprintln(cmd.ErrOrStderr(), "key id:", rules.KeyID(key))
			return nil
		}),
	}
}
