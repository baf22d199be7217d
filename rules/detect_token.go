package rules

import (
	"encoding/base64"
	"strings"
	"unsafe"

	"github.com/tidwall/gjson"
)

// Tokens with fixed prefixes: JWTs, bearer credentials and the API keys in
// detect_apikey.go. Each prefix is found with strings.Index, which is
// vectorized, so text without any costs a few fast scans.

func (r *spanFinder) tokens() {
	if r.on(detJWT) {
		r.jwts()
	}
	if r.on(detBearer) {
		r.bearers()
	}
	r.apiKeys()
}

// indexFrom returns the index of sub in t at or after from, or -1.
func indexFrom(t, sub string, from int) int {
	if from > len(t) {
		return -1
	}
	if k := strings.Index(t[from:], sub); k >= 0 {
		return from + k
	}
	return -1
}

// maxJWTHeader bounds the header decoded; real ones are well under it.
const maxJWTHeader = 1024

// jwts finds compact JWS tokens: three base64url segments whose header
// decodes to a JSON object with an "alg" and whose payload to an object.
// Every JSON object starts "{", so every JWT starts "eyJ" ({").
func (r *spanFinder) jwts() {
	t := r.text
	// Search the rare "J", not the common "e".
	for j := indexFrom(t, "J", 2); j >= 0; j = indexFrom(t, "J", j+1) {
		i := j - 2
		if t[i] != 'e' || t[i+1] != 'y' || classAt(t, i-1, clB64URL) || i > 0 && t[i-1] == '.' {
			continue
		}
		e1 := runOf(t, i, clB64URL)
		if e1 >= len(t) || t[e1] != '.' {
			continue
		}
		e2 := runOf(t, e1+1, clB64URL)
		if e2-e1-1 < 4 || e2 >= len(t) || t[e2] != '.' {
			continue
		}
		e3 := runOf(t, e2+1, clB64URL)
		if e3 < len(t) && t[e3] == '.' && classAt(t, e3+1, clB64URL) {
			continue // five segments: an encrypted JWE, or something else
		}
		if jwtHeader(t[i:e1]) && jsonObjectStart(t[e1+1:e2]) {
			r.add(i, e3, detJWT)
			j = e3 - 1
		}
	}
}

// jwtHeader reports whether seg decodes to a JSON object with an "alg".
func jwtHeader(seg string) bool {
	var buf [maxJWTHeader]byte
	if base64.RawURLEncoding.DecodedLen(len(seg)) > len(buf) {
		return false
	}
	n, err := base64.RawURLEncoding.Decode(buf[:], unsafe.Slice(unsafe.StringData(seg), len(seg)))
	if err != nil {
		return false
	}
	h := unsafe.String(&buf[0], n)
	return strings.HasPrefix(strings.TrimLeft(h, " \t\r\n"), "{") && gjson.Valid(h) && hasAlg(h)
}

// hasAlg reports whether a valid JSON object has a member "alg" with a
// string value. (gjson.Get would do, but its result may keep the text, which
// would move the decoding buffer to the heap.)
func hasAlg(h string) bool {
	for from := 0; ; {
		i := indexFrom(h, `"alg"`, from)
		if i < 0 {
			return false
		}
		j := i + len(`"alg"`)
		from = j
		for j < len(h) && (h[j] == ' ' || h[j] == '\t' || h[j] == '\r' || h[j] == '\n') {
			j++
		}
		if j >= len(h) || h[j] != ':' {
			continue // "alg" was a value, not a key
		}
		for j++; j < len(h) && (h[j] == ' ' || h[j] == '\t' || h[j] == '\r' || h[j] == '\n'); j++ {
		}
		if j < len(h) && h[j] == '"' {
			return true
		}
	}
}

// jsonObjectStart reports whether a base64url segment decodes to text
// starting with "{", looking at its first four characters only.
func jsonObjectStart(seg string) bool {
	var buf [3]byte
	n, err := base64.RawURLEncoding.Decode(buf[:], unsafe.Slice(unsafe.StringData(seg), 4))
	if err != nil || n == 0 {
		return false
	}
	for _, c := range buf[:n] {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		case '{':
			return true
		}
		return false
	}
	return false
}

// minBearer is the shortest credential taken after "Bearer ": shorter ones
// are words ("Bearer of bad news").
const minBearer = 16

// bearers finds "Bearer <token68>" (RFC 6750) where the token has letters
// and digits, as generated credentials do and English words do not.
func (r *spanFinder) bearers() {
	for _, prefix := range [...]string{"Bearer ", "bearer "} {
		r.bearersAfter(prefix)
	}
}

// bearersAfter finds one spelling of the scheme; searching for its capital
// or b is faster than for the "e" they share.
func (r *spanFinder) bearersAfter(prefix string) {
	t := r.text
	for b := indexFrom(t, prefix, 0); b >= 0; b = indexFrom(t, prefix, b+1) {
		if classAt(t, b-1, clWord) {
			continue
		}
		j := b + len(prefix)
		for j < len(t) && t[j] == ' ' {
			j++
		}
		k := j
		letters, digits := false, false
		for k < len(t) && (classAt(t, k, clB64URL) || strings.IndexByte(".~+/", t[k]) >= 0) {
			letters = letters || classAt(t, k, clUpper|clLower)
			digits = digits || classAt(t, k, clDigit)
			k++
		}
		for k > j && t[k-1] == '.' {
			k-- // the end of a sentence
		}
		for k < len(t) && t[k] == '=' {
			k++
		}
		if k-j >= minBearer && letters && digits && !classAt(t, k, clWord) {
			r.add(b, k, detBearer)
			b = k - 1
		}
	}
}
