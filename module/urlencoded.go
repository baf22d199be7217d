package module

import (
	"errors"
	"net/url"
	"strings"

	"github.com/tidwall/gjson"

	"github.com/caddy-minimize/caddy-minimize/rules"
)

// URL-encoded data (query strings and form bodies) is minimized by the same
// engine: it becomes a JSON object, in first-seen key order, whose values
// are strings, or arrays of strings for repeated keys, and comes back the
// same way.

var errURLEncoded = errors.New("malformed URL encoding")

// appendURLEncodedJSON appends the JSON object for URL-encoded s to dst.
func appendURLEncodedJSON(dst []byte, s string) ([]byte, error) {
	// A parameter's first value is kept apart, so the usual single-valued
	// parameter, and a query of a few of them, need no allocation.
	type param struct {
		key   string
		first string
		more  []string
	}
	var room [8]param
	params := room[:0]
	for s != "" {
		var pair string
		pair, s, _ = strings.Cut(s, "&")
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		k, err1 := url.QueryUnescape(k)
		v, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil {
			return dst, errURLEncoded
		}
		i := 0
		for i < len(params) && params[i].key != k {
			i++
		}
		if i == len(params) {
			params = append(params, param{key: k, first: v})
			continue
		}
		params[i].more = append(params[i].more, v)
	}
	dst = append(dst, '{')
	for i, p := range params {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = rules.AppendJSONString(dst, p.key)
		dst = append(dst, ':')
		if len(p.more) == 0 {
			dst = appendParamValue(dst, p.first)
			continue
		}
		dst = append(dst, '[')
		dst = appendParamValue(dst, p.first)
		for _, v := range p.more {
			dst = append(dst, ',')
			dst = appendParamValue(dst, v)
		}
		dst = append(dst, ']')
	}
	return append(dst, '}'), nil
}

// appendParamValue writes a value as a JSON number when it is written as
// one (no surrounding space: "1 " stays the string it is), so bucket and
// round apply to numeric parameters; otherwise as a string.
func appendParamValue(dst []byte, v string) []byte {
	if v != "" && (v[0] == '-' || ('0' <= v[0] && v[0] <= '9')) && '0' <= v[len(v)-1] && v[len(v)-1] <= '9' && gjson.Valid(v) {
		return append(dst, v...)
	}
	return rules.AppendJSONString(dst, v)
}

// urlEncodedFromJSON turns the engine's output object back into URL encoding.
func urlEncodedFromJSON(doc []byte) string {
	var b strings.Builder
	eachValue(doc, func(k, v string) {
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(k))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(v))
	})
	return b.String()
}

// eachValue calls fn for each value of the engine's output object (for each
// element of an array), with strings decoded and other values as written.
// Query strings, forms and headers come back through it.
func eachValue(doc []byte, fn func(key, value string)) {
	text := func(v gjson.Result) string {
		if v.Type == gjson.String {
			return v.Str
		}
		return v.Raw
	}
	gjson.ParseBytes(doc).ForEach(func(k, v gjson.Result) bool {
		if v.IsArray() {
			v.ForEach(func(_, e gjson.Result) bool {
				fn(k.Str, text(e))
				return true
			})
		} else {
			fn(k.Str, text(v))
		}
		return true
	})
}
