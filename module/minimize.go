// Package module is the Caddy glue for caddy-minimize: the
// http.handlers.minimize handler, its Caddyfile directive, and the HTTP side
// of minimization (limits, content types, problem responses). The policy
// engine itself lives in package rules.
package module

import (
	"cmp"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"

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
	// rule pseudonymizes.
	Key string `json:"key,omitempty"`
	// Default is what happens to fields no rule names: "drop" (the default)
	// or "keep".
	Default string `json:"default,omitempty"`
	// Rules are the policy's rules; order matters only to break full ties.
	Rules []RuleConfig `json:"rules,omitempty"`
	// MaxBody is the largest request body accepted, in bytes (default 1 MiB).
	MaxBody int64 `json:"max_body,omitempty"`
	// MaxDepth is the deepest nesting accepted (default 64).
	MaxDepth int `json:"max_depth,omitempty"`
	// Pass lists media types forwarded unchanged. Everything that is neither
	// JSON nor listed here is refused with 415.
	Pass []string `json:"pass,omitempty"`

	engine *rules.Engine
	logger *zap.Logger
}

// RuleConfig is one rule in JSON config.
type RuleConfig struct {
	Action string   `json:"action"`
	Path   string   `json:"path"`
	Args   []string `json:"args,omitempty"`
}

// CaddyModule returns the Caddy module information.
func (Handler) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.minimize",
		New: func() caddy.Module { return new(Handler) },
	}
}

// Provision resolves the key and compiles the policy once.
func (h *Handler) Provision(ctx caddy.Context) error {
	h.logger = ctx.Logger()
	p, err := h.policy(caddy.NewReplacer())
	if err != nil {
		return fmt.Errorf("minimize %s: %w", h.Partner, err)
	}
	if h.engine, err = rules.Compile(p); err != nil {
		return fmt.Errorf("minimize %s: %w", h.Partner, err)
	}
	return nil
}

// policy translates the JSON config into the engine's policy, resolving the
// key's placeholders with repl (nil: the key is taken as written).
func (h *Handler) policy(repl *caddy.Replacer) (rules.Policy, error) {
	p := rules.Policy{Partner: h.Partner, MaxDepth: h.MaxDepth}
	if h.Partner == "" {
		return p, errors.New("partner name is required")
	}
	switch h.Default {
	case "", "drop":
	case "keep":
		p.KeepUnnamed = true
	default:
		return p, fmt.Errorf("default must be drop or keep, not %q", h.Default)
	}
	if h.MaxBody < 0 || h.MaxDepth < 0 {
		return p, errors.New("max_body and max_depth must be positive")
	}
	for _, rc := range h.Rules {
		a, err := rules.ParseAction(rc.Action)
		if err != nil {
			return p, err
		}
		p.Rules = append(p.Rules, rules.Rule{Path: rc.Path, Action: a, Args: rc.Args})
	}
	if h.Key != "" {
		text := h.Key
		if repl != nil {
			var err error
			if text, err = repl.ReplaceOrErr(h.Key, true, true); err != nil {
				return p, fmt.Errorf("key %s: %w (is the variable set, the file readable?)", h.Key, err)
			}
		}
		var err error
		if p.Key, err = rules.DecodeKey(text); err != nil {
			return p, err
		}
	}
	for _, mt := range h.Pass {
		if _, _, err := mime.ParseMediaType(mt); err != nil {
			return p, fmt.Errorf("pass %q: %w", mt, err)
		}
	}
	return p, nil
}

// Validate reports whether the handler is ready; Provision did the checks.
func (h *Handler) Validate() error {
	if h.engine == nil {
		return errors.New("minimize: policy not compiled")
	}
	return nil
}

// ServeHTTP minimizes the request body and calls next with the result.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
		// The server enforces a zero length; NoBody makes sure no later
		// handler reads anything anyway.
		r.Body = http.NoBody
		return next.ServeHTTP(w, r)
	}
	for _, ce := range r.Header.Values("Content-Encoding") {
		if !strings.EqualFold(strings.TrimSpace(ce), "identity") {
			return h.reject(w, r, problemUnsupportedEncoding, "content coding is not supported; send the body uncompressed")
		}
	}
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch {
	case err == nil && isJSON(mt):
		if cs := params["charset"]; cs != "" && !strings.EqualFold(cs, "utf-8") {
			return h.reject(w, r, problemUnsupportedType, "JSON bodies must be UTF-8")
		}
	case err == nil && h.passes(mt):
		return next.ServeHTTP(w, r)
	default:
		return h.reject(w, r, problemUnsupportedType, "only application/json and application/*+json bodies are minimized, and this route lets no other type through")
	}
	maxBody := cmp.Or(h.MaxBody, DefaultMaxBody)
	if r.ContentLength > maxBody {
		return h.reject(w, r, problemTooLarge, tooLarge(maxBody))
	}

	in := getBuf()
	defer putBuf(in)
	body, err := readBody(*in, r.Body, maxBody)
	*in = body
	switch {
	case errors.Is(err, errTooLarge):
		return h.reject(w, r, problemTooLarge, tooLarge(maxBody))
	case err != nil:
		return h.reject(w, r, problemUnreadable, "the request body could not be read completely")
	case len(body) == 0:
		r.Body, r.ContentLength = http.NoBody, 0
		return next.ServeHTTP(w, r)
	}

	out := getBuf()
	*out, err = h.engine.Rewrite((*out)[:0], body, nil)
	if err != nil {
		putBuf(out)
		var ie *rules.InputError
		if errors.As(err, &ie) {
			return h.reject(w, r, problemForInput(ie), ie.Detail)
		}
		h.logger.Error("rewrite failed", zap.String("partner", h.Partner), zap.Error(err))
		return h.reject(w, r, problemInternal, "the body could not be minimized")
	}

	// The proxy may go on reading the body after next returns; the buffer
	// goes back to the pool when the body is closed, not before.
	r.Body = newPooledBody(out)
	r.ContentLength = int64(len(*out))
	r.TransferEncoding = nil
	r.Trailer = nil // trailers are not minimized: never forward them
	r.Header.Set("Content-Length", strconv.Itoa(len(*out)))
	// Digests of the original body would be wrong, and would let a partner
	// confirm guesses about what was removed.
	for _, hdr := range []string{"Content-Md5", "Digest", "Content-Digest", "Repr-Digest"} {
		r.Header.Del(hdr)
	}
	return next.ServeHTTP(w, r)
}

// isJSON reports whether a media type is application/json or application/*+json.
func isJSON(mt string) bool {
	return mt == "application/json" || (strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json"))
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
