package module

import (
	"net/http"
	"unicode/utf8"

	"github.com/caddy-minimize/caddy-minimize/rules"
)

// identifyingHeaders say who the end user is or where they are. They are
// dropped toward partners unless a rule keeps them (`keep header.cookie`).
var identifyingHeaders = []string{
	"Cookie", "Forwarded", "X-Forwarded-For", "X-Real-Ip", "X-Client-Ip", "True-Client-Ip",
	"Cf-Connecting-Ip", "Fastly-Client-Ip", "X-Cluster-Client-Ip",
	"X-Forwarded-User", "X-Forwarded-Email", "X-Forwarded-Preferred-Username",
	"X-Auth-Request-User", "X-Auth-Request-Email", "X-Auth-Request-Preferred-Username",
	"Remote-User", "X-Remote-User", "X-User", "X-User-Id", "X-User-Email", "X-Email",
}

// builtinRules are the rules every policy starts from; its own rules
// replace them path for path.
func builtinRules() []rules.Rule {
	rs := make([]rules.Rule, len(identifyingHeaders))
	for i, h := range identifyingHeaders {
		rs[i] = rules.Rule{Path: "header." + h, Action: rules.Drop}
	}
	return rs
}

// appendHeaderJSON appends the request headers as a JSON object for the
// header engine: one member per header, a string or an array of strings.
// Content-Length is the gateway's own business and stays out. exact says
// whether every name and value was UTF-8, so that the document holds them
// as they are rather than with U+FFFD in place of bytes.
func appendHeaderJSON(dst []byte, h http.Header) (doc []byte, exact bool) {
	dst = append(dst, '{')
	n := 0
	exact = true
	for k, vs := range h {
		if k == "Content-Length" || len(vs) == 0 {
			continue
		}
		if n > 0 {
			dst = append(dst, ',')
		}
		n++
		exact = exact && utf8.ValidString(k)
		dst = rules.AppendJSONString(dst, k)
		dst = append(dst, ':')
		if len(vs) == 1 {
			exact = exact && utf8.ValidString(vs[0])
			dst = rules.AppendJSONString(dst, vs[0])
			continue
		}
		dst = append(dst, '[')
		for i, v := range vs {
			if i > 0 {
				dst = append(dst, ',')
			}
			exact = exact && utf8.ValidString(v)
			dst = rules.AppendJSONString(dst, v)
		}
		dst = append(dst, ']')
	}
	return append(dst, '}'), exact
}

// headerFromJSON rebuilds headers from the engine's output, keeping
// Content-Length from the original. The values share one backing array,
// sized for the original's values (the engine never adds one), rather than
// one allocation per header.
func headerFromJSON(doc []byte, orig http.Header) http.Header {
	h := make(http.Header, len(orig))
	if cl, ok := orig["Content-Length"]; ok {
		h["Content-Length"] = cl
	}
	n := 0
	for _, vs := range orig {
		n += len(vs)
	}
	vals := make([]string, 0, n)
	// The output's keys are unique and an array's values come in a row, so
	// a header's values are consecutive in vals: from start, under key last.
	var last string
	have, start := false, 0
	eachValue(doc, func(k, v string) {
		switch {
		case have && k == last:
		case h[k] != nil: // not in a row (never, as keys are unique): as it was
			h[k] = append(h[k], v)
			have = false
			return
		default:
			have, last, start = true, k, len(vals)
		}
		vals = append(vals, v)
		h[k] = vals[start:len(vals):len(vals)]
	})
	return h
}
