package module

import (
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// consentAlgorithms are the only signatures a consent token may carry: all
// asymmetric, so a gateway that can verify a consent cannot forge one.
// `none` and HMAC never verify, whatever key a token names.
var consentAlgorithms = []jose.SignatureAlgorithm{jose.EdDSA, jose.ES256, jose.ES384, jose.ES512, jose.RS256, jose.PS256}

// maxConsentToken bounds the header before any parsing.
const maxConsentToken = 8 << 10

// consentOutcome says what became of a request's consent header. Only
// consentValid widens anything.
type consentOutcome string

const (
	consentNone          consentOutcome = "none"
	consentValid         consentOutcome = "valid"
	consentMalformed     consentOutcome = "malformed"
	consentAlgorithm     consentOutcome = "unsupported_algorithm"
	consentUnknownKey    consentOutcome = "unknown_key"
	consentBadSignature  consentOutcome = "bad_signature"
	consentMissingClaims consentOutcome = "missing_claims"
	consentExpired       consentOutcome = "expired"
	consentNotYetValid   consentOutcome = "not_yet_valid"
	consentWrongIssuer   consentOutcome = "wrong_issuer"
	consentWrongAudience consentOutcome = "wrong_audience"
	consentWrongPurpose  consentOutcome = "wrong_purpose"
	consentWrongSubject  consentOutcome = "wrong_subject"
	// consentNotConfigured: a token came to a policy that takes no consent.
	consentNotConfigured consentOutcome = "not_configured"
)

// consentClaims are the claims of a consent token.
type consentClaims struct {
	jwt.Claims
	// Purposes the person consented to.
	Purposes []string `json:"purposes"`
	// Scope lists the consent rules' paths the token releases; "*" releases
	// every rule of the policy's consent block.
	Scope []string `json:"scope"`
}

// consentVerifier checks consent tokens for one partner.
type consentVerifier struct {
	keys    []jose.JSONWebKey
	issuer  string
	leeway  time.Duration
	partner string
	now     func() time.Time
}

// verify checks token for purpose and returns its claims when it is valid.
// Subject binding is checked by the caller, which has the body.
func (v *consentVerifier) verify(token, purpose string) (*consentClaims, consentOutcome) {
	if token == "" {
		return nil, consentNone
	}
	if len(token) > maxConsentToken {
		return nil, consentMalformed
	}
	tok, err := jwt.ParseSigned(token, consentAlgorithms)
	if err != nil {
		if alg := tokenAlgorithm(token); alg != "" && !slices.Contains(consentAlgorithms, jose.SignatureAlgorithm(alg)) {
			return nil, consentAlgorithm
		}
		return nil, consentMalformed
	}
	if len(tok.Headers) != 1 {
		return nil, consentMalformed
	}
	hdr := tok.Headers[0]
	key := v.key(hdr.KeyID)
	if key == nil {
		return nil, consentUnknownKey
	}
	if key.Algorithm != "" && key.Algorithm != hdr.Algorithm {
		return nil, consentBadSignature
	}
	var c consentClaims
	if err := tok.Claims(key.Key, &c); err != nil {
		return nil, consentBadSignature
	}
	if c.Expiry == nil || c.IssuedAt == nil || c.ID == "" || c.Subject == "" || len(c.Audience) == 0 || len(c.Purposes) == 0 || len(c.Scope) == 0 {
		return nil, consentMissingClaims
	}
	if v.issuer != "" && c.Issuer != v.issuer {
		return &c, consentWrongIssuer
	}
	if !c.Audience.Contains(v.partner) {
		return &c, consentWrongAudience
	}
	switch err := c.ValidateWithLeeway(jwt.Expected{Time: v.now()}, v.leeway); {
	case errors.Is(err, jwt.ErrExpired):
		return &c, consentExpired
	case errors.Is(err, jwt.ErrNotValidYet), errors.Is(err, jwt.ErrIssuedInTheFuture):
		return &c, consentNotYetValid
	case err != nil:
		return &c, consentMalformed
	}
	if !slices.Contains(c.Purposes, purpose) {
		return &c, consentWrongPurpose
	}
	return &c, consentValid
}

// key returns the verification key a token names. A token without a kid is
// accepted only when exactly one key is configured.
func (v *consentVerifier) key(kid string) *jose.JSONWebKey {
	if kid == "" {
		if len(v.keys) == 1 {
			return &v.keys[0]
		}
		return nil
	}
	for i := range v.keys {
		if v.keys[i].KeyID == kid {
			return &v.keys[i]
		}
	}
	return nil
}

// tokenAlgorithm reads the alg of a compact JWS header without trusting it,
// to say why a token was refused.
func tokenAlgorithm(token string) string {
	head, _, ok := strings.Cut(token, ".")
	if !ok {
		return ""
	}
	raw, err := base64.RawURLEncoding.DecodeString(head)
	if err != nil {
		return ""
	}
	var h struct {
		Alg string `json:"alg"`
	}
	if json.Unmarshal(raw, &h) != nil {
		return ""
	}
	return h.Alg
}

// loadConsentKeys reads public keys from files: a JWKS ({"keys":[...]}), a
// single JWK, or PEM "PUBLIC KEY" blocks (whose kid is their RFC 7638
// thumbprint). Private and symmetric keys are refused.
func loadConsentKeys(paths []string) ([]jose.JSONWebKey, error) {
	var keys []jose.JSONWebKey
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("consent key file: %w", err)
		}
		var got []jose.JSONWebKey
		if trimmed := strings.TrimSpace(string(data)); strings.HasPrefix(trimmed, "{") {
			got, err = parseJWKs(data)
		} else {
			got, err = parsePEMKeys(data)
		}
		if err != nil {
			return nil, fmt.Errorf("consent key file %s: %w", path, err)
		}
		keys = append(keys, got...)
	}
	if len(keys) == 0 {
		return nil, errors.New("consent needs at least one public key (keys <file>...)")
	}
	seen := map[string]bool{}
	for _, k := range keys {
		if seen[k.KeyID] {
			return nil, fmt.Errorf("consent key id %q appears twice", k.KeyID)
		}
		seen[k.KeyID] = true
	}
	return keys, nil
}

func parseJWKs(data []byte) ([]jose.JSONWebKey, error) {
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(data, &set); err != nil || len(set.Keys) == 0 {
		var one jose.JSONWebKey
		if err := json.Unmarshal(data, &one); err != nil {
			return nil, fmt.Errorf("not a JWK or JWKS: %w", err)
		}
		set.Keys = []jose.JSONWebKey{one}
	}
	for i := range set.Keys {
		k := &set.Keys[i]
		if _, symmetric := k.Key.([]byte); symmetric {
			return nil, errors.New("symmetric (HMAC) keys are refused: consent must be signed with a private key the gateway does not hold")
		}
		if !k.IsPublic() {
			return nil, fmt.Errorf("key %q is a private key: give the gateway only the public half", k.KeyID)
		}
		if k.Algorithm != "" && !slices.Contains(consentAlgorithms, jose.SignatureAlgorithm(k.Algorithm)) {
			return nil, fmt.Errorf("key %q: algorithm %s is not accepted", k.KeyID, k.Algorithm)
		}
		if k.KeyID == "" {
			if err := setThumbprint(k); err != nil {
				return nil, err
			}
		}
	}
	return set.Keys, nil
}

func parsePEMKeys(data []byte) ([]jose.JSONWebKey, error) {
	var keys []jose.JSONWebKey
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		if block.Type != "PUBLIC KEY" {
			return nil, fmt.Errorf("PEM block %q: want PUBLIC KEY (give the gateway only the public half)", block.Type)
		}
		pub, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, err
		}
		k := jose.JSONWebKey{Key: pub}
		if !k.Valid() {
			return nil, errors.New("unsupported public key type")
		}
		if err := setThumbprint(&k); err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, errors.New("no PEM PUBLIC KEY block")
	}
	return keys, nil
}

func setThumbprint(k *jose.JSONWebKey) error {
	tp, err := k.Thumbprint(crypto.SHA256)
	if err != nil {
		return err
	}
	k.KeyID = base64.RawURLEncoding.EncodeToString(tp)
	return nil
}
