# vouchd and vouch-testnet in a small image, run as a non-root user.
# Not tested here: the machines this repository is built on have no container engine.
#
#   docker build -t vouch .
#   docker run --rm --user "$(id -u):$(id -g)" -v "$PWD/node:/etc/vouch" vouch
#
# The last line runs `vouchd run --config /etc/vouch/node.toml`; relative paths in it
# (key, genesis, data_dir) are resolved from /etc/vouch, which must then be writable by
# the container's user. Without --user the node runs as `vouch` (uid 10001).
#
# Ports are whatever the node's config says, so none is fixed here: `http.listen`
# (default 127.0.0.1:8080) and `p2p.listen` (default /ip4/127.0.0.1/tcp/27000), see
# docs/NODE.md. To reach a node from outside its container, listen on 0.0.0.0 and publish
# both ports (`-p 8080:8080 -p 27000:27000`), or use the host's network.

FROM rust:1.90-bookworm AS builder
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p vouch-node -p vouch-testnet \
 && mkdir -p /out \
 && cp target/release/vouchd target/release/vouch-testnet /out/

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --create-home --home-dir /var/lib/vouch vouch
# vouch-testnet finds vouchd beside itself.
COPY --from=builder /out/vouchd /out/vouch-testnet /usr/local/bin/
USER vouch
WORKDIR /var/lib/vouch
ENTRYPOINT ["vouchd"]
CMD ["run", "--config", "/etc/vouch/node.toml"]
