package rules

import (
	"encoding/base64"
	"testing"
)

func TestDetectJWT(t *testing.T) {
	b64 := base64.RawURLEncoding.EncodeToString
	noAlg := b64([]byte(`{"typ":"JWT"}`)) + "." + b64([]byte(`{"sub":"x"}`)) + ".sig"
	algValue := b64([]byte(`{"typ":"alg"}`)) + "." + b64([]byte(`{"sub":"x"}`)) + ".sig"
	notJSON := b64([]byte(`{"alg":"HS256"`)) + "." + b64([]byte(`{"sub":"x"}`)) + ".sig"
	arrayPayload := b64([]byte(`{"alg":"HS256"}`)) + "." + b64([]byte(`["x"]`)) + ".sig"
	unsigned := b64([]byte(`{"alg":"none"}`)) + "." + b64([]byte(`{"sub":"x"}`)) + "."
	checkValues(t, detJWT, "", []string{testJWT, unsigned}, []string{
		noAlg, algValue, notJSON, arrayPayload,
		"eyJhbGciOiJIUzI1NiJ9", "eyJhbGciOiJIUzI1NiJ9.e30", // too few segments
		testJWT + ".eyJ4IjoxfQ.abc", // five segments: JWE
		"xeyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxIn0.sig",
		"eyJ!!!.eyJzdWIiOiIxIn0.sig",
	})
}

func TestDetectBearer(t *testing.T) {
	checkValues(t, detBearer, "", []string{
		"Bearer " + testJWT, "Bearer 8f2a9c1e4b7d6a3f0e5c2b9a", "bearer abc123def456ghi789", "Bearer mF_9.B5f-4.1JqM_2xY",
		"Bearer dGhpcyBpcyBhIHRva2VuMTIz==",
	}, []string{
		"Bearer of bad news", "Bearer responsibilities", "Bearer abc123", "Bearer 1234567890123456",
		"bearer-token abc123def456ghi789", "PallBearer abc123def456ghi789",
	})
}
