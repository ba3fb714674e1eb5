# syntax=docker/dockerfile:1
# The users service as a container: a static binary on distroless, run as a
# non-root user. Build and run:
#
#   docker build -t users .
#   docker run --rm -p 5000:5000 -e DATABASE_URL=postgres://... -e SECRET_KEY=$(go run . genkey) users
#
# Configuration is the environment (see docs/configuration.md); APP_ENV defaults to live here.

# --- build: the same command deploy/deploy_test.go runs and checks for a static binary
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/server .

# --- run: no shell, no package manager; CA certificates and /etc/passwd with
# the nonroot user (65532) included
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/server /server
# Numeric, so that Kubernetes' runAsNonRoot can check it.
USER 65532:65532
ENV APP_ENV=live PORT=5000
EXPOSE 5000
ENTRYPOINT ["/server"]
