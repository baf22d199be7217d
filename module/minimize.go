// Package module is the Caddy glue for caddy-minimize: the
// http.handlers.minimize handler, its Caddyfile directive, and the HTTP side
// of minimization (limits, content types, problem responses). The policy
// engine itself lives in package rules.
package module

import (
	"bufio"
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"

	"github.com/caddy-minimize/caddy-minimize/rules"
)

func init() {
	caddy.RegisterModule(Handler{})
}

// DefaultMaxBody is the request body limit when a policy sets none.
const DefaultMaxBody = 1 << 20

// Handler minimizes request bodies to what one partner may receive, then
// passes the request on (normally to reverse_proxy). It fails closed: a body
// it cannot prove safe is answered with a problem and never forwarded.
type Handler struct {
	// Partner names the recipient. It appears in logs and problems, and
	// separates pseudonym keys between partners.
	Partner string `json:"partner"`
	// Key is the base64 master key, usually a placeholder such as
	// {env.MINIMIZE_KEY} or {file./run/secrets/minimize}; required when a
	// rule pseudonymizes or tokenizes, and for response detokenize.
	Key string `json:"key,omitempty"`
	// Default is what happens to fields no rule names: "drop" (the default)
	// or "keep".
	Default string `json:"default,omitempty"`
	// Rules are the policy's rules; order matters only to break full ties.
	Rules []RuleConfig `json:"rules,omitempty"`
	// Never lists paths no rule, purpose or consent can release: they are
	// dropped even under default keep and below a more specific keep.
	Never []string `json:"never,omitempty"`
	// Categories add categories to the built-in taxonomy (contact,
	// identity, credentials, payment, demographic, network, device,
	// location, cookies, children) or extend built-in ones, by name.
	Categories map[string]CategoryConfig `json:"categories,omitempty"`
	// Floors are the categories that no rule, purpose or consent can
	// release from bodies and query strings: a field named like one or
	// holding one is dropped, and such data is cut out of any text sent.
	// Unset means ["credentials"]; ["none"] means no category floor.
	Floors []string `json:"floors,omitempty"`
	// Purposes lists the purposes the policy serves. When set, every request
	// must name one of them in the purpose header.
	Purposes []string `json:"purposes,omitempty"`
	// PurposeHeader is the request header naming the purpose (Data-Purpose).
	PurposeHeader string `json:"purpose_header,omitempty"`
	// PurposeRules are rules that apply for one purpose only, laid over
	// Rules (a rule on the same path replaces the general one).
	PurposeRules map[string][]RuleConfig `json:"purpose_rules,omitempty"`
	// Consent configures the only way to widen what the partner receives.
	Consent *Consent `json:"consent,omitempty"`
	// Mode is "enforce" (the default) or "report": forward the original
	// unchanged and log what enforce mode would have done.
	Mode string `json:"mode,omitempty"`
	// Response is what happens to the upstream's response: "" (nothing),
	// "minimize" (apply the policy, for partners calling an internal API) or
	// "detokenize" (restore tokenized values for the internal caller).
	Response string `json:"response,omitempty"`
	// OldKeys are earlier master keys (placeholders allowed): tokens made
	// with them still detokenize.
	OldKeys []string `json:"old_keys,omitempty"`
	// MaxBody is the largest request body accepted, in bytes (default 1 MiB).
	MaxBody int64 `json:"max_body,omitempty"`
	// MaxDepth is the deepest nesting accepted (default 64).
	MaxDepth int `json:"max_depth,omitempty"`
	// Pass lists media types forwarded unchanged. Everything that is not
	// JSON, NDJSON, a URL-encoded form or listed here is refused with 415.
	Pass []string `json:"pass,omitempty"`

	policies *policySet
	consent  *consentVerifier
	subject  *rules.Selector
	hash     string
	logger   *zap.Logger
	audit    *zap.Logger
	stats    *handlerMetrics
}

// Consent is the configuration of consent tokens.
type Consent struct {
	// Header carries the token (Data-Consent). It is removed before the
	// request goes upstream, whatever happens.
	Header string `json:"header,omitempty"`
	// Keys are files of public keys: JWKS, JWK or PEM.
	Keys []string `json:"keys"`
	// Issuer, if set, must equal the token's iss.
	Issuer string `json:"issuer,omitempty"`
	// Leeway is the clock skew allowed on exp, nbf and iat (default 30s).
	Leeway caddy.Duration `json:"leeway,omitempty"`
	// Required refuses requests whose consent is absent or invalid (403)
	// instead of minimizing them as usual.
	Required bool `json:"required,omitempty"`
	// Subject is the path of the data subject's identifier in the body; a
	// token widens only bodies whose every subject is its sub.
	Subject string `json:"subject"`
	// Rules are what a consent may release; a token's scope picks among them.
	Rules []RuleConfig `json:"rules"`
}

// CategoryConfig defines or extends a category.
type CategoryConfig struct {
	// Fields are field names in any naming style ("member number" matches
	// memberNumber, member_number, MEMBER-NUMBER); a trailing "*" lets any
	// words follow, a leading "!" excludes.
	Fields []string `json:"fields,omitempty"`
	// Detectors name value detectors (email, phone, card, iban, ipv4, ipv6,
	// mac, ssn, jwt, bearer, aws_access_key, github_token, slack_token,
	// stripe_key, google_api_key, private_key, birthdate).
	Detectors []string `json:"detectors,omitempty"`
}

// DefaultFloors are the categories no policy releases unless it says so.
var DefaultFloors = []string{"credentials"}

// RuleConfig is one rule in JSON config.
type RuleConfig struct {
	Action string   `json:"action"`
	Path   string   `json:"path"`
	Args   []string `json:"args,omitempty"`
}

// Defaults for the headers a request declares itself with.
const (
	DefaultPurposeHeader = "Data-Purpose"
	DefaultConsentHeader = "Data-Consent"
	defaultLeeway        = 30 * time.Second
)

// CaddyModule returns the Caddy module information.
func (Handler) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.minimize",
		New: func() caddy.Module { return new(Handler) },
	}
}

// Provision resolves the key, loads consent keys and compiles the policy
// once per purpose; consent variants compile on first use.
func (h *Handler) Provision(ctx caddy.Context) error {
	h.logger = ctx.Logger()
	h.audit = h.logger.Named("audit")
	if err := h.setup(caddy.NewReplacer()); err != nil {
		return err
	}
	return registerMetrics(ctx.GetMetricsRegistry())
}

// setup compiles the policy and loads the consent keys: all of Provision
// that needs no running Caddy, shared with the preview command.
func (h *Handler) setup(repl *caddy.Replacer) error {
	if err := h.build(repl); err != nil {
		return fmt.Errorf("minimize %s: %w", h.Partner, err)
	}
	h.stats = newHandlerMetrics(h.Partner)
	if h.Consent != nil {
		keys, err := loadConsentKeys(h.Consent.Keys)
		if err != nil {
			return fmt.Errorf("minimize %s: %w", h.Partner, err)
		}
		h.consent = &consentVerifier{
			keys:    keys,
			issuer:  h.Consent.Issuer,
			leeway:  cmp.Or(time.Duration(h.Consent.Leeway), defaultLeeway),
			partner: h.Partner,
			now:     time.Now,
		}
	}
	return nil
}

// build checks the configuration and compiles the policy set, resolving the
// key's placeholders with repl (nil: the key is taken as written).
func (h *Handler) build(repl *caddy.Replacer) error {
	tmpl := rules.Policy{Partner: h.Partner, MaxDepth: h.MaxDepth}
	if h.Partner == "" {
		return errors.New("partner name is required")
	}
	switch h.Default {
	case "", "drop":
	case "keep":
		tmpl.KeepUnnamed = true
	default:
		return fmt.Errorf("default must be drop or keep, not %q", h.Default)
	}
	switch h.Mode {
	case "", "enforce", "report":
	default:
		return fmt.Errorf("mode must be enforce or report, not %q", h.Mode)
	}
	switch h.Response {
	case "", responseMinimize:
	case responseDetokenize:
		if h.Key == "" {
			return errors.New("response detokenize needs the gateway key")
		}
	default:
		return fmt.Errorf("response must be minimize or detokenize, not %q", h.Response)
	}
	if h.MaxBody < 0 || h.MaxDepth < 0 {
		return errors.New("max_body and max_depth must not be negative")
	}
	for _, mt := range h.Pass {
		if err := checkPass(mt); err != nil {
			return err
		}
	}
	var err error
	if h.Key != "" {
		if tmpl.Key, err = resolveKey(repl, h.Key); err != nil {
			return err
		}
	}
	for _, k := range h.OldKeys {
		old, err := resolveKey(repl, k)
		if err != nil {
			return fmt.Errorf("old key: %w", err)
		}
		tmpl.OldKeys = append(tmpl.OldKeys, old)
	}
	if tmpl.Taxonomy, err = h.taxonomy(); err != nil {
		return err
	}
	base, err := ruleList(h.Rules)
	if err != nil {
		return err
	}
	for _, p := range h.Never {
		base = append(base, rules.Rule{Path: p, Action: rules.Drop, Floor: true})
	}
	purposes := map[string][]rules.Rule{}
	for _, p := range h.Purposes {
		if p == "" || strings.ContainsAny(p, " \t,") {
			return fmt.Errorf("purpose %q: want a single word", p)
		}
		if _, dup := purposes[p]; dup {
			return fmt.Errorf("purpose %q is listed twice", p)
		}
		if purposes[p], err = ruleList(h.PurposeRules[p]); err != nil {
			return fmt.Errorf("purpose %s: %w", p, err)
		}
	}
	for p := range h.PurposeRules {
		if _, ok := purposes[p]; !ok {
			return fmt.Errorf("purpose %s has a block but is not listed in purposes", p)
		}
	}
	var consent []rules.Rule
	if c := h.Consent; c != nil {
		if len(h.Purposes) == 0 {
			return errors.New("consent needs purposes: a consent is given for a purpose")
		}
		if c.Subject == "" {
			return errors.New("consent needs subject <path>: the body's data subject, which a token must name")
		}
		if h.subject, err = rules.NewSelector(c.Subject); err != nil {
			return fmt.Errorf("consent subject: %w", err)
		}
		if len(c.Rules) == 0 {
			return errors.New("consent releases nothing: add the rules a consent may apply")
		}
		if consent, err = ruleList(c.Rules); err != nil {
			return fmt.Errorf("consent: %w", err)
		}
	}
	layers := [][]rules.Rule{consent}
	for _, p := range h.Purposes {
		layers = append(layers, purposes[p])
	}
	floors, err := h.floorRules(tmpl.Taxonomy, base, layers...)
	if err != nil {
		return err
	}
	base = append(base, floors...)
	if h.policies, err = newPolicySet(tmpl, base, purposes, consent, h.subject); err != nil {
		return err
	}
	h.hash = h.policyHash()
	return nil
}

// resolveKey replaces the placeholders in a key and decodes it; with a nil
// replacer the key is taken as written.
func resolveKey(repl *caddy.Replacer, key string) ([]byte, error) {
	text := key
	if repl != nil {
		var err error
		if text, err = repl.ReplaceOrErr(key, true, true); err != nil {
			return nil, fmt.Errorf("key %s: %w (is the variable set, the file readable?)", key, err)
		}
	}
	return rules.DecodeKey(text)
}

func ruleList(rcs []RuleConfig) ([]rules.Rule, error) {
	rs := make([]rules.Rule, 0, len(rcs))
	for _, rc := range rcs {
		a, err := rules.ParseAction(rc.Action)
		if err != nil {
			return nil, err
		}
		rs = append(rs, rules.Rule{Path: rc.Path, Action: a, Args: rc.Args})
	}
	return rs, nil
}

// policyHash identifies the policy in audit records: a hash of its JSON
// config with the keys left out, so no secret goes into a logged value.
func (h *Handler) policyHash() string {
	c := *h
	c.Key, c.OldKeys = "", nil
	b, _ := json.Marshal(c)
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:16])
}

// Validate reports whether the handler is ready; Provision did the checks.
func (h *Handler) Validate() error {
	if h.policies == nil {
		return errors.New("minimize: policy not compiled")
	}
	return nil
}

// ServeHTTP minimizes the request body and calls next with the result.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	d := &disclosure{
		requestID: requestID(r),
		partner:   h.Partner,
		report:    h.Mode == "report",
		policy:    h.hash,
		consent:   disclosureConsent{outcome: consentNone},
		start:     time.Now(),
		h:         h,
	}
	defer d.finish()
	consentHeader := DefaultConsentHeader
	if h.Consent != nil && h.Consent.Header != "" {
		consentHeader = h.Consent.Header
	}
	token := r.Header.Get(consentHeader)
	r.Header.Del(consentHeader) // whatever happens next, the consent never goes upstream
	// Trailers bypass the header policy: none is forwarded, whatever the body.
	r.Trailer = nil
	r.Header.Del("Trailer")

	purpose := r.Header.Get(cmp.Or(h.PurposeHeader, DefaultPurposeHeader))
	if len(h.Purposes) > 0 {
		if !slices.Contains(h.Purposes, purpose) {
			d.purpose = "(invalid)"
			detail := "this partner's policy requires a purpose header naming one of: " + strings.Join(h.Purposes, ", ")
			return h.refuse(w, r, next, d, problemPurpose, detail, nil)
		}
		d.purpose = purpose
	}

	c := h.policies.engine(purpose)
	if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
		// The server enforces a zero length; NoBody makes sure no later
		// handler reads anything anyway.
		r.Body = http.NoBody
		if h.consentRequired(token, purpose, nil, d) {
			return h.refuse(w, r, next, d, problemConsent, consentDetail(d.consent.outcome), nil)
		}
		return h.forward(w, r, next, d, c, "passed")
	}
	coding, err := contentCoding(r.Header)
	if err != nil {
		return h.refuse(w, r, next, d, problemUnsupportedEncoding, err.Error(), r.Body)
	}
	mt, params, err := parseMediaType(r.Header.Get("Content-Type"))
	form := err == nil && mt == "application/x-www-form-urlencoded"
	switch {
	case err == nil && (isJSON(mt) || form || isNDJSON(mt)):
		if cs := params["charset"]; cs != "" && !strings.EqualFold(cs, "utf-8") {
			return h.refuse(w, r, next, d, problemUnsupportedType, "minimized bodies must be UTF-8", r.Body)
		}
		if isNDJSON(mt) {
			return h.stream(w, r, next, d, c, coding, token, purpose)
		}
	case err == nil && h.passes(mt):
		if coding != "" {
			return h.refuse(w, r, next, d, problemUnsupportedEncoding, "a body passed through unchanged must not be compressed", r.Body)
		}
		if looksLikeJSON(r, cmp.Or(h.MaxBody, DefaultMaxBody)) {
			return h.refuse(w, r, next, d, problemUnsupportedType, "the body is JSON sent as "+mt+"; send it as application/json to have it minimized", r.Body)
		}
		if h.consentRequired(token, purpose, nil, d) {
			return h.refuse(w, r, next, d, problemConsent, consentDetail(d.consent.outcome), r.Body)
		}
		return h.forward(w, r, next, d, c, "passed")
	default:
		return h.refuse(w, r, next, d, problemUnsupportedType, "only JSON and URL-encoded form bodies are minimized, and this route lets no other type through", r.Body)
	}
	maxBody := cmp.Or(h.MaxBody, DefaultMaxBody)
	if r.ContentLength > maxBody {
		return h.refuse(w, r, next, d, problemTooLarge, tooLarge(maxBody), r.Body)
	}

	// In report mode the bytes are kept as received, to forward unchanged.
	var src io.Reader = r.Body
	var raw *[]byte
	if d.report {
		raw = getBuf()
		*raw = reserve(*raw, r.ContentLength, maxBody)
		src = io.TeeReader(r.Body, &growWriter{raw, r.ContentLength, maxBody})
	}
	original := func() io.ReadCloser {
		if raw == nil {
			return nil
		}
		return readCloser{io.MultiReader(newPooledBody(raw), r.Body), r.Body}
	}
	var dec io.ReadCloser
	if coding != "" {
		var err error
		dec, err = decodedBody(src, coding, maxBody, maxBody)
		switch {
		case errors.Is(err, errTooLarge):
			return h.refuse(w, r, next, d, problemTooLarge, tooLarge(maxBody), original())
		case err != nil:
			return h.refuse(w, r, next, d, problemBadEncoding, "the "+coding+" body could not be decoded", original())
		}
		src = dec
	}
	in := getBuf()
	size := r.ContentLength // what the body reads as, unless it is decoded
	if coding != "" {
		size = -1
	}
	body, err := readBody(*in, src, maxBody, size)
	*in = body
	d.bytesIn = len(body)
	if dec != nil {
		dec.Close() // read to the end or failed: its window need not wait for the upstream
	}
	// The body as received (in, and doc for a form) is read by the consent
	// check and the rewrite, and by nothing after them: the record holds
	// counts and copied strings, the proxy gets out, and report mode
	// forwards raw. So its buffers go back then, not after the upstream's
	// round trip, and a request holds one body-sized buffer while it waits.
	held := heldBufs{in}
	defer held.release()
	if err != nil || len(body) == 0 {
		held.release()
	}
	switch {
	case errors.Is(err, errTooLarge):
		return h.refuse(w, r, next, d, problemTooLarge, tooLarge(maxBody), original())
	case errors.Is(err, errEncoding):
		return h.refuse(w, r, next, d, problemBadEncoding, "the "+coding+" body could not be decoded", original())
	case err != nil:
		return h.refuse(w, r, next, d, problemUnreadable, "the request body could not be read completely", nil)
	case len(body) == 0 && coding == "":
		r.Body, r.ContentLength = http.NoBody, 0
		if h.consentRequired(token, purpose, nil, d) {
			return h.refuse(w, r, next, d, problemConsent, consentDetail(d.consent.outcome), nil)
		}
		return h.forward(w, r, next, d, c, "passed")
	case len(body) == 0:
		return h.refuse(w, r, next, d, problemBadEncoding, "the "+coding+" body decodes to nothing", original())
	}
	if form {
		doc := getBuf()
		held[1] = doc
		if *doc, err = appendURLEncodedJSON((*doc)[:0], string(body)); err != nil {
			held.release()
			return h.refuse(w, r, next, d, problemMalformedForm, "the form body is not valid URL encoding", original())
		}
		body = *doc
	}

	if h.consentRequired(token, purpose, body, d) {
		held.release()
		return h.refuse(w, r, next, d, problemConsent, consentDetail(d.consent.outcome), original())
	}
	if d.consent.outcome == consentValid && len(d.consent.granted) > 0 {
		wide, err := h.policies.widen(purpose, d.consent.granted)
		if err != nil {
			h.logger.Error("consent variant failed to compile; minimizing without it", zap.String("partner", h.Partner), zap.Error(err))
			d.consent.granted = nil
		} else {
			d.narrow, c = c, wide
		}
	}

	out := getBuf()
	if cap(*out) < len(body) {
		// The output is rarely longer than the input; an exact size, as
		// slices.Grow could overshoot by a quarter.
		*out = make([]byte, 0, len(body))
	}
	be := &c.ch[chBody]
	d.count(chBody, be)
	t0 := time.Now()
	*out, err = be.engine.RewriteDisclosing((*out)[:0], body, d.fields[chBody].tally, &d.disclosed.Disclosed)
	h.stats.observeRewrite(time.Since(t0))
	held.release()
	body = nil
	if err == nil && form {
		*out = append((*out)[:0], urlEncodedFromJSON(*out)...)
	}
	if err != nil {
		putBuf(out)
		d.fields[chBody].tally = nil
		var ie *rules.InputError
		if errors.As(err, &ie) {
			return h.refuse(w, r, next, d, problemForInput(ie), ie.Detail, original())
		}
		h.logger.Error("rewrite failed", zap.String("partner", h.Partner), zap.Error(err))
		return h.refuse(w, r, next, d, problemInternal, "the body could not be minimized", original())
	}
	d.bytesOut = len(*out)
	if d.report {
		putBuf(out)
		d.bytesOut = len(*raw) // what left: the original, as received
		r.Body = original()
		return h.forward(w, r, next, d, c, "forwarded")
	}
	// The proxy may go on reading the body after next returns; its buffer
	// goes back to the pool when the body is closed, not before.
	d.body.init(out)
	if h.Response == "" {
		d.body.record = d
	}
	r.Body = &d.body
	r.ContentLength = int64(d.bytesOut)
	r.TransferEncoding = nil
	r.Trailer = nil // trailers are not minimized: never forward them
	d.contentLength[0] = strconv.Itoa(d.bytesOut)
	r.Header["Content-Length"] = d.contentLength[:]
	// The body now travels uncompressed. Digests of the original body would
	// be wrong, and would let a partner confirm guesses about what was removed.
	for _, hdr := range [...]string{"Content-Encoding", "Content-Md5", "Digest", "Content-Digest", "Repr-Digest"} {
		delete(r.Header, hdr) // canonical already
	}
	return h.forward(w, r, next, d, c, "forwarded")
}

// stream minimizes an NDJSON body line by line while the proxy sends it.
// A consent is verified and recorded but never widens a stream: its data
// subjects are not known before the lines are read.
func (h *Handler) stream(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler, d *disclosure, c *compiled, coding, token, purpose string) error {
	if h.consentRequired(token, purpose, nil, d) {
		return h.refuse(w, r, next, d, problemConsent, consentDetail(d.consent.outcome), r.Body)
	}
	maxBody := cmp.Or(h.MaxBody, DefaultMaxBody)
	var src io.Reader = r.Body
	if coding != "" {
		dec, err := decodedBody(r.Body, coding, math.MaxInt64, maxBody)
		if err != nil {
			return h.refuse(w, r, next, d, problemBadEncoding, "the "+coding+" body could not be decoded", nil)
		}
		defer dec.Close()
		src = dec
	}
	be := &c.ch[chBody]
	d.count(chBody, be)
	body := newNDJSONBody(src, r.Body, be.engine, d.fields[chBody].tally, int(maxBody), d.report)
	body.disclosed = &d.disclosed.Disclosed
	r.Body = body
	r.ContentLength = -1
	r.TransferEncoding = nil
	r.Trailer = nil
	drop := []string{"Content-Length", "Content-Encoding"} // the stream is re-framed, uncompressed
	if !d.report {
		drop = append(drop, "Content-Md5", "Digest", "Content-Digest", "Repr-Digest")
	}
	for _, hdr := range drop {
		r.Header.Del(hdr)
	}
	tw := &writeTracker{ResponseWriter: w}
	err := h.forward(tw, r, next, d, c, "forwarded")
	d.handedOn() // a stream is minimized while the proxy sends it
	d.bytesIn, d.bytesOut = body.in, body.sent
	le := body.failed()
	if le == nil {
		return err
	}
	p, detail := problemTooLarge, le.Error()
	var ie *rules.InputError
	if errors.As(le.err, &ie) {
		p, detail = problemForInput(ie), fmt.Sprintf("line %d: %s", le.line, ie.Detail)
	}
	d.problem, d.outcome, d.status = p.slug, "rejected", p.status
	if tw.wrote {
		h.logger.Warn("stream failed after the response started", zap.String("partner", h.Partner), zap.String("problem", p.slug))
		return nil
	}
	return h.reject(w, p, detail)
}

// consentRequired verifies the consent token against the purpose and, when
// body is not nil, its data subjects; it records the outcome in d (and,
// for a body, what the consent grants) and reports whether the request
// must be refused for want of consent.
func (h *Handler) consentRequired(token, purpose string, body []byte, d *disclosure) bool {
	if h.consent == nil {
		if token != "" {
			d.consent.outcome = consentNotConfigured
		}
		return false
	}
	claims, outcome := h.consent.verify(token, purpose)
	if claims != nil {
		d.consent.jti = claims.ID
	}
	if outcome == consentValid && body != nil && !h.about(body, claims.Subject) {
		outcome = consentWrongSubject
	}
	d.consent.outcome = outcome
	if outcome == consentValid && body != nil {
		// Only a body whose subject was checked is widened.
		d.consent.granted = h.policies.grant(claims.Scope)
		d.subject = claims.Subject
	}
	return outcome != consentValid && h.Consent.Required
}

// about reports whether doc names a data subject at the consent's subject
// path everywhere that path leads, and only subject.
func (h *Handler) about(doc []byte, subject string) bool {
	return h.subject.Every(doc, func(v string) bool { return v == subject })
}

func consentDetail(o consentOutcome) string {
	if o == consentNone {
		return "this partner's policy requires a consent token"
	}
	return "the consent token was refused: " + string(o)
}

// forward minimizes the query string and headers with variant c, passes
// the request on and records how. In report mode the query and headers
// are only counted.
func (h *Handler) forward(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler, d *disclosure, c *compiled, outcome string) error {
	if p, detail := h.minimizeQueryAndHeaders(r, d, c); p != nil {
		return h.refuse(w, r, next, d, *p, detail, nil)
	}
	d.outcome = outcome
	d.handedOn()
	if h.Response == "" {
		return next.ServeHTTP(w, r)
	}
	// Ask for an uncompressed response; one that comes compressed anyway is
	// decoded before it is rewritten.
	r.Header.Set("Accept-Encoding", "identity")
	rb := newResponseBuffer(int(cmp.Or(h.MaxBody, DefaultMaxBody)))
	if err := next.ServeHTTP(rb, r); err != nil {
		return err
	}
	t := time.Now()
	defer func() { d.elapsed += time.Since(t) }()
	return h.writeResponse(w, rb, c, d)
}

// minimizeQueryAndHeaders minimizes the query string and the headers with
// variant c (in report mode it only counts), or says why it cannot. Its
// buffer goes back before the request goes on: the new query and headers
// are copies (urlEncodedFromJSON builds a string, eachValue parses a copy).
func (h *Handler) minimizeQueryAndHeaders(r *http.Request, d *disclosure, c *compiled) (*problem, string) {
	buf := getBuf()
	defer putBuf(buf)
	if r.URL.RawQuery != "" {
		doc, err := appendURLEncodedJSON((*buf)[:0], r.URL.RawQuery)
		if err == nil {
			*buf, _, err = h.minimizeChannel(d, c, chQuery, doc)
		}
		if err != nil {
			return &problemMalformedQuery, "the query string is not valid URL encoding, or not minimizable"
		}
		if !d.report {
			r.URL.RawQuery = urlEncodedFromJSON(*buf)
			r.RequestURI = ""
		}
	}
	doc, exact := appendHeaderJSON((*buf)[:0], r.Header)
	out, changed, err := h.minimizeChannel(d, c, chHeader, doc)
	*buf = out
	if err != nil {
		return &problemMalformedHeader, "the request headers could not be minimized"
	}
	// Headers the policy left as they were, and that the document held
	// exactly (no invalid UTF-8 replaced), would be rebuilt as they are.
	if !d.report && (changed || !exact) {
		r.Header = headerFromJSON(out, r.Header)
	}
	return nil, ""
}

// minimizeChannel rewrites the document of one channel in place of doc,
// counting into d, and says whether the rewrite changed it.
func (h *Handler) minimizeChannel(d *disclosure, c *compiled, ch channel, doc []byte) ([]byte, bool, error) {
	e := &c.ch[ch]
	tally := d.count(ch, e)
	out := getBuf()
	defer putBuf(out)
	var err error
	if *out, err = e.engine.RewriteDisclosing((*out)[:0], doc, tally, &d.disclosed.Disclosed); err != nil {
		d.fields[ch].tally = nil
		return doc, true, err
	}
	changed := !bytes.Equal(*out, doc)
	return append(doc[:0], *out...), changed, nil
}

// refuse answers with a problem and forwards nothing. In report mode it
// records the problem and forwards the original body instead, if it still
// has it.
func (h *Handler) refuse(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler, d *disclosure, p problem, detail string, original io.ReadCloser) error {
	d.problem = p.slug
	if d.report && original != nil {
		r.Body = original
		d.outcome = "forwarded"
		d.handedOn()
		return next.ServeHTTP(w, r)
	}
	if original != nil && original != r.Body {
		original.Close()
	}
	d.outcome, d.status = "rejected", p.status
	d.disclosed.Disclosed = rules.Disclosed{} // nothing went out
	return h.reject(w, p, detail)
}

// looksLikeJSON reads past the body's leading whitespace, NULs and byte
// order marks (which many parsers skip), keeping what it read for the
// body, and reports whether what follows starts a JSON document: such a
// body must not slip through a pass rule unminimized. A body that is
// nothing but such bytes for longer than limit counts as JSON too.
func looksLikeJSON(r *http.Request, limit int64) bool {
	br := bufio.NewReader(r.Body)
	var skipped []byte
	for int64(len(skipped)) <= limit {
		c, err := br.ReadByte()
		if err != nil {
			break
		}
		if !ignorable(c) {
			_ = br.UnreadByte()
			r.Body = readCloser{io.MultiReader(bytes.NewReader(skipped), br), r.Body}
			return c == '{' || c == '['
		}
		skipped = append(skipped, c)
	}
	r.Body = readCloser{io.MultiReader(bytes.NewReader(skipped), br), r.Body}
	return int64(len(skipped)) > limit
}

// jsonStart is looksLikeJSON for a body in memory.
func jsonStart(b []byte) bool {
	for _, c := range b {
		if !ignorable(c) {
			return c == '{' || c == '['
		}
	}
	return false
}

// ignorable bytes may precede a JSON document for lenient parsers:
// whitespace, NUL (UTF-16) and the bytes of the UTF-8 and UTF-16 BOMs.
func ignorable(c byte) bool {
	switch c {
	case ' ', '\t', '\r', '\n', 0, 0xef, 0xbb, 0xbf, 0xfe, 0xff:
		return true
	}
	return false
}

// heldBufs are the pooled buffers holding a request body as received.
// release puts them back; it may be called again, and does nothing then.
type heldBufs [2]*[]byte

func (h *heldBufs) release() {
	for i, b := range h {
		if b != nil {
			putBuf(b)
			h[i] = nil
		}
	}
}

// readCloser joins a reader with the closer of the body it reads from.
type readCloser struct {
	io.Reader
	io.Closer
}

// requestID is Caddy's id for the request, shared with its access log.
func requestID(r *http.Request) string {
	if repl, ok := r.Context().Value(caddy.ReplacerCtxKey).(*caddy.Replacer); ok {
		// GetString rather than ReplaceAll: the same value, without
		// parsing a placeholder and building a string around it.
		if id, ok := repl.GetString("http.request.uuid"); ok {
			return id
		}
	}
	return ""
}

// parseMediaType is mime.ParseMediaType, without its allocations for the
// common "application/json", which it would return unchanged with no
// parameters.
func parseMediaType(v string) (string, map[string]string, error) {
	if v == "application/json" {
		return v, nil, nil
	}
	return mime.ParseMediaType(v)
}

// isJSON reports whether a media type is application/json or application/*+json.
func isJSON(mt string) bool {
	return mt == "application/json" || (strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json"))
}

// checkPass reports whether mt may be listed in pass. A type with
// parameters or a wildcard would never match (requests are matched on
// their bare type), the types minimize rewrites never reach pass, and no
// kind of JSON (json-seq, say) may go out unminimized.
func checkPass(mt string) error {
	p, params, err := mime.ParseMediaType(mt)
	minimized := strings.Contains(p, "json") || p == "application/x-www-form-urlencoded"
	if err != nil || len(params) > 0 || minimized || strings.Contains(p, "*") || !strings.Contains(p, "/") {
		return fmt.Errorf("pass %q: want a media type without parameters or wildcards, other than JSON of any kind or a form (which are minimized), such as text/plain", mt)
	}
	return nil
}

func (h *Handler) passes(mt string) bool {
	for _, p := range h.Pass {
		if strings.EqualFold(p, mt) {
			return true
		}
	}
	return false
}

func tooLarge(limit int64) string {
	return fmt.Sprintf("the body is larger than this route's limit of %d bytes", limit)
}

// Interface guards
var (
	_ caddy.Provisioner           = (*Handler)(nil)
	_ caddy.Validator             = (*Handler)(nil)
	_ caddyhttp.MiddlewareHandler = (*Handler)(nil)
)
