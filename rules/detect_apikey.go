package rules

import "strings"

// API keys whose providers give them a fixed prefix and shape, so that a
// match is a key and not a word: AWS access key ids (AKIA/ASIA + 16), GitHub
// tokens (ghp_ gho_ ghs_ ghu_ ghr_ + 36, github_pat_ + 22_59), Slack tokens
// (xoxb- and kin: numeric ids, then a long secret), Stripe live keys
// (sk_live_, rk_live_, pk_live_ + 24 or more), Google API keys (AIza + 35),
// and PEM private keys. Generic "key=..." secrets are left out: without a
// provider's shape, precision would rest on entropy guesses.
//
// GitHub's classic tokens end in a CRC32 checksum, but its exact input is
// not documented; a wrong guess would miss every real token, so it is not
// checked.

func (r *spanFinder) apiKeys() {
	t := r.text
	if r.on(detAWSKey) || r.on(detGoogleKey) {
		// AKIA, ASIA and AIza share their capital A.
		for i := indexFrom(t, "A", 0); i >= 0; i = indexFrom(t, "A", i+1) {
			if classAt(t, i-1, clWord) || i+4 > len(t) {
				continue
			}
			end, d := -1, detAWSKey
			switch p := t[i : i+4]; {
			case (p == "AKIA" || p == "ASIA") && r.on(detAWSKey):
				end = exactRun(t, i+4, 16, clUpper|clDigit, clWord)
			case p == "AIza" && r.on(detGoogleKey):
				end, d = exactRun(t, i+4, 35, clB64URL, clB64URL), detGoogleKey
			}
			if end > 0 {
				r.add(i, end, d)
				i = end - 1
			}
		}
	}
	if r.on(detGitHubToken) || r.on(detStripeKey) {
		// gh?_, github_pat_ and ?k_live_ all hold an underscore, rare in prose.
		for u := indexFrom(t, "_", 0); u >= 0; u = indexFrom(t, "_", u+1) {
			i, end, d := underscoreKey(t, u)
			if end > 0 && r.on(d) {
				r.add(i, end, d)
				u = end - 1
			}
		}
	}
	if r.on(detSlackToken) {
		for i := indexFrom(t, "xox", 0); i >= 0; i = indexFrom(t, "xox", i+1) {
			if classAt(t, i-1, clWord) || i+5 > len(t) || strings.IndexByte("abposr", t[i+3]) < 0 || t[i+4] != '-' {
				continue
			}
			if end := slackSegments(t, i+5); end > 0 {
				r.add(i, end, detSlackToken)
				i = end - 1
			}
		}
	}
	if r.on(detPrivateKey) {
		for i := indexFrom(t, "-----BEGIN ", 0); i >= 0; i = indexFrom(t, "-----BEGIN ", i+1) {
			if end := pemPrivateKey(t, i+len("-----BEGIN ")); end > 0 {
				r.add(i, end, detPrivateKey)
				i = end - 1
			}
		}
	}
}

// underscoreKey checks the tokens whose first underscore is at u: GitHub's
// gh?_ and github_pat_, and Stripe's ?k_live_. It returns the token's span
// and detector, or end -1.
func underscoreKey(t string, u int) (start, end int, d Detector) {
	const word = clUpper | clLower | clDigit
	switch {
	case u >= 3 && t[u-3:u-1] == "gh" && strings.IndexByte("pousr", t[u-1]) >= 0 && !classAt(t, u-4, clWord):
		return u - 3, exactRun(t, u+1, 36, word, clWord), detGitHubToken
	case u >= 6 && t[u-6:u] == "github" && strings.HasPrefix(t[u:], "_pat_") && !classAt(t, u-7, clWord):
		i := u + len("_pat_")
		if e := exactRun(t, i, 22, word, 0); e < 0 || e >= len(t) || t[e] != '_' {
			return 0, -1, 0
		}
		return u - 6, exactRun(t, i+23, 59, word, clWord), detGitHubToken
	case u >= 2 && (t[u-2] == 's' || t[u-2] == 'r' || t[u-2] == 'p') && t[u-1] == 'k' &&
		strings.HasPrefix(t[u:], "_live_") && !classAt(t, u-3, clWord):
		i := u + len("_live_")
		e := runOf(t, i, word)
		if e-i < 24 || classAt(t, e, clWord) {
			return 0, -1, 0
		}
		return u - 2, e, detStripeKey
	}
	return 0, -1, 0
}

// exactRun returns i+n if t[i:i+n] is all of class cl and the byte after it
// is not of class stop; otherwise -1.
func exactRun(t string, i, n int, cl, stop uint8) int {
	if i+n > len(t) || runOf(t[:i+n], i, cl) != i+n || stop != 0 && classAt(t, i+n, stop) {
		return -1
	}
	return i + n
}

// slackSegments reads the dash-separated rest of a Slack token: numeric
// ids, then a secret of at least 24 letters and digits.
func slackSegments(t string, i int) int {
	segs := 0
	for {
		e := runOf(t, i, clUpper|clLower|clDigit)
		if e == i {
			return -1
		}
		segs++
		if e < len(t) && t[e] == '-' && runOf(t, i, clDigit) == e {
			i = e + 1
			continue
		}
		if segs < 3 || e-i < 24 || classAt(t, e, clWord) {
			return -1
		}
		return e
	}
}

// pemPrivateKey returns the end of a PEM private key whose "-----BEGIN " ends
// at i: through its END line, or, if that is missing, through the base64
// body (a truncated key is still a key).
func pemPrivateKey(t string, i int) int {
	e := indexFrom(t, "-----", i)
	if e < 0 || e-i > 40 || !strings.HasSuffix(t[i:e], "PRIVATE KEY") {
		return -1
	}
	body := e + len("-----")
	if end := indexFrom(t, "-----END ", body); end >= 0 {
		if close := indexFrom(t, "-----", end+len("-----END ")); close >= 0 && close-end < 60 {
			return close + len("-----")
		}
	}
	j := body
	for j < len(t) && (classAt(t, j, clUpper|clLower|clDigit) || strings.IndexByte("+/=\r\n ", t[j]) >= 0) {
		j++
	}
	return j
}
