package rules

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"strings"
	"sync"

	"github.com/tidwall/gjson"
)

// DecodeKey decodes the master key from its text form: base64, standard or
// URL alphabet, padded or not, of at least MinKeyLen bytes. Errors never
// quote the text, which would leak the key into logs.
func DecodeKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New("key is empty")
	}
	enc := base64.RawStdEncoding
	if strings.ContainsAny(s, "-_") {
		enc = base64.RawURLEncoding
	}
	if strings.HasSuffix(s, "=") {
		enc = enc.WithPadding(base64.StdPadding)
	}
	key, err := enc.DecodeString(s)
	if err != nil {
		return nil, errors.New("key is not base64 (generate one with: head -c 32 /dev/urandom | base64)")
	}
	if len(key) < MinKeyLen {
		return nil, fmt.Errorf("key is %d bytes, need at least %d", len(key), MinKeyLen)
	}
	return key, nil
}

// PartnerKey derives the key for one purpose ("pseudonymize") and one
// partner, so partners cannot join their data on pseudonyms and one leaked
// derived key does not expose the others. (newTokenKeys derives the
// tokenize key the same way, at AES-SIV's key size.)
func PartnerKey(master []byte, purpose, partner string) []byte {
	key, err := hkdf.Key(sha256.New, master, nil, "caddy-minimize/v1/"+purpose+"/"+partner, sha256.Size)
	if err != nil {
		// Only possible for a key length HKDF cannot produce or, in FIPS
		// 140-only mode, a master key under 112 bits: both are programming errors.
		panic("rules: " + err.Error())
	}
	return key
}

// pseudonymLen is how many MAC bytes a pseudonym keeps: 128 bits make
// collisions negligible while keeping the text short.
const pseudonymLen = 16

// maxPooledInput is the largest input buffer kept for reuse.
const maxPooledInput = 4 << 10

// pseudonymizer replaces a value by a keyed hash of it: equal values give
// equal pseudonyms for one partner, and nothing about the value can be
// recovered or guessed without the key.
type pseudonymizer struct {
	macs sync.Pool // of *macState
}

// macState is one reusable HMAC with its input and output buffers, so that
// hashing a value allocates nothing once the pool is warm.
type macState struct {
	mac hash.Hash
	in  []byte
	sum [sha256.Size]byte
}

func newPseudonymizer(master []byte, partner string) (*pseudonymizer, error) {
	if len(master) < MinKeyLen {
		return nil, fmt.Errorf("key is %d bytes, need at least %d", len(master), MinKeyLen)
	}
	key := PartnerKey(master, "pseudonymize", partner)
	p := &pseudonymizer{}
	p.macs.New = func() any { return &macState{mac: hmac.New(sha256.New, key)} }
	return p, nil
}

func (p *pseudonymizer) appendTo(dst []byte, v *gjson.Result) ([]byte, bool) {
	s, ok := scalarText(v)
	if !ok {
		return dst, false
	}
	st := p.macs.Get().(*macState)
	st.mac.Reset()
	st.in = append(st.in[:0], s...)
	st.mac.Write(st.in)
	sum := st.mac.Sum(st.sum[:0])
	dst = append(dst, `"ps_`...)
	dst = base64.RawURLEncoding.AppendEncode(dst, sum[:pseudonymLen])
	dst = append(dst, '"')
	if cap(st.in) > maxPooledInput {
		st.in = nil // one huge value should not stay pinned in the pool
	}
	p.macs.Put(st)
	return dst, true
}
