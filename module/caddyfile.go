package module

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"
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
//	    key            <base64 key or placeholder>
//	    default        drop | keep
//	    keep           <path>...
//	    drop           <path>...
//	    redact         <path>...
//	    pseudonymize   <path>...
//	    mask           <path> <style>
//	    generalize     <path> <how>...
//	    scan           <path>...
//	    never          <path>...
//	    floor          <category>... | none
//	    category <name> {
//	        fields    <field name>...
//	        detectors <detector>...
//	    }
//	    purposes       <name>...
//	    purpose_header <header>
//	    purpose <name> {
//	        <rule lines>
//	    }
//	    consent {
//	        keys     <file>...
//	        header   <header>
//	        issuer   <iss>
//	        leeway   <duration>
//	        required
//	        subject  <path>
//	        <rule lines>
//	    }
//	    tokenize       <path>...
//	    old_keys       <key>...
//	    response       minimize | detokenize
//	    mode           enforce | report
//	    max_body       <size>
//	    max_depth      <levels>
//	    pass           <media type>...
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
	// where holds the file:line of every rule, by layer, for errors that
	// only compiling the whole policy finds.
	where := map[string][]string{}
	var neverAt []string
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
		case "mode":
			if !d.AllArgs(&h.Mode) {
				return d.ArgErr()
			}
			if h.Mode != "enforce" && h.Mode != "report" {
				return d.Errf("mode must be enforce or report, not %q", h.Mode)
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
				if err := checkPass(mt); err != nil {
					return d.Err(err.Error())
				}
			}
			h.Pass = append(h.Pass, types...)
		case "category":
			if err := h.parseCategory(d); err != nil {
				return err
			}
		case "floor":
			if h.Floors != nil {
				return d.Err("only one floor line per policy: list every floor category on it")
			}
			h.Floors = d.RemainingArgs()
			if len(h.Floors) == 0 {
				return d.Errf("floor needs categories, or none (the default is floor %s)", strings.Join(DefaultFloors, " "))
			}
		case "never":
			paths := d.RemainingArgs()
			if len(paths) == 0 {
				return d.Errf("never needs at least one path")
			}
			for _, p := range paths {
				if err := rules.CheckRule(rules.Rule{Path: p, Action: rules.Drop, Floor: true}); err != nil {
					return d.Errf("never: %v", err)
				}
				h.Never = append(h.Never, p)
				neverAt = append(neverAt, at)
			}
		case "response":
			if !d.AllArgs(&h.Response) {
				return d.ArgErr()
			}
			if h.Response != responseMinimize && h.Response != responseDetokenize {
				return d.Errf("response must be minimize or detokenize, not %q", h.Response)
			}
		case "old_keys":
			h.OldKeys = append(h.OldKeys, d.RemainingArgs()...)
			if len(h.OldKeys) == 0 {
				return d.ArgErr()
			}
		case "purposes":
			names := d.RemainingArgs()
			if len(names) == 0 {
				return d.ArgErr()
			}
			h.Purposes = append(h.Purposes, names...)
		case "purpose_header":
			if !d.AllArgs(&h.PurposeHeader) {
				return d.ArgErr()
			}
		case "purpose":
			var name string
			if !d.AllArgs(&name) {
				return d.Errf("purpose takes a name and a block of rules: purpose <name> { ... }")
			}
			if h.PurposeRules == nil {
				h.PurposeRules = map[string][]RuleConfig{}
			}
			if _, dup := h.PurposeRules[name]; dup {
				return d.Errf("purpose %s has two blocks", name)
			}
			h.PurposeRules[name] = []RuleConfig{}
			layer := "purpose " + name
			for nesting := d.Nesting(); d.NextBlock(nesting); {
				rs, err := parseRuleLine(d)
				if err != nil {
					return err
				}
				h.PurposeRules[name] = append(h.PurposeRules[name], rs...)
				for range rs {
					where[layer] = append(where[layer], fmt.Sprintf("%s:%d", d.File(), d.Line()))
				}
			}
		case "consent":
			if err := h.parseConsent(d, where); err != nil {
				return err
			}
		default:
			rs, err := parseRuleLine(d)
			if err != nil {
				return err
			}
			h.Rules = append(h.Rules, rs...)
			for range rs {
				where[""] = append(where[""], at)
			}
		}
	}
	where[""] = append(where[""], neverAt...)
	return h.check(where)
}

func (h *Handler) parseConsent(d *caddyfile.Dispenser, where map[string][]string) error {
	if h.Consent != nil {
		return d.Err("only one consent block per policy")
	}
	if d.NextArg() {
		return d.ArgErr()
	}
	c := &Consent{}
	h.Consent = c
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		switch dir := d.Val(); dir {
		case "keys":
			c.Keys = append(c.Keys, d.RemainingArgs()...)
			if len(c.Keys) == 0 {
				return d.ArgErr()
			}
		case "header":
			if !d.AllArgs(&c.Header) {
				return d.ArgErr()
			}
		case "issuer":
			if !d.AllArgs(&c.Issuer) {
				return d.ArgErr()
			}
		case "leeway":
			var s string
			if !d.AllArgs(&s) {
				return d.ArgErr()
			}
			dur, err := caddy.ParseDuration(s)
			if err != nil || dur < 0 || dur > 10*time.Minute {
				return d.Errf("leeway %q: want a duration up to 10m, such as 30s", s)
			}
			c.Leeway = caddy.Duration(dur)
		case "required":
			if d.NextArg() {
				return d.ArgErr()
			}
			c.Required = true
		case "subject":
			if !d.AllArgs(&c.Subject) {
				return d.ArgErr()
			}
			if _, err := rules.NewSelector(c.Subject); err != nil {
				return d.Errf("subject: %v", err)
			}
		default:
			rs, err := parseRuleLine(d)
			if err != nil {
				return err
			}
			c.Rules = append(c.Rules, rs...)
			for range rs {
				where["consent"] = append(where["consent"], fmt.Sprintf("%s:%d", d.File(), d.Line()))
			}
		}
	}
	return nil
}

// parseCategory reads a category block: `category <name> { fields ...;
// detectors ... }`, defining a category or extending a built-in one.
func (h *Handler) parseCategory(d *caddyfile.Dispenser) error {
	if !d.NextArg() {
		return d.Err("category needs a name: category <name> { fields ...  detectors ... }")
	}
	name, at := d.Val(), fmt.Sprintf("%s:%d", d.File(), d.Line())
	if d.NextArg() {
		return d.ArgErr()
	}
	if _, dup := h.Categories[name]; dup {
		return d.Errf("category %s is defined twice", name)
	}
	var c CategoryConfig
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		switch dir := d.Val(); dir {
		case "fields":
			c.Fields = append(c.Fields, d.RemainingArgs()...)
		case "detectors":
			c.Detectors = append(c.Detectors, d.RemainingArgs()...)
		default:
			return d.Errf("category %s: unknown subdirective %q: want fields or detectors", name, dir)
		}
	}
	// Extend checks names, patterns and detectors; try it on its own.
	if err := rules.NewTaxonomy().Extend(name, c.Fields, c.Detectors); err != nil {
		return fmt.Errorf("%v, at %s", err, at)
	}
	if h.Categories == nil {
		h.Categories = map[string]CategoryConfig{}
	}
	h.Categories[name] = c
	return nil
}

// parseRuleLine reads one rule line (the current token is its action).
func parseRuleLine(d *caddyfile.Dispenser) ([]RuleConfig, error) {
	dir := d.Val()
	a, err := rules.ParseAction(dir)
	if err != nil {
		return nil, d.Errf("unknown subdirective %q: want an action (keep, drop, redact, mask, pseudonymize, tokenize, generalize, scan) or key, old_keys, default, never, floor, category, purposes, purpose, consent, mode, response, max_body, max_depth, pass", dir)
	}
	args := d.RemainingArgs()
	if len(args) == 0 {
		return nil, d.Errf("%s needs at least one path", dir)
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
			return nil, d.Errf("%s: %v", dir, err)
		}
	}
	return rs, nil
}

// check compiles the policy as far as the Caddyfile alone allows. A key given
// as a placeholder is resolved at provision time; a stand-in is used here.
func (h *Handler) check(where map[string][]string) error {
	key := h.Key
	if strings.Contains(key, "{") {
		h.Key = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
	}
	oldKeys := h.OldKeys
	h.OldKeys = nil // resolved at provision time
	err := h.build(nil)
	h.Key, h.OldKeys, h.policies, h.subject, h.hash = key, oldKeys, nil, nil, ""
	if err == nil {
		return nil
	}
	var le *layerError
	if errors.As(err, &le) && le.index >= 0 && le.index < len(where[le.layer]) {
		return fmt.Errorf("minimize %s: %v, at %s", h.Partner, err, where[le.layer][le.index])
	}
	return fmt.Errorf("minimize %s: %v", h.Partner, err)
}

// Interface guard
var _ caddyfile.Unmarshaler = (*Handler)(nil)
