package rules

import (
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/tidwall/gjson"
	"github.com/tink-crypto/tink-go/v2/daead/subtle"
)

// Tokens are reversible: AES-SIV (deterministic authenticated encryption)
// under a per-partner key derived from the master key, with the partner and
// the rule's path as associated data. A token reads
//
//	tk_<key id>_<base64url ciphertext>
//
// where the key id (4 characters) names the master key, so tokens made
// before a key rotation still decode with the old key kept in OldKeys.
const tokenPrefix = "tk_"

type tokenKey struct {
	id  string
	siv *subtle.AESSIV
}

// tokenKeys are one engine's token keys: the current one first.
type tokenKeys struct {
	partner string
	keys    []tokenKey
	paths   []string // the tokenize rules' normalized paths: the possible associated data
}

func newTokenKeys(master []byte, old [][]byte, partner string) (*tokenKeys, error) {
	t := &tokenKeys{partner: partner}
	for _, m := range append([][]byte{master}, old...) {
		k, err := hkdf.Key(sha256.New, m, nil, "caddy-minimize/v1/tokenize/"+partner, subtle.AESSIVKeySize)
		if err != nil {
			return nil, err
		}
		siv, err := subtle.NewAESSIV(k)
		if err != nil {
			return nil, err
		}
		id := KeyID(m)
		for _, prev := range t.keys {
			if prev.id == id {
				return nil, fmt.Errorf("two keys share the id %s: list each key once", id)
			}
		}
		t.keys = append(t.keys, tokenKey{id, siv})
	}
	return t, nil
}

// KeyID names a master key in tokens and logs without revealing it.
func KeyID(master []byte) string {
	id, err := hkdf.Key(sha256.New, master, nil, "caddy-minimize/v1/key-id", 3)
	if err != nil {
		panic(err) // only for impossible lengths
	}
	return base64.RawURLEncoding.EncodeToString(id)
}

// tokenizer makes the tokenize transform for the rule at path.
func (t *tokenKeys) tokenizer(path string) (transformer, error) {
	if t == nil {
		return nil, fmt.Errorf("tokenize %s needs the gateway key", path)
	}
	t.paths = append(t.paths, path)
	return tokenizer{t, []byte(t.partner + "\x00" + path)}, nil
}

type tokenizer struct {
	keys *tokenKeys
	ad   []byte
}

// appendTo tokenizes strings and numbers; the plaintext's first byte keeps
// the type, so detokenizing gives back exactly the JSON that went in.
func (z tokenizer) appendTo(dst []byte, v *gjson.Result) ([]byte, bool) {
	var pt []byte
	switch v.Type {
	case gjson.String:
		pt = append([]byte{'s'}, v.Str...)
	case gjson.Number:
		pt = append([]byte{'n'}, v.Raw...)
	default:
		return dst, false
	}
	k := z.keys.keys[0]
	ct, err := k.siv.EncryptDeterministically(pt, z.ad)
	if err != nil {
		return dst, false
	}
	dst = append(dst, '"')
	dst = append(dst, tokenPrefix...)
	dst = append(dst, k.id...)
	dst = append(dst, '_')
	dst = base64.RawURLEncoding.AppendEncode(dst, ct)
	return append(dst, '"'), true
}

// detokenize returns the JSON value a token stands for, trying each key the
// token's id names and each tokenize rule's path.
func (t *tokenKeys) detokenize(dst []byte, s string) ([]byte, bool) {
	rest, ok := strings.CutPrefix(s, tokenPrefix)
	if !ok || len(rest) < 6 || rest[4] != '_' {
		return dst, false
	}
	ct, err := base64.RawURLEncoding.DecodeString(rest[5:])
	if err != nil {
		return dst, false
	}
	for _, k := range t.keys {
		if k.id != rest[:4] {
			continue
		}
		for _, p := range t.paths {
			pt, err := k.siv.DecryptDeterministically(ct, []byte(t.partner+"\x00"+p))
			if err != nil || len(pt) == 0 {
				continue
			}
			switch {
			case pt[0] == 's' && utf8.Valid(pt[1:]):
				return appendString(dst, string(pt[1:])), true
			case pt[0] == 'n' && gjson.ValidBytes(pt[1:]):
				return append(dst, pt[1:]...), true
			}
		}
	}
	return dst, false
}

// Detokenize appends src with every string that is a token of this
// engine's partner replaced by its original value. Strings that look like
// tokens but do not decode are left as they are and counted in failed, never
// guessed at. src must be a document Rewrite would accept.
func (e *Engine) Detokenize(dst, src []byte) (out []byte, restored, failed int, err error) {
	if err := prescan(src, e.maxDepth); err != nil {
		return dst, 0, 0, err
	}
	if !utf8.Valid(src) || !gjson.ValidBytes(src) {
		return dst, 0, 0, &InputError{"malformed", "body is not a single valid JSON document"}
	}
	if e.tokens == nil || len(e.tokens.paths) == 0 {
		return append(dst, src...), 0, 0, nil
	}
	var walk func(v gjson.Result)
	walk = func(v gjson.Result) {
		switch {
		case v.IsObject():
			dst = append(dst, '{')
			n := 0
			v.ForEach(func(k, m gjson.Result) bool {
				if n > 0 {
					dst = append(dst, ',')
				}
				n++
				dst = append(append(dst, k.Raw...), ':')
				walk(m)
				return true
			})
			dst = append(dst, '}')
		case v.IsArray():
			dst = append(dst, '[')
			n := 0
			v.ForEach(func(_, m gjson.Result) bool {
				if n > 0 {
					dst = append(dst, ',')
				}
				n++
				walk(m)
				return true
			})
			dst = append(dst, ']')
		case v.Type == gjson.String && strings.HasPrefix(v.Str, tokenPrefix):
			var ok bool
			if dst, ok = e.tokens.detokenize(dst, v.Str); ok {
				restored++
			} else {
				failed++
				dst = append(dst, v.Raw...)
			}
		default:
			dst = append(dst, v.Raw...)
		}
	}
	walk(gjson.ParseBytes(src))
	return dst, restored, failed, nil
}
