package console

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/lienthong/lienthong/clients"
	"github.com/lienthong/lienthong/internal/ops"
)

// Cookies of the console, all with Path=/console.
const (
	sessionCookie = "lt_session"
	// loginCookie carries the login form's CSRF token (double submit):
	// there is no session yet to derive one from.
	loginCookie = "lt_login"
	langCookie  = "lt_lang"
)

// sess is a logged-in request: who, in which language, and the CSRF
// token its forms carry. The token stays unexported and is never given to
// a template.
type sess struct {
	Caller ops.Caller
	Lang   string
	CSRF   string
	token  string
}

// Dept is the caller's department, empty for the administrator.
func (s *sess) Dept() string {
	if s.Caller.Admin {
		return ""
	}
	return s.Caller.Client.Department
}

// authenticate finds the session's caller: the administrator's token
// (compared in constant time with its hash) or a department's live token.
func (c *console) authenticate(r *http.Request) (ops.Caller, error) {
	ck, err := r.Cookie(sessionCookie)
	if err != nil || ck.Value == "" {
		return ops.Caller{}, clients.ErrUnknownToken
	}
	return c.caller(r, ck.Value)
}

func (c *console) caller(r *http.Request, token string) (ops.Caller, error) {
	if c.AdminTokenHash != nil && clients.Equal(token, *c.AdminTokenHash) {
		return ops.Caller{Admin: true}, nil
	}
	if c.Clients == nil {
		return ops.Caller{}, clients.ErrUnknownToken
	}
	cl, err := c.Clients.Authenticate(r.Context(), token)
	if err != nil {
		return ops.Caller{}, err
	}
	if cl.Department == "" {
		return ops.Caller{}, errNoDepartment
	}
	return ops.Caller{Client: cl}, nil
}

// csrfFor derives a session's CSRF token: an HMAC keyed with the hash of
// the session's token, so it needs no server-side state (any replica
// checks it) and a page of another site cannot compute it.
func csrfFor(token string) string {
	key := sha256.Sum256([]byte(token))
	m := hmac.New(sha256.New, key[:])
	m.Write([]byte("lienthong console csrf v1"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// loginReason names why a session ended, for the login page's message.
func loginReason(err error) string {
	switch {
	case errors.Is(err, clients.ErrExpired):
		return "expired"
	case errors.Is(err, clients.ErrRevoked):
		return "revoked"
	case errors.Is(err, errNoDepartment):
		return "nodept"
	case errors.Is(err, clients.ErrUnknownToken):
		return "unknown"
	}
	return ""
}

// session lets a request through with a live session, sending anyone else
// to the login page with the reason; a POST must carry the session's CSRF
// token.
func (c *console) session(h func(http.ResponseWriter, *http.Request, *sess)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		lang := c.lang(w, r)
		ck, err := r.Cookie(sessionCookie)
		if err != nil || ck.Value == "" {
			http.Redirect(w, r, Prefix+"/login", http.StatusSeeOther)
			return
		}
		caller, err := c.caller(r, ck.Value)
		if err != nil {
			reason := loginReason(err)
			if reason == "" {
				c.Log.Error("console: authenticate", "err", err)
				c.render(w, r, http.StatusServiceUnavailable, "error", &sess{Lang: lang}, errorData{Message: "err.unavailable"})
				return
			}
			clearCookie(w, r, sessionCookie)
			if reason == "unknown" {
				reason = "ended"
			}
			http.Redirect(w, r, Prefix+"/login?m="+reason, http.StatusSeeOther)
			return
		}
		s := &sess{Caller: caller, Lang: lang, CSRF: csrfFor(ck.Value), token: ck.Value}
		if r.Method == http.MethodPost {
			if err := r.ParseForm(); err != nil {
				c.render(w, r, http.StatusRequestEntityTooLarge, "error", s, errorData{Message: "err.toolarge"})
				return
			}
			if !hmac.Equal([]byte(r.PostForm.Get("csrf")), []byte(s.CSRF)) {
				c.render(w, r, http.StatusForbidden, "error", s, errorData{Message: "err.csrf"})
				return
			}
		}
		h(w, r, s)
	})
}

// lang is the page's language: ?lang= (remembered in a cookie), else the
// cookie, else Vietnamese.
func (c *console) lang(w http.ResponseWriter, r *http.Request) string {
	if l := r.URL.Query().Get("lang"); l == "vi" || l == "en" {
		setCookie(w, r, langCookie, l, 365*24*3600)
		return l
	}
	if ck, err := r.Cookie(langCookie); err == nil && (ck.Value == "vi" || ck.Value == "en") {
		return ck.Value
	}
	return "vi"
}

func secure(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

// setCookie sets one of the console's cookies; maxAge 0 makes a session
// cookie.
func setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: Prefix, MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: secure(r)})
}

func clearCookie(w http.ResponseWriter, r *http.Request, name string) {
	setCookie(w, r, name, "", -1)
}

type loginData struct {
	// Message is the key of why the officer is here again.
	Message string
	// Error is the key of why the login failed.
	Error string
	// Nonce is the login form's CSRF token.
	Nonce string
}

// loginPage shows the login form, with the reason a session ended.
func (c *console) loginPage(w http.ResponseWriter, r *http.Request) {
	lang := c.lang(w, r)
	d := loginData{Nonce: c.loginNonce(w, r)}
	switch m := r.URL.Query().Get("m"); m {
	case "expired", "revoked", "ended", "nodept", "loggedout":
		d.Message = "login.m." + m
	}
	c.render(w, r, http.StatusOK, "login", &sess{Lang: lang}, d)
}

// loginNonce sets a fresh login CSRF cookie and returns its value.
func (c *console) loginNonce(w http.ResponseWriter, r *http.Request) string {
	b := make([]byte, 18)
	rand.Read(b)
	n := base64.RawURLEncoding.EncodeToString(b)
	setCookie(w, r, loginCookie, n, 3600)
	return n
}

// login checks a pasted token and opens the session.
func (c *console) login(w http.ResponseWriter, r *http.Request) {
	lang := c.lang(w, r)
	s := &sess{Lang: lang}
	if err := r.ParseForm(); err != nil {
		c.render(w, r, http.StatusRequestEntityTooLarge, "error", s, errorData{Message: "err.toolarge"})
		return
	}
	ck, err := r.Cookie(loginCookie)
	if err != nil || ck.Value == "" || subtle.ConstantTimeCompare([]byte(ck.Value), []byte(r.PostForm.Get("nonce"))) != 1 {
		c.render(w, r, http.StatusForbidden, "login", s, loginData{Error: "err.csrf", Nonce: c.loginNonce(w, r)})
		return
	}
	token := strings.TrimSpace(r.PostForm.Get("token"))
	if token == "" {
		c.render(w, r, http.StatusUnauthorized, "login", s, loginData{Error: "login.e.empty", Nonce: c.loginNonce(w, r)})
		return
	}
	if _, err := c.caller(r, token); err != nil {
		reason := loginReason(err)
		if reason == "" {
			c.Log.Error("console: log in", "err", err)
			c.render(w, r, http.StatusServiceUnavailable, "error", s, errorData{Message: "err.unavailable"})
			return
		}
		c.render(w, r, http.StatusUnauthorized, "login", s, loginData{Error: "login.e." + reason, Nonce: c.loginNonce(w, r)})
		return
	}
	clearCookie(w, r, loginCookie)
	setCookie(w, r, sessionCookie, token, 0)
	http.Redirect(w, r, Prefix+"/sources", http.StatusSeeOther)
}

// logout ends the session.
func (c *console) logout(w http.ResponseWriter, r *http.Request, s *sess) {
	clearCookie(w, r, sessionCookie)
	http.Redirect(w, r, Prefix+"/login?m=loggedout", http.StatusSeeOther)
}

// here is the request's path and query without lang, for the language
// switch.
func here(r *http.Request) string {
	q := r.URL.Query()
	q.Del("lang")
	q.Del("done")
	q.Del("arg")
	u := url.URL{Path: r.URL.Path, RawQuery: q.Encode()}
	return u.String()
}
