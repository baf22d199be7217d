package module

import (
	"errors"
	"fmt"
	"mime"
	"strconv"
	"strings"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/dustin/go-humanize"

	"github.com/caddy-minimize/caddy-minimize/rules"
)

func init() {
	httpcaddyfile.RegisterHandlerDirective("minimize", parseCaddyfile)
	// Minimize before proxying, so users write no `order` line.
	httpcaddyfile.RegisterDirectiveOrder("minimize", httpcaddyfile.Before, "reverse_proxy")
}

func parseCaddyfile(h httpcaddyfile.Helper) (caddyhttp.MiddlewareHandler, error) {
	m := new(Handler)
	err := m.UnmarshalCaddyfile(h.Dispenser)
	return m, err
}

// UnmarshalCaddyfile sets up the handler from Caddyfile tokens:
//
//	minimize <partner> {
//	    key          <base64 key or placeholder>
//	    default      drop | keep
//	    keep         <path>...
//	    drop         <path>...
//	    redact       <path>...
//	    pseudonymize <path>...
//	    mask         <path> <style>
//	    generalize   <path> <how>...
//	    max_body     <size>
//	    max_depth    <levels>
//	    pass         <media type>...
//	}
//
// Every policy error that does not depend on the runtime environment is
// reported here, with the line that caused it.
func (h *Handler) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // the directive name
	if !d.NextArg() {
		return d.Errf("minimize needs the partner's name: minimize <partner> { ... }")
	}
	h.Partner = d.Val()
	if d.NextArg() {
		return d.ArgErr()
	}
	var where []string // file:line of each rule, for errors found by Compile
	for d.NextBlock(0) {
		at := fmt.Sprintf("%s:%d", d.File(), d.Line())
		switch dir := d.Val(); dir {
		case "key":
			if !d.AllArgs(&h.Key) {
				return d.ArgErr()
			}
			if !strings.Contains(h.Key, "{") {
				if _, err := rules.DecodeKey(h.Key); err != nil {
					return d.Errf("key: %v", err)
				}
			}
		case "default":
			if !d.AllArgs(&h.Default) {
				return d.ArgErr()
			}
			if h.Default != "drop" && h.Default != "keep" {
				return d.Errf("default must be drop or keep, not %q", h.Default)
			}
		case "max_body":
			var s string
			if !d.AllArgs(&s) {
				return d.ArgErr()
			}
			n, err := humanize.ParseBytes(s)
			if err != nil || n == 0 || n > 1<<40 {
				return d.Errf("max_body %q: want a size such as 64KiB or 5MB", s)
			}
			h.MaxBody = int64(n)
		case "max_depth":
			var s string
			if !d.AllArgs(&s) {
				return d.ArgErr()
			}
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 || n > 10000 {
				return d.Errf("max_depth %q: want a number of levels from 1 to 10000", s)
			}
			h.MaxDepth = n
		case "pass":
			types := d.RemainingArgs()
			if len(types) == 0 {
				return d.ArgErr()
			}
			for _, mt := range types {
				if _, _, err := mime.ParseMediaType(mt); err != nil || isJSON(mt) {
					return d.Errf("pass %q: want a media type other than JSON, such as text/plain", mt)
				}
			}
			h.Pass = append(h.Pass, types...)
		default:
			a, err := rules.ParseAction(dir)
			if err != nil {
				return d.Errf("unknown subdirective %q: want an action (keep, drop, redact, mask, pseudonymize, generalize) or key, default, max_body, max_depth, pass", dir)
			}
			args := d.RemainingArgs()
			if len(args) == 0 {
				return d.Errf("%s needs at least one path", dir)
			}
			var rs []RuleConfig
			switch a {
			case rules.Mask, rules.Generalize:
				rs = []RuleConfig{{Action: dir, Path: args[0], Args: args[1:]}}
			default:
				for _, p := range args {
					rs = append(rs, RuleConfig{Action: dir, Path: p})
				}
			}
			for _, rc := range rs {
				if err := rules.CheckRule(rules.Rule{Path: rc.Path, Action: a, Args: rc.Args}); err != nil {
					return d.Errf("%s: %v", dir, err)
				}
				h.Rules = append(h.Rules, rc)
				where = append(where, at)
			}
		}
	}
	return h.check(where)
}

// check compiles the policy as far as the Caddyfile alone allows. A key given
// as a placeholder is resolved at provision time; a stand-in is used here.
func (h *Handler) check(where []string) error {
	key := h.Key
	if strings.Contains(key, "{") {
		h.Key = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
	}
	p, err := h.policy(nil)
	h.Key = key
	if err == nil {
		_, err = rules.Compile(p)
	}
	if err != nil {
		var re *rules.RuleError
		if errors.As(err, &re) && re.Index < len(where) {
			return fmt.Errorf("minimize %s: %v, at %s", h.Partner, err, where[re.Index])
		}
		return fmt.Errorf("minimize %s: %v", h.Partner, err)
	}
	return nil
}

// Interface guard
var _ caddyfile.Unmarshaler = (*Handler)(nil)
