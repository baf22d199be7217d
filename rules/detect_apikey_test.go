package rules

import (
	"strings"
	"testing"
)

func TestDetectAPIKeys(t *testing.T) {
	alnum36 := "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
	checkValues(t, detAWSKey, "", []string{"AKIAIOSFODNN7EXAMPLE", "ASIAY34FZKBOKMUTVV7A"}, []string{
		"AKIAIOSFODNN7EXAMPL", "AKIAIOSFODNN7EXAMPLE1", "AKIAiosfodnn7example", "XAKIAIOSFODNN7EXAMPLE", "AKIDIOSFODNN7EXAMPLE",
	})
	checkValues(t, detGitHubToken, "", []string{
		"ghp_" + alnum36, "gho_" + alnum36, "ghs_" + alnum36, "ghu_" + alnum36, "ghr_" + alnum36,
		"github_pat_" + alnum36[:22] + "_" + strings.Repeat("aB3", 19) + "xy",
	}, []string{
		"ghx_" + alnum36, "ghp_" + alnum36[:35], "ghp_" + alnum36 + "9", "ghp-" + alnum36, "xghp_" + alnum36,
		"github_pat_" + alnum36[:22] + "_" + strings.Repeat("aB3", 19),
	})
	checkValues(t, detSlackToken, "", []string{
		"xoxb-1234567890-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
		"xoxp-1234567890-1234567890-1234567890123-0123456789abcdef0123456789abcdef",
		"xoxa-2-1234567890-AbCdEfGhIjKlMnOpQrStUvWxYz",
	}, []string{
		"xoxb-", "xoxb-123-short", "xoxq-1234567890-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
		"xoxb-abc-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx", "xoxb-AbCdEfGhIjKlMnOpQrStUvWxYz",
	})
	checkValues(t, detStripeKey, "", []string{
		"sk_live_4eC39HqLyjWDarjtT1zdp7dc", "rk_live_" + alnum36, "pk_live_" + alnum36[:24],
	}, []string{"sk_test_4eC39HqLyjWDarjtT1zdp7dc", "sk_live_short", "xsk_live_4eC39HqLyjWDarjtT1zdp7dc"})
	checkValues(t, detGoogleKey, "", []string{"AIzaSyDaGmWKa4JsXZ-HjGw7ISLn_3namBGewQe"}, []string{
		"AIzaSyDaGmWKa4JsXZ-HjGw7ISLn_3namBGewQ", "AIzaSyDaGmWKa4JsXZ-HjGw7ISLn_3namBGewQeX", "aizaSyDaGmWKa4JsXZ-HjGw7ISLn_3namBGewQe",
	})
	pem := "-----BEGIN RSA PRIVATE KEY-----\nMIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu\nKUpRKfFLfRYC9AIKjbJTWit+CqvjWYzvQwECAwEAAQ==\n-----END RSA PRIVATE KEY-----"
	checkValues(t, detPrivateKey, "", []string{
		pem, "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC",
		// The shortest: a header alone, or with a truncated body.
		"-----BEGIN PRIVATE KEY-----", "-----BEGIN RSA PRIVATE KEY-----\nMIIB",
	}, []string{
		"-----BEGIN PUBLIC KEY-----\nMFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf\n-----END PUBLIC KEY-----",
		"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
	})
}
