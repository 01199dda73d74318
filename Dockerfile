# syntax=docker/dockerfile:1
# Multi-stage build: a static, pure-Go lienthong binary (no cgo: the embedded
# store is modernc.org/sqlite) on a distroless base, run as a non-root user.

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 GOOS=linux go build -trimpath \
      -ldflags "-s -w -X github.com/lienthong/lienthong/internal/cli.Version=${VERSION}" \
      -o /out/lienthong ./cmd/lienthong \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/lienthong /usr/local/bin/lienthong
# The embedded store (data_dir: /var/lib/lienthong in lienthong.yaml), for a
# trial without PostgreSQL; production points national and state at
# PostgreSQL and needs nothing written locally.
COPY --from=build --chown=65532:65532 /out/data /var/lib/lienthong
VOLUME /var/lib/lienthong
# The configuration and mappings are mounted here, read-only. Secrets come
# from the environment or mounted files (dsn_env, dsn_file).
WORKDIR /etc/lienthong
USER nonroot:nonroot
ENV LIENTHONG_CONFIG=/etc/lienthong/lienthong.yaml
# lienthong serve's HTTP listener (health, readiness, /metrics, /v1). In a
# container give serve.listen: 0.0.0.0:8080 (or --listen), since the default
# 127.0.0.1:8080 is unreachable from outside it.
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/lienthong"]
# One-shot by default; `docker run ... lienthong serve` (as
# deploy/docker-compose.yml does) runs the scheduler and the HTTP API.
CMD ["sync"]
