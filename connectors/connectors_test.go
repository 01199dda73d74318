package connectors_test

import (
	"context"
	"strings"
	"testing"

	"github.com/lienthong/lienthong/connectors"
)

func TestRegistry(t *testing.T) {
	connectors.Register("test-kind", func(context.Context, connectors.Config) (connectors.Source, error) { return nil, nil })
	for name, fn := range map[string]func(){
		"duplicate": func() {
			connectors.Register("test-kind", func(context.Context, connectors.Config) (connectors.Source, error) { return nil, nil })
		},
		"nil factory": func() { connectors.Register("other-kind", nil) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("Register did not panic")
				}
			}()
			fn()
		})
	}
	_, err := connectors.Open(context.Background(), connectors.Config{Name: "ho-tich", Kind: "postgresql"})
	if err == nil || !strings.Contains(err.Error(), `unknown connector "postgresql" (is it imported?)`) || !strings.Contains(err.Error(), "test-kind") {
		t.Fatalf("unknown kind: %v", err)
	}
}
