package ops

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/lienthong/lienthong/config"
	"github.com/lienthong/lienthong/connectors"
	"github.com/lienthong/lienthong/internal/database"
	"github.com/lienthong/lienthong/registry"
	"github.com/lienthong/lienthong/sync/state"
)

func sourceName(dept, name string) string { return fmt.Sprintf("source %s/%s", dept, name) }

func streamName(ref state.Ref) string { return "stream " + ref.String() }

// CreateSource registers a source with its streams (sources:write): the
// body is decoded as strictly as the file, refused where the API may not
// do what the file may, checked against the department's system, then
// saved. Its streams have no mapping yet: upload one per stream.
func (s *Service) CreateSource(ctx context.Context, c Caller, dept string, body []byte) (SourceView, error) {
	if err := authorize(c, dept, ScopeSourcesWrite); err != nil {
		return SourceView{}, err
	}
	if _, err := s.Department(ctx, c, dept); err != nil {
		return SourceView{}, err
	}
	rest, secret, bad := splitSecret(body)
	if rest == nil {
		return SourceView{}, &Invalid{Fields: bad}
	}
	spec, fields := config.DecodeSource(rest)
	if bad = mergeFields(bad, fields, s.registrationRules(spec, secret, false)); len(bad) > 0 {
		return SourceView{}, &Invalid{Fields: bad}
	}
	if _, err := s.Registry.Source(ctx, dept, spec.Name); err == nil {
		return SourceView{}, conflict(registry.ErrExists, "%s exists: change it with PUT, or choose another name", sourceName(dept, spec.Name))
	}
	if secret != nil && *secret == "" {
		secret = nil
	}
	checked := spec
	checked.ResolvedDSN = spec.DSN
	if secret != nil {
		checked.ResolvedDSN = *secret
	}
	if err := s.check(ctx, dept, checked); err != nil {
		return SourceView{}, err
	}
	src, err := s.Registry.CreateSource(ctx, actor(c), dept, registry.SourceInput{Spec: spec, Secret: secret})
	if err != nil {
		return SourceView{}, fromRegistry(err, sourceName(dept, spec.Name))
	}
	s.log().Info("source registered", "department", dept, "source", spec.Name, "kind", spec.Kind, "streams", len(spec.Streams), "by", actor(c).Name)
	return s.sourceView(ctx, src, nil)
}

// check runs Systems.Check and turns its problems into *CheckFailed. The
// source's secret is scrubbed from whatever comes back.
func (s *Service) check(ctx context.Context, dept string, src config.Source) error {
	if s.Systems == nil {
		return errors.New("check source: this service cannot reach department systems (no Systems configured)")
	}
	rep, err := s.Systems.Check(ctx, dept, src)
	if err != nil {
		return s.systemError(ctx, "check", sourceName(dept, src.Name), err, src.ResolvedDSN)
	}
	if len(rep.Problems) > 0 {
		cf := &CheckFailed{}
		for _, p := range rep.Problems {
			cf.Problems = append(cf.Problems, scrub(p, src.ResolvedDSN))
		}
		for _, w := range rep.Warnings {
			cf.Warnings = append(cf.Warnings, scrub(w, src.ResolvedDSN))
		}
		return cf
	}
	return nil
}

// scrub removes a secret, and the password inside a DSN, from a message.
func scrub(msg, secret string) string {
	if secret == "" {
		return msg
	}
	msg = database.Scrub(msg, secret)
	return strings.ReplaceAll(msg, secret, "[secret]")
}

// Source returns a source with its streams and their health
// (sources:read).
func (s *Service) Source(ctx context.Context, c Caller, dept, name string) (SourceView, error) {
	if err := authorize(c, dept, ScopeSourcesRead); err != nil {
		return SourceView{}, err
	}
	src, err := s.Registry.Source(ctx, dept, name)
	if err != nil {
		return SourceView{}, fromRegistry(err, sourceName(dept, name))
	}
	return s.sourceView(ctx, src, nil)
}

// ListSources lists a department's sources with their streams and health
// (sources:read).
func (s *Service) ListSources(ctx context.Context, c Caller, dept string) ([]SourceView, error) {
	if err := authorize(c, dept, ScopeSourcesRead); err != nil {
		return nil, err
	}
	if _, err := s.Department(ctx, c, dept); err != nil {
		return nil, err
	}
	srcs, err := s.Registry.ListSources(ctx, dept)
	if err != nil {
		return nil, err
	}
	statuses, err := s.State.StreamStatuses(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]SourceView, 0, len(srcs))
	for _, src := range srcs {
		v, err := s.sourceView(ctx, src, statuses)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// UpdateSource replaces a source's settings (sources:write), at the
// revision the caller read: the body is a source as for CreateSource,
// without streams (they change one by one); leaving "secret" out keeps the
// stored one. The new settings are checked with the source's streams
// before they are saved.
func (s *Service) UpdateSource(ctx context.Context, c Caller, dept, name string, revision int64, body []byte) (SourceView, error) {
	if err := authorize(c, dept, ScopeSourcesWrite); err != nil {
		return SourceView{}, err
	}
	if revision <= 0 {
		return SourceView{}, revisionRequired("update " + sourceName(dept, name))
	}
	cur, err := s.Registry.Source(ctx, dept, name)
	if err != nil {
		return SourceView{}, fromRegistry(err, sourceName(dept, name))
	}
	if err := changeable(cur.Origin, cur.Revision, revision, sourceName(dept, name)); err != nil {
		return SourceView{}, err
	}
	rest, secret, bad := splitSecret(body)
	if rest == nil {
		return SourceView{}, &Invalid{Fields: bad}
	}
	spec, fields := config.DecodeSource(rest)
	bad = mergeFields(bad, fields, s.registrationRules(spec, secret, cur.Secret.Set))
	if len(spec.Streams) > 0 {
		bad = append(bad, config.FieldError{Field: "streams", Reason: "a source's streams change one by one (PUT .../streams/{stream}): leave streams out"})
	}
	if spec.Name != "" && spec.Name != name {
		bad = append(bad, config.FieldError{Field: "name", Reason: fmt.Sprintf("a source cannot be renamed: write %q, or register a new source and delete this one", name)})
	}
	if secret == nil && cur.Secret.Set && spec.DSN != "" {
		bad = append(bad, config.FieldError{Field: "dsn", Reason: "the source has a stored secret, which its runs use: leave dsn out to keep it, or send \"secret\": \"\" to remove it"})
	}
	if len(bad) > 0 {
		return SourceView{}, &Invalid{Fields: bad}
	}
	spec.Name = name
	checked := spec
	checked.ResolvedDSN = spec.DSN
	switch {
	case secret != nil && *secret != "":
		checked.ResolvedDSN = *secret
	case secret == nil && cur.Secret.Set:
		if checked.ResolvedDSN, err = s.Registry.SourceSecret(ctx, dept, name); err != nil {
			return SourceView{}, err
		}
	}
	streams, err := s.Registry.ListStreams(ctx, dept, name)
	if err != nil {
		return SourceView{}, fromRegistry(err, sourceName(dept, name))
	}
	for _, st := range streams {
		checked.Streams = append(checked.Streams, st.Spec)
	}
	if err := s.check(ctx, dept, checked); err != nil {
		return SourceView{}, err
	}
	src, err := s.Registry.UpdateSource(ctx, actor(c), dept, name, revision, registry.SourceInput{Spec: spec, Secret: secret})
	if err != nil {
		return SourceView{}, fromRegistry(err, sourceName(dept, name))
	}
	s.log().Info("source updated", "department", dept, "source", name, "revision", src.Revision, "by", actor(c).Name)
	return s.sourceView(ctx, src, nil)
}

// changeable refuses, before any check runs, a change to an object the
// operator's file declares or one that moved since the caller read it.
// The registry judges both again when it writes.
func changeable(origin string, have, want int64, what string) error {
	switch {
	case origin == registry.OriginFile:
		return conflict(registry.ErrFileManaged, "%s is declared in the operator's configuration file: change the file and run lienthong apply", what)
	case have != want:
		return conflict(registry.ErrStale, "%s is at revision %d, not %d: read it again and send the revision you read", what, have, want)
	}
	return nil
}

// DeleteSource removes a source with its streams and mapping versions
// (sources:write); its runs, rejects and records stay.
func (s *Service) DeleteSource(ctx context.Context, c Caller, dept, name string) error {
	if err := authorize(c, dept, ScopeSourcesWrite); err != nil {
		return err
	}
	if err := s.Registry.DeleteSource(ctx, actor(c), dept, name); err != nil {
		return fromRegistry(err, sourceName(dept, name))
	}
	s.log().Info("source deleted", "department", dept, "source", name, "by", actor(c).Name)
	return nil
}

// Discover lists a source's tables or files with suggested keys and
// cursors (sources:read).
func (s *Service) Discover(ctx context.Context, c Caller, dept, name string) ([]connectors.StreamInfo, error) {
	if err := authorize(c, dept, ScopeSourcesRead); err != nil {
		return nil, err
	}
	if s.Systems == nil {
		return nil, errors.New("discover: this service cannot reach department systems (no Systems configured)")
	}
	src, err := s.Registry.Source(ctx, dept, name)
	if err != nil {
		return nil, fromRegistry(err, sourceName(dept, name))
	}
	spec, err := s.resolve(ctx, src)
	if err != nil {
		return nil, err
	}
	infos, err := s.Systems.Discover(ctx, dept, spec)
	if err != nil {
		return nil, s.systemError(ctx, "discover", sourceName(dept, name), err, spec.ResolvedDSN)
	}
	if infos == nil {
		infos = []connectors.StreamInfo{}
	}
	return infos, nil
}

// resolve gives a registered source its connection string: the sealed
// secret of an API source, or what the operator's file names.
func (s *Service) resolve(ctx context.Context, src registry.Source) (config.Source, error) {
	spec := src.Spec
	spec.Sealed = false
	switch {
	case src.Secret.Set:
		sec, err := s.Registry.SourceSecret(ctx, src.Department, spec.Name)
		if err != nil {
			return config.Source{}, err
		}
		spec.ResolvedDSN = sec
	case spec.DSNEnv != "" || spec.DSNFile != "":
		if err := config.ResolveSecret(&spec, os.Getenv); err != nil {
			return config.Source{}, fmt.Errorf("%s: %w", sourceName(src.Department, spec.Name), err)
		}
	default:
		spec.ResolvedDSN = spec.DSN
	}
	return spec, nil
}

// CreateStream adds a stream to a source registered through the API
// (sources:write); it is checked against the source before it is saved
// and runs once a mapping version is active.
func (s *Service) CreateStream(ctx context.Context, c Caller, dept, source string, body []byte) (StreamView, error) {
	if err := authorize(c, dept, ScopeSourcesWrite); err != nil {
		return StreamView{}, err
	}
	src, err := s.Registry.Source(ctx, dept, source)
	if err != nil {
		return StreamView{}, fromRegistry(err, sourceName(dept, source))
	}
	if src.Origin == registry.OriginFile {
		return StreamView{}, changeable(src.Origin, 0, 0, sourceName(dept, source))
	}
	spec, bad := config.DecodeStream(body, src.Spec.Kind)
	if len(bad) > 0 {
		return StreamView{}, &Invalid{Fields: mergeFields(bad)}
	}
	ref := state.Ref{Department: dept, Source: source, Stream: spec.Name}
	if _, err := s.Registry.Stream(ctx, dept, source, spec.Name); err == nil {
		return StreamView{}, conflict(registry.ErrExists, "%s exists: change it with PUT, or choose another name", streamName(ref))
	}
	if err := s.checkStream(ctx, src, spec); err != nil {
		return StreamView{}, err
	}
	st, err := s.Registry.CreateStream(ctx, actor(c), dept, source, spec)
	if err != nil {
		return StreamView{}, fromRegistry(err, streamName(ref))
	}
	s.log().Info("stream registered", "department", dept, "source", source, "stream", spec.Name, "by", actor(c).Name)
	return s.streamView(ctx, st, nil)
}

// checkStream checks one stream against its source.
func (s *Service) checkStream(ctx context.Context, src registry.Source, st config.Stream) error {
	spec, err := s.resolve(ctx, src)
	if err != nil {
		return err
	}
	spec.Streams = []config.Stream{st}
	return s.check(ctx, src.Department, spec)
}

// Stream returns a stream with its health (sources:read).
func (s *Service) Stream(ctx context.Context, c Caller, ref state.Ref) (StreamView, error) {
	if err := authorize(c, ref.Department, ScopeSourcesRead); err != nil {
		return StreamView{}, err
	}
	st, err := s.Registry.Stream(ctx, ref.Department, ref.Source, ref.Stream)
	if err != nil {
		return StreamView{}, fromRegistry(err, streamName(ref))
	}
	return s.streamView(ctx, st, nil)
}

// UpdateStream replaces a stream's settings (sources:write) at the
// revision the caller read; its mapping versions stay.
func (s *Service) UpdateStream(ctx context.Context, c Caller, ref state.Ref, revision int64, body []byte) (StreamView, error) {
	if err := authorize(c, ref.Department, ScopeSourcesWrite); err != nil {
		return StreamView{}, err
	}
	if revision <= 0 {
		return StreamView{}, revisionRequired("update " + streamName(ref))
	}
	cur, err := s.Registry.Stream(ctx, ref.Department, ref.Source, ref.Stream)
	if err != nil {
		return StreamView{}, fromRegistry(err, streamName(ref))
	}
	if err := changeable(cur.Origin, cur.Revision, revision, streamName(ref)); err != nil {
		return StreamView{}, err
	}
	src, err := s.Registry.Source(ctx, ref.Department, ref.Source)
	if err != nil {
		return StreamView{}, fromRegistry(err, sourceName(ref.Department, ref.Source))
	}
	spec, bad := config.DecodeStream(body, src.Spec.Kind)
	if spec.Name != "" && spec.Name != ref.Stream {
		bad = append(bad, config.FieldError{Field: "name", Reason: fmt.Sprintf("a stream cannot be renamed: write %q, or register a new stream and delete this one", ref.Stream)})
	}
	if len(bad) > 0 {
		return StreamView{}, &Invalid{Fields: mergeFields(bad)}
	}
	spec.Name = ref.Stream
	if err := s.checkStream(ctx, src, spec); err != nil {
		return StreamView{}, err
	}
	st, err := s.Registry.UpdateStream(ctx, actor(c), ref.Department, ref.Source, ref.Stream, revision, spec)
	if err != nil {
		return StreamView{}, fromRegistry(err, streamName(ref))
	}
	s.log().Info("stream updated", "department", ref.Department, "source", ref.Source, "stream", ref.Stream, "revision", st.Revision, "by", actor(c).Name)
	return s.streamView(ctx, st, nil)
}

// DeleteStream removes a stream and its mapping versions (sources:write).
func (s *Service) DeleteStream(ctx context.Context, c Caller, ref state.Ref) error {
	if err := authorize(c, ref.Department, ScopeSourcesWrite); err != nil {
		return err
	}
	if err := s.Registry.DeleteStream(ctx, actor(c), ref.Department, ref.Source, ref.Stream); err != nil {
		return fromRegistry(err, streamName(ref))
	}
	s.log().Info("stream deleted", "department", ref.Department, "source", ref.Source, "stream", ref.Stream, "by", actor(c).Name)
	return nil
}
