package cli

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"

	"github.com/lienthong/lienthong/config"
	"github.com/lienthong/lienthong/registry"
)

// applyDryRun says what applying depts would change, comparing them with
// the registry and writing nothing: the same verdicts as Apply (created,
// updated, unchanged, removed, taken over), object by object.
func applyDryRun(ctx context.Context, reg *registry.Store, depts []config.Department, read func(string) ([]byte, error)) (registry.ApplyReport, error) {
	var rep registry.ApplyReport
	verdict := func(path string, err error, origin string, same bool) error {
		switch {
		case errors.Is(err, registry.ErrNotFound):
			rep.Created = append(rep.Created, path)
		case err != nil:
			return err
		case origin != registry.OriginFile:
			rep.TakenOver = append(rep.TakenOver, path)
		case same:
			rep.Unchanged = append(rep.Unchanged, path)
		default:
			rep.Updated = append(rep.Updated, path)
		}
		return nil
	}
	for _, d := range depts {
		old, err := reg.Department(ctx, d.Name)
		if err := verdict(d.Name, err, old.Origin, old.Title == d.Title); err != nil {
			return rep, err
		}
		declared := map[string]bool{}
		for _, src := range d.Sources {
			declared[src.Name] = true
			path := d.Name + "/" + src.Name
			old, err := reg.Source(ctx, d.Name, src.Name)
			if err := verdict(path, err, old.Origin, err == nil && sameSource(old.Spec, src)); err != nil {
				return rep, err
			}
			streamsDeclared := map[string]bool{}
			for _, st := range src.Streams {
				streamsDeclared[st.Name] = true
				same, err := sameStream(ctx, reg, d.Name, src.Name, st, read)
				old, serr := reg.Stream(ctx, d.Name, src.Name, st.Name)
				if serr == nil && err != nil {
					return rep, err
				}
				if err := verdict(path+"/"+st.Name, serr, old.Origin, same); err != nil {
					return rep, err
				}
			}
			if old.Origin == registry.OriginFile {
				streams, err := reg.ListStreams(ctx, d.Name, src.Name)
				if err != nil {
					return rep, err
				}
				for _, st := range streams {
					if st.Origin == registry.OriginFile && !streamsDeclared[st.Spec.Name] {
						rep.Removed = append(rep.Removed, path+"/"+st.Spec.Name)
					}
				}
			}
		}
		sources, err := reg.ListSources(ctx, d.Name)
		if err != nil && !errors.Is(err, registry.ErrNotFound) {
			return rep, err
		}
		for _, s := range sources {
			if s.Origin == registry.OriginFile && !declared[s.Spec.Name] {
				rep.Removed = append(rep.Removed, d.Name+"/"+s.Spec.Name)
			}
		}
	}
	return rep, nil
}

// sameSource compares a registered source with a declared one, as Apply
// stores it (no streams, no secret, dsn_file absolute).
func sameSource(registered, declared config.Source) bool {
	norm := func(s config.Source) config.Source {
		s.Streams, s.ResolvedDSN, s.Sealed = nil, "", false
		if s.DSNFile != "" {
			if abs, err := filepath.Abs(s.DSNFile); err == nil {
				s.DSNFile = abs
			}
		}
		if len(s.Options) == 0 {
			s.Options = nil
		}
		return s
	}
	return reflect.DeepEqual(norm(registered), norm(declared))
}

// sameStream says whether a declared stream matches the registered one:
// its settings, and its mapping file's text the active version's.
func sameStream(ctx context.Context, reg *registry.Store, dept, source string, declared config.Stream, read func(string) ([]byte, error)) (bool, error) {
	old, err := reg.Stream(ctx, dept, source, declared.Name)
	if err != nil {
		return false, err
	}
	a, b := old.Spec, declared
	a.Mapping, a.MappingText, b.Mapping, b.MappingText = "", nil, "", nil
	if !reflect.DeepEqual(a, b) || old.ActiveMapping == 0 {
		return false, nil
	}
	m, err := reg.Mapping(ctx, dept, source, declared.Name, old.ActiveMapping)
	if err != nil {
		return false, err
	}
	text, err := read(declared.Mapping)
	if err != nil {
		return false, err
	}
	return m.Text == string(text), nil
}
