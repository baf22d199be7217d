package module

import (
	"errors"
	"testing"

	"go.uber.org/zap/zapcore"
)

// failingConsent is an encoder whose consent object fails to encode.
type failingConsent struct{ *zapcore.MapObjectEncoder }

var errConsent = errors.New("consent failed")

func (f failingConsent) AddObject(key string, m zapcore.ObjectMarshaler) error {
	if key == "consent" {
		return errConsent
	}
	return f.MapObjectEncoder.AddObject(key, m)
}

// TestRecordOutlivesAFailedPart: a part of the record that fails to
// encode is reported, and every field after it is still written.
func TestRecordOutlivesAFailedPart(t *testing.T) {
	h := benchHandler(t, nil)
	be := &h.policies.engine("").ch[chBody]
	d := &disclosure{requestID: "r1", partner: "fraud", policy: h.hash, outcome: "forwarded", bytesIn: 3, bytesOut: 2}
	d.fields[chBody] = fieldCounts{be, be.engine.NewTally()}
	d.fields[chBody].tally[0] = 1
	enc := failingConsent{zapcore.NewMapObjectEncoder()}
	if err := (*recordFields)(d).MarshalLogObject(enc); !errors.Is(err, errConsent) {
		t.Fatalf("error = %v, want %v", err, errConsent)
	}
	for key, want := range map[string]any{"mode": "enforce", "request_id": "r1", "outcome": "forwarded", "bytes_in": 3, "bytes_out": 2} {
		if got := enc.Fields[key]; got != want {
			t.Errorf("%s = %v (%T), want %v", key, got, got, want)
		}
	}
	fields, ok := enc.Fields["fields"].([]any)
	if !ok || len(fields) != 1 || fields[0].(map[string]any)["count"] != uint32(1) {
		t.Errorf("fields = %#v, want one entry counted once", enc.Fields["fields"])
	}
}

// TestPolicyHashLeavesKeysOut: the hash every record carries names the
// policy, never a key: other keys leave it as it is, another rule does not.
func TestPolicyHashLeavesKeysOut(t *testing.T) {
	hash := func(key string, old []string, keep string) string {
		h := Handler{Partner: "p", Key: key, OldKeys: old, Rules: []RuleConfig{{Action: "keep", Path: keep}}}
		return h.policyHash()
	}
	a := hash("{env.MINIMIZE_KEY}", nil, "a")
	if b := hash("c2VjcmV0LWtleS1vZi1hdC1sZWFzdC0zMi1ieXRlcw", []string{"b2xkLWtleQ", "{env.OLD}"}, "a"); b != a {
		t.Errorf("other keys changed the policy hash: %s, then %s", a, b)
	}
	if c := hash("{env.MINIMIZE_KEY}", nil, "b"); c == a {
		t.Errorf("another rule left the policy hash at %s", a)
	}
}
