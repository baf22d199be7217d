// Package rules is the minimization engine: the policy model, the path
// language, the compiled matcher, the single-pass JSON rewriter and the value
// transforms. It imports nothing from Caddy so it can be read, fuzzed and
// benchmarked alone.
package rules

import (
	"fmt"
	"strings"
)

// Action is what a rule does to the values it governs. Ties are broken by
// strictness, not by the numeric order (Tokenize and Scan came later).
type Action uint8

const (
	Keep Action = iota
	Generalize
	Mask
	Pseudonymize
	Redact
	Drop
	// Tokenize replaces a value with a reversible token: as strict as
	// Pseudonymize (see strictness), listed last to keep the values above.
	Tokenize
	// Scan keeps free text but replaces the personal data detectors find in
	// it, span by span; between keep and generalize in strictness.
	Scan
)

var actionNames = [...]string{
	Keep:         "keep",
	Generalize:   "generalize",
	Mask:         "mask",
	Pseudonymize: "pseudonymize",
	Redact:       "redact",
	Drop:         "drop",
	Tokenize:     "tokenize",
	Scan:         "scan",
}

func (a Action) String() string {
	if int(a) < len(actionNames) {
		return actionNames[a]
	}
	return fmt.Sprintf("action(%d)", a)
}

// ParseAction returns the action named s.
func ParseAction(s string) (Action, error) {
	for a, name := range actionNames {
		if name == s {
			return Action(a), nil
		}
	}
	return 0, fmt.Errorf("unknown action %q (want one of %s)", s, strings.Join(actionNames[:], ", "))
}

// Keyed reports whether the action needs the gateway's master key.
func (a Action) Keyed() bool { return a == Pseudonymize || a == Tokenize }

// strictness orders actions for ties: drop > redact > tokenize =
// pseudonymize > mask > generalize > scan > keep.
func (a Action) strictness() int { return strictnessOf[a] }

var strictnessOf = [...]int{Keep: 0, Scan: 1, Generalize: 2, Mask: 3, Pseudonymize: 4, Tokenize: 4, Redact: 5, Drop: 6}

// Rule is one line of a sharing policy: an action applied to the values at
// the paths its pattern matches.
type Rule struct {
	Path   string   `json:"path"`
	Action Action   `json:"-"`
	Args   []string `json:"args,omitempty"`
	// Floor makes the rule outrank every rule that is not a floor, however
	// specific: what no keep and no consent may release. Floors are drops.
	Floor bool `json:"floor,omitempty"`
}

// Policy is what one partner may receive.
type Policy struct {
	// Partner names the recipient; it separates pseudonym keys between partners.
	Partner string
	// KeepUnnamed keeps the values no rule matches; by default they are
	// dropped, so the zero Policy shares nothing.
	KeepUnnamed bool
	Rules       []Rule
	// MaxDepth bounds the nesting of accepted documents; 0 means DefaultMaxDepth.
	MaxDepth int
	// Key is the decoded master key; required when any rule is keyed.
	Key []byte
	// OldKeys are earlier master keys: tokens made under them still
	// detokenize, nothing new is made with them.
	OldKeys [][]byte
	// Taxonomy resolves the categories rules name (`@contact`); nil means
	// the built-in one.
	Taxonomy *Taxonomy
}

// DefaultMaxDepth is the nesting limit used when a policy sets none.
const DefaultMaxDepth = 64

// MinKeyLen is the shortest master key accepted, in bytes.
const MinKeyLen = 32
