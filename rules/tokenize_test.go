package rules

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
)

func tokenEngine(t *testing.T, partner string, key []byte, old ...[]byte) *Engine {
	t.Helper()
	e, err := Compile(Policy{Partner: partner, Key: key, OldKeys: old, Rules: []Rule{
		rule(Tokenize, "customer.id"), rule(Tokenize, "customer.email"), rule(Keep, "order"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestTokenizeRoundTrip(t *testing.T) {
	k1, k2 := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)
	e := tokenEngine(t, "crm", k1)
	in := `{"customer":{"id":4711,"email":"zoë@example.com","name":"x"},"order":"o-1"}`
	out, err := e.Rewrite(nil, []byte(in), nil)
	if err != nil {
		t.Fatal(err)
	}
	tok := regexp.MustCompile(`^\{"customer":\{"id":"(tk_` + KeyID(k1) + `_[A-Za-z0-9_-]+)","email":"(tk_[A-Za-z0-9_-]+)"\},"order":"o-1"\}$`)
	m := tok.FindStringSubmatch(string(out))
	if m == nil {
		t.Fatalf("tokenized: %s", out)
	}
	again, _ := e.Rewrite(nil, []byte(in), nil)
	if !bytes.Equal(out, again) {
		t.Errorf("not deterministic: %s vs %s", out, again)
	}
	// The partner echoes the tokens, moved and with a forged one beside them.
	resp := `{"ref":"` + m[1] + `","contact":{"e":"` + m[2] + `"},"forged":"tk_` + KeyID(k1) + `_AAAAAAAAAAAAAAAAAAAAAAAAAAAA","n":1}`
	back, restored, failed, err := e.Detokenize(nil, []byte(resp))
	if err != nil || restored != 2 || failed != 1 {
		t.Fatalf("detokenize: %v, %d restored, %d failed", err, restored, failed)
	}
	want := `{"ref":4711,"contact":{"e":"zoë@example.com"},"forged":"tk_` + KeyID(k1) + `_AAAAAAAAAAAAAAAAAAAAAAAAAAAA","n":1}`
	if string(back) != want {
		t.Errorf("detokenized %s\nwant        %s", back, want)
	}
	// Another partner's engine, same key: nothing decodes.
	if _, restored, failed, _ := tokenEngine(t, "other", k1).Detokenize(nil, []byte(resp)); restored != 0 || failed != 3 {
		t.Errorf("other partner: %d restored, %d failed", restored, failed)
	}
	// Rotation: the new key tokenizes, the old key still detokenizes.
	rotated := tokenEngine(t, "crm", k2, k1)
	if back, restored, _, _ := rotated.Detokenize(nil, []byte(resp)); restored != 2 || string(back) != want {
		t.Errorf("after rotation: %d restored: %s", restored, back)
	}
	fresh, _ := rotated.Rewrite(nil, []byte(in), nil)
	if !strings.Contains(string(fresh), `"tk_`+KeyID(k2)+`_`) {
		t.Errorf("rotated engine tokenizes with %s", fresh)
	}
	// Without the old key, old tokens stay as they are.
	if _, restored, failed, _ := tokenEngine(t, "crm", k2).Detokenize(nil, []byte(resp)); restored != 0 || failed != 3 {
		t.Errorf("old tokens without the old key: %d restored, %d failed", restored, failed)
	}
	if _, err := Compile(Policy{Key: k1, OldKeys: [][]byte{k1}}); err == nil || !strings.Contains(err.Error(), "share the id") {
		t.Errorf("duplicate key: %v", err)
	}
	if _, _, _, err := e.Detokenize(nil, []byte(`{"a":`)); !IsInputError(err) {
		t.Errorf("malformed response: %v", err)
	}
}
