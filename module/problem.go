package module

import (
	"encoding/json"
	"net/http"

	"go.uber.org/zap"

	"github.com/caddy-minimize/caddy-minimize/rules"
)

// problem is an RFC 9457 problem type this handler answers with.
type problem struct {
	slug   string
	title  string
	status int
}

var (
	problemTooLarge            = problem{"body-too-large", "Request body too large", http.StatusRequestEntityTooLarge}
	problemUnsupportedType     = problem{"unsupported-media-type", "Unsupported media type", http.StatusUnsupportedMediaType}
	problemUnsupportedEncoding = problem{"unsupported-content-encoding", "Unsupported content encoding", http.StatusUnsupportedMediaType}
	problemUnreadable          = problem{"unreadable-body", "Request body unreadable", http.StatusBadRequest}
	problemBadEncoding         = problem{"bad-content-coding", "Request body cannot be decoded", http.StatusBadRequest}
	problemMalformedForm       = problem{"malformed-form", "Form body rejected", http.StatusBadRequest}
	problemMalformedQuery      = problem{"malformed-query", "Query string rejected", http.StatusBadRequest}
	problemMalformedHeader     = problem{"malformed-header", "Request headers rejected", http.StatusBadRequest}
	problemInternal            = problem{"minimization-failed", "Minimization failed", http.StatusInternalServerError}
	problemBadResponse         = problem{"unminimizable-response", "Upstream response withheld", http.StatusBadGateway}
	problemPurpose             = problem{"purpose-required", "Purpose missing or not allowed", http.StatusForbidden}
	problemConsent             = problem{"consent-required", "Consent required", http.StatusForbidden}
)

// problemForInput maps an engine rejection to its problem type.
func problemForInput(e *rules.InputError) problem {
	return problem{e.Kind, "Request body rejected", http.StatusBadRequest}
}

// problemBody is the problem+json document; detail never holds a body value.
type problemBody struct {
	Type    string `json:"type"`
	Title   string `json:"title"`
	Status  int    `json:"status"`
	Detail  string `json:"detail"`
	Partner string `json:"partner"`
}

// reject writes a problem response.
func (h *Handler) reject(w http.ResponseWriter, p problem, detail string) error {
	h.logger.Info("request rejected",
		zap.String("partner", h.Partner),
		zap.Int("status", p.status),
		zap.String("problem", p.slug),
		zap.String("detail", detail))
	b, err := json.Marshal(problemBody{
		Type:    "urn:caddy-minimize:problem:" + p.slug,
		Title:   p.title,
		Status:  p.status,
		Detail:  detail,
		Partner: h.Partner,
	})
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(p.status)
	_, err = w.Write(b)
	return err
}
