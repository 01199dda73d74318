package console_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestChangeLog: the administrator reads the change log in the console
// (who, what, when), narrowed to a department; a department's token does
// not see the page or its link.
func TestChangeLog(t *testing.T) {
	e := newEnv(t)
	admin := e.user(t)
	admin.login(e.tokens["admin"])
	if p := admin.get("/console/sources"); !strings.Contains(p.body, `id="nav-changes"`) {
		t.Errorf("the administrator's pages have no link to the change log")
	}
	p := admin.get("/console/changes")
	if p.status != http.StatusOK {
		t.Fatalf("the change log: %d\n%s", p.status, p.body)
	}
	for _, says := range []string{"Nhật ký thay đổi", "source.create", "tu-phap/ho-tich", "department.create", "admin"} {
		if !strings.Contains(p.body, says) {
			t.Errorf("the change log does not show %q:\n%s", says, p.body)
		}
	}
	p = admin.get("/console/changes?department=bhxh")
	if p.status != http.StatusOK || strings.Contains(p.body, "tu-phap/ho-tich") || !strings.Contains(p.body, "department.create") {
		t.Errorf("bhxh's changes: %d\n%s", p.status, p.body)
	}
	if p := admin.get("/console/changes?lang=en"); !strings.Contains(p.body, "Change log") {
		t.Errorf("the English change log:\n%s", p.body)
	}

	officer := e.user(t)
	officer.login(e.tokens["tu-phap-can-bo"])
	if p := officer.get("/console/sources"); strings.Contains(p.body, `id="nav-changes"`) {
		t.Errorf("a department's pages link to the change log")
	}
	if p := officer.get("/console/changes"); p.status != http.StatusForbidden || strings.Contains(p.body, "source.create") {
		t.Errorf("a department's token on the change log: %d\n%s", p.status, p.body)
	}
}
