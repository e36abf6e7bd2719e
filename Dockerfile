# rootlock: distroless, non-root, runs with a read-only root filesystem.
#   docker build -t rootlock .
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p rootlock \
 && install -D -m 0755 target/release/rootlock /out/rootlock

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /out/rootlock /usr/local/bin/rootlock
# 65532 is distroless' "nonroot"; nothing in the image needs a writable path.
USER 65532:65532
EXPOSE 8443
ENTRYPOINT ["/usr/local/bin/rootlock"]
CMD ["webhook", "--listen=0.0.0.0:8443", "--tls-cert=/etc/rootlock/tls/tls.crt", "--tls-key=/etc/rootlock/tls/tls.key"]
