package ops

import (
	"context"
	"errors"
	"fmt"

	"github.com/lienthong/lienthong/config"
	"github.com/lienthong/lienthong/internal/mappingtest"
	"github.com/lienthong/lienthong/mapping"
	"github.com/lienthong/lienthong/registry"
	"github.com/lienthong/lienthong/sync/state"
)

// Sample sizes of a mapping test.
const (
	DefaultTestLimit = 20
	MaxTestLimit     = 200
)

// UploadMapping compiles a mapping text and stores it as the stream's next
// version, inactive (mappings:write). Compile errors come back field by
// field: the key path and "line N: what is wrong".
func (s *Service) UploadMapping(ctx context.Context, c Caller, ref state.Ref, text []byte) (registry.MappingVersion, error) {
	if err := authorize(c, ref.Department, ScopeMappingsWrite); err != nil {
		return registry.MappingVersion{}, err
	}
	st, err := s.Registry.Stream(ctx, ref.Department, ref.Source, ref.Stream)
	if err != nil {
		return registry.MappingVersion{}, fromRegistry(err, streamName(ref))
	}
	if st.Origin == registry.OriginFile {
		return registry.MappingVersion{}, changeable(st.Origin, 0, 0, streamName(ref))
	}
	m, err := mapping.Parse("registry:"+ref.String()+"@new", text, s.MappingOptions...)
	if err != nil {
		return registry.MappingVersion{}, &Invalid{Fields: mappingFields(err)}
	}
	if st.Spec.Kind != "" && st.Spec.Kind != m.Kind.Name {
		return registry.MappingVersion{}, &Invalid{Fields: []config.FieldError{{Field: "kind",
			Reason: fmt.Sprintf("the stream delivers %s but this mapping makes %s: fix the mapping's kind, or the stream's", st.Spec.Kind, m.Kind.Name)}}}
	}
	mv, err := s.Registry.AddMapping(ctx, actor(c), ref.Department, ref.Source, ref.Stream, m.Kind.Name, string(text))
	if err != nil {
		return registry.MappingVersion{}, fromRegistry(err, streamName(ref))
	}
	s.log().Info("mapping uploaded", "department", ref.Department, "source", ref.Source, "stream", ref.Stream, "version", mv.Version, "by", actor(c).Name)
	mv.Text = ""
	return mv, nil
}

// mappingFields turns mapping.Parse's errors into field errors.
func mappingFields(err error) []config.FieldError {
	var out []config.FieldError
	var walk func(error)
	walk = func(err error) {
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				walk(e)
			}
			return
		}
		var me *mapping.Error
		if !errors.As(err, &me) {
			out = append(out, config.FieldError{Reason: err.Error()})
			return
		}
		reason := me.Msg
		switch {
		case me.Line > 0 && me.Column > 0:
			reason = fmt.Sprintf("line %d, column %d: %s", me.Line, me.Column, me.Msg)
		case me.Line > 0:
			reason = fmt.Sprintf("line %d: %s", me.Line, me.Msg)
		}
		out = append(out, config.FieldError{Field: me.Key, Reason: reason})
	}
	walk(err)
	return out
}

// Mappings lists a stream's mapping versions, without their texts
// (sources:read).
func (s *Service) Mappings(ctx context.Context, c Caller, ref state.Ref) ([]registry.MappingVersion, error) {
	if err := authorize(c, ref.Department, ScopeSourcesRead); err != nil {
		return nil, err
	}
	out, err := s.Registry.Mappings(ctx, ref.Department, ref.Source, ref.Stream)
	if err != nil {
		return nil, fromRegistry(err, streamName(ref))
	}
	if out == nil {
		out = []registry.MappingVersion{}
	}
	return out, nil
}

// Mapping returns one version with its text (sources:read).
func (s *Service) Mapping(ctx context.Context, c Caller, ref state.Ref, version int) (registry.MappingVersion, error) {
	if err := authorize(c, ref.Department, ScopeSourcesRead); err != nil {
		return registry.MappingVersion{}, err
	}
	mv, err := s.Registry.Mapping(ctx, ref.Department, ref.Source, ref.Stream, version)
	if err != nil {
		return registry.MappingVersion{}, fromRegistry(err, fmt.Sprintf("mapping version %d of %s", version, streamName(ref)))
	}
	return mv, nil
}

// TestMapping maps up to limit live records of the stream through a
// version, writing nothing (mappings:write: it reads the department's
// records).
func (s *Service) TestMapping(ctx context.Context, c Caller, ref state.Ref, version, limit int) (mappingtest.Report, error) {
	if err := authorize(c, ref.Department, ScopeMappingsWrite); err != nil {
		return mappingtest.Report{}, err
	}
	switch {
	case limit <= 0:
		limit = DefaultTestLimit
	case limit > MaxTestLimit:
		limit = MaxTestLimit
	}
	mv, err := s.Registry.Mapping(ctx, ref.Department, ref.Source, ref.Stream, version)
	if err != nil {
		return mappingtest.Report{}, fromRegistry(err, fmt.Sprintf("mapping version %d of %s", version, streamName(ref)))
	}
	if s.Systems == nil {
		return mappingtest.Report{}, errors.New("test mapping: this service cannot reach department systems (no Systems configured)")
	}
	rep, err := s.Systems.TestMapping(ctx, ref, []byte(mv.Text), limit)
	if err != nil {
		return mappingtest.Report{}, s.systemError(ctx, fmt.Sprintf("test mapping version %d of", version), streamName(ref), err,
			s.secretOf(ctx, ref.Department, ref.Source))
	}
	return rep, nil
}

// ActivateMapping makes a version the one the stream's runs use
// (mappings:write); activating an older version rolls back.
func (s *Service) ActivateMapping(ctx context.Context, c Caller, ref state.Ref, version int) (registry.MappingVersion, error) {
	if err := authorize(c, ref.Department, ScopeMappingsWrite); err != nil {
		return registry.MappingVersion{}, err
	}
	mv, err := s.Registry.ActivateMapping(ctx, actor(c), ref.Department, ref.Source, ref.Stream, version)
	if err != nil {
		return registry.MappingVersion{}, fromRegistry(err, fmt.Sprintf("mapping version %d of %s", version, streamName(ref)))
	}
	s.log().Info("mapping activated", "department", ref.Department, "source", ref.Source, "stream", ref.Stream, "version", version, "by", actor(c).Name)
	mv.Text = ""
	return mv, nil
}
