# syntax=docker/dockerfile:1.7
# One image per service: docker build --build-arg SERVICE=orders -t crossdock/orders .
# (`make images` builds them all). The binary serves HTTP, relays the outbox and
# runs its consumers; `migrate` applies its embedded migrations (the Helm hook
# Job runs that), `config-keys` lists the environment variables it reads.

ARG RUST_VERSION=1.95
ARG DEBIAN=bookworm

FROM rust:${RUST_VERSION}-${DEBIAN} AS build
ARG SERVICE
RUN test -n "$SERVICE" || (echo "--build-arg SERVICE=<catalog|orders|inventory|warehouse> is required" && exit 1)
WORKDIR /src
COPY . .
# Caches survive between builds; the binary is copied out of them.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p "$SERVICE" --bin "$SERVICE" \
    && install -D "target/release/$SERVICE" /out/service

FROM debian:${DEBIAN}-slim AS runtime
ARG SERVICE
# librdkafka's TLS links libssl; CA certificates for Kafka and PostgreSQL over TLS.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates libssl3 \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 crossdock \
    && useradd --system --uid 10001 --gid crossdock --no-create-home --shell /usr/sbin/nologin crossdock
COPY --from=build /out/service /usr/local/bin/service
COPY services/${SERVICE}/config /etc/crossdock/config
ENV CROSSDOCK_CONFIG_DIR=/etc/crossdock/config \
    CROSSDOCK_ENV=production
# Numeric, so Kubernetes can verify runAsNonRoot; the root filesystem can be read-only.
USER 10001:10001
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/service"]
CMD ["serve"]
