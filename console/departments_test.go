package console_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

var shownToken = regexp.MustCompile(`<code id="token">(lt_[^<]+)</code>`)

// TestDepartmentsAndTokens: the administrator adds a department in the
// console, issues it a token (shown once, on the answer only), which
// logs in; the list shows the token without its value; revoked, it no
// longer logs in. A department's token does not see the page, and a
// token without scopes is refused with the reason.
func TestDepartmentsAndTokens(t *testing.T) {
	e := newEnv(t)
	admin := e.user(t)
	admin.login(e.tokens["admin"])
	csrf := admin.csrf("/console/departments")

	p := admin.post("/console/departments", url.Values{"csrf": {csrf}, "name": {"so-yte"}, "title": {"Sở Y tế tỉnh Hà Tĩnh"}})
	if p.status != http.StatusSeeOther || !strings.HasPrefix(p.location, "/console/departments?done=deptcreated") {
		t.Fatalf("add a department: %d → %q\n%s", p.status, p.location, p.body)
	}
	if p := admin.get(p.location); !strings.Contains(p.body, "Đã thêm đơn vị so-yte.") || !strings.Contains(p.body, `id="dept-so-yte"`) {
		t.Errorf("the departments page after adding one:\n%s", p.body)
	}

	p = admin.post("/console/departments/so-yte/tokens", url.Values{"csrf": {csrf}, "name": {"yte-can-bo"},
		"scopes": {"sources:read", "runs:read"}, "expires": {"2099-12-31"}})
	m := shownToken.FindStringSubmatch(p.body)
	if p.status != http.StatusCreated || m == nil || !strings.Contains(p.body, "chỉ hiện một lần") {
		t.Fatalf("issue a token: %d\n%s", p.status, p.body)
	}
	token := m[1]
	list := admin.get("/console/departments")
	if strings.Contains(list.body, token) || !strings.Contains(list.body, `id="token-yte-can-bo"`) || !strings.Contains(list.body, "đang dùng") {
		t.Errorf("the list shows the token's value, or not the token:\n%s", list.body)
	}
	officer := e.user(t)
	if p := officer.login(token); p.status != http.StatusSeeOther || p.location != "/console/sources" {
		t.Fatalf("the issued token does not log in: %d %s", p.status, p.body)
	}
	if p := officer.get("/console/departments"); p.status != http.StatusForbidden {
		t.Errorf("a department's token on the departments page: %d", p.status)
	}

	p = admin.post("/console/departments/so-yte/tokens/yte-can-bo/revoke", url.Values{"csrf": {csrf}})
	if p.status != http.StatusSeeOther || !strings.Contains(p.location, "done=revoked") {
		t.Fatalf("revoke: %d → %q", p.status, p.location)
	}
	if p := officer.get("/console/sources"); p.status != http.StatusSeeOther {
		t.Errorf("the revoked token's session still works: %d", p.status)
	}
	if p := e.user(t).login(token); p.status != http.StatusUnauthorized || !strings.Contains(p.body, "thu hồi") {
		t.Errorf("the revoked token logs in: %d", p.status)
	}

	p = admin.post("/console/departments/so-yte/tokens", url.Values{"csrf": {csrf}, "name": {"khong-quyen"}})
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, "scopes") || shownToken.MatchString(p.body) {
		t.Errorf("a token without scopes: %d\n%s", p.status, p.body)
	}
	if changes := admin.get("/console/changes?department=so-yte"); !strings.Contains(changes.body, "token.issue") || !strings.Contains(changes.body, "token.revoke") {
		t.Errorf("the change log lacks the token's issue and revocation:\n%s", changes.body)
	}
	if strings.Contains(e.logs.String(), token) {
		t.Error("the log holds the issued token")
	}
}
