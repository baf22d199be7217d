package rules

import (
	"fmt"
	"iter"
	"math/bits"
	"slices"
)

// Detector is one way of recognizing personal data by its value. Detectors
// validate what they find (checksums, number plans, calendar dates), because
// a match that is merely shaped right would flag order numbers and prices.
type Detector uint8

// The detectors, most specific first: when two find the same span, the
// earlier one names it.
const (
	detPrivateKey Detector = iota
	detJWT
	detBearer
	detAWSKey
	detGitHubToken
	detSlackToken
	detStripeKey
	detGoogleKey
	detIBAN
	detCard
	detSSN
	detEmail
	detIPv6
	detMAC
	detIPv4
	detPhone
	detBirthDate
	numDetectors
)

var detectorNames = [numDetectors]string{
	detPrivateKey:  "private_key",
	detJWT:         "jwt",
	detBearer:      "bearer",
	detAWSKey:      "aws_access_key",
	detGitHubToken: "github_token",
	detSlackToken:  "slack_token",
	detStripeKey:   "stripe_key",
	detGoogleKey:   "google_api_key",
	detIBAN:        "iban",
	detCard:        "card",
	detSSN:         "ssn",
	detEmail:       "email",
	detIPv6:        "ipv6",
	detMAC:         "mac",
	detIPv4:        "ipv4",
	detPhone:       "phone",
	detBirthDate:   "birthdate",
}

func (d Detector) String() string {
	if d < numDetectors {
		return detectorNames[d]
	}
	return fmt.Sprintf("detector(%d)", d)
}

// Detectors returns the names of all detectors.
func Detectors() []string { return slices.Clone(detectorNames[:]) }

func lookupDetector(name string) (Detector, bool) {
	for d, n := range detectorNames {
		if n == name {
			return Detector(d), true
		}
	}
	return 0, false
}

// detectorByName is lookupDetector for the built-in tables.
func detectorByName(name string) Detector {
	d, ok := lookupDetector(name)
	if !ok {
		panic("rules: unknown detector " + name)
	}
	return d
}

// detectorSet is a set of detectors.
type detectorSet uint32

func (s detectorSet) has(d Detector) bool { return s&(1<<d) != 0 }

func (s detectorSet) all() iter.Seq[Detector] {
	return func(yield func(Detector) bool) {
		for s != 0 {
			d := Detector(bits.TrailingZeros32(uint32(s)))
			if !yield(d) {
				return
			}
			s &^= 1 << d
		}
	}
}

// contextGated detectors fire only where a field name or a label in the
// text says what follows: a date is a birth date only after "dob", nine
// digits are an SSN only in an "ssn" field. (Dashed SSNs need no context.)
const contextGated detectorSet = 1<<detBirthDate | 1<<detSSN

// Which pass of the scanner finds which detectors.
const (
	numericDetectors detectorSet = 1<<detIBAN | 1<<detCard | 1<<detSSN | 1<<detIPv4 | 1<<detPhone | 1<<detBirthDate
	colonDetectors   detectorSet = 1<<detIPv6 | 1<<detMAC
	tokenDetectors   detectorSet = 1<<detPrivateKey | 1<<detJWT | 1<<detBearer | 1<<detAWSKey |
		1<<detGitHubToken | 1<<detSlackToken | 1<<detStripeKey | 1<<detGoogleKey
)

// Byte classes shared by the detectors.
const (
	clDigit uint8 = 1 << iota
	clUpper
	clLower
	clHex
	clB64URL     // base64url alphabet: letters, digits, - and _
	clEmailLocal // the practical subset of an address's local part
	clWord       // letters, digits and _: what may not touch a match
)

var byteClass = func() (t [256]uint8) {
	for c := 0; c < 256; c++ {
		b := byte(c)
		switch {
		case '0' <= b && b <= '9':
			t[c] = clDigit | clHex | clB64URL | clEmailLocal | clWord
		case 'A' <= b && b <= 'Z':
			t[c] = clUpper | clB64URL | clEmailLocal | clWord
			if b <= 'F' {
				t[c] |= clHex
			}
		case 'a' <= b && b <= 'z':
			t[c] = clLower | clB64URL | clEmailLocal | clWord
			if b <= 'f' {
				t[c] |= clHex
			}
		case b == '_':
			t[c] = clB64URL | clEmailLocal | clWord
		case b == '-':
			t[c] = clB64URL | clEmailLocal
		case b == '.' || b == '+' || b == '%':
			t[c] = clEmailLocal
		}
	}
	return t
}()

func classAt(s string, i int, cl uint8) bool {
	return i >= 0 && i < len(s) && byteClass[s[i]]&cl != 0
}

// runOf returns the end of the run of bytes of class cl starting at i.
func runOf(s string, i int, cl uint8) int {
	for i < len(s) && byteClass[s[i]]&cl != 0 {
		i++
	}
	return i
}
