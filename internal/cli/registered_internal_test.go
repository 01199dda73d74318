package cli

import (
	"testing"

	"github.com/lienthong/lienthong/config"
	"github.com/lienthong/lienthong/registry"
)

// TestRegistered: the network guard applies to what departments register
// (or are registering), not to what an operator's file declares, this
// file or another one applied to the same registry.
func TestRegistered(t *testing.T) {
	a := &app{fileSources: map[string]bool{"tu-phap/ho-tich": true}}
	for _, c := range []struct {
		name string
		dept string
		src  config.Source
		want bool
	}{
		{"declared by this file", "tu-phap", config.Source{Name: "ho-tich"}, false},
		{"declared by this file, read back from the registry", "tu-phap", config.Source{Name: "ho-tich", Origin: registry.OriginFile}, false},
		{"declared by another file applied to the registry", "bhxh", config.Source{Name: "the-bhyt", Origin: registry.OriginFile}, false},
		{"registered through the API", "bhxh", config.Source{Name: "the-bhyt", Origin: registry.OriginAPI}, true},
		{"registered through the API, same name as a file's", "tu-phap", config.Source{Name: "ho-tich", Origin: registry.OriginAPI}, true},
		{"a registration not saved yet", "bhxh", config.Source{Name: "moi"}, true},
		{"a sealed secret", "bhxh", config.Source{Name: "x", Sealed: true, Origin: registry.OriginFile}, true},
	} {
		if got := a.registered(c.dept, &c.src); got != c.want {
			t.Errorf("%s: registered = %v, want %v", c.name, got, c.want)
		}
	}
}
