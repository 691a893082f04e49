# syntax=docker/dockerfile:1
# imp in containers, from Debian bookworm packages only (the versions the project is built and
# tested with: gRPC 1.51, Protobuf 3.21, Abseil 20220623, Connector/C++ 1.1, MariaDB 10.11).
#
#   docker build --target runtime -t imp:latest .          # the three services and impctl
#   docker build --target mariadb -t imp-mariadb:latest .  # MariaDB 10.11 + Galera 4 (one node
#                                                          # or a StatefulSet member)
#
# deploy/compose.yaml and deploy/k8s/ use exactly these two images; tests/deploy/
# manifests_test.py checks that they do.

# ---- build: compile the binaries (Release) ----
FROM debian:bookworm AS build
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential cmake ninja-build pkg-config protobuf-compiler libprotobuf-dev \
      libgrpc++-dev protobuf-compiler-grpc libabsl-dev libmysqlcppconn-dev libgtest-dev \
      libgmock-dev grpc-proto libssl-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release \
    && cmake --build /build --target registry_service activity_service gateway impctl \
    && install -D -m 755 -t /out /build/registry-service/registry_service \
         /build/activity-service/activity_service /build/gateway/gateway \
         /build/tools/impctl/impctl

# ---- runtime: the services and impctl (also the compose health checks' client) ----
FROM debian:bookworm-slim AS runtime
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libgrpc++1.51 libgrpc29 libprotobuf32 libabsl20220623 libmysqlcppconn7v5 libmariadb3 \
      libre2-9 libc-ares2 libssl3 ca-certificates \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/registry_service /usr/local/bin/registry_service
COPY --from=build /out/activity_service /usr/local/bin/activity_service
COPY --from=build /out/gateway /usr/local/bin/gateway
COPY --from=build /out/impctl /usr/local/bin/impctl
# No root: the services need no privilege (ports above 1024, secrets mounted read-only).
USER 65532:65532
# gateway, registry-service, activity-service; 8080: --health_port (plaintext health only).
EXPOSE 50050 50051 50052 8080
CMD ["impctl", "--help"]

# ---- mariadb: MariaDB 10.11 with Galera 4 and what state transfers need ----
FROM debian:bookworm-slim AS mariadb
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      mariadb-server mariadb-client galera-4 mariadb-backup socat openssl \
    && rm -rf /var/lib/apt/lists/*
COPY deploy/provision-db.sh /usr/local/bin/provision-db.sh
COPY deploy/container/mariadb-entrypoint.sh /usr/local/bin/mariadb-entrypoint.sh
EXPOSE 3306 4567 4568 4444
VOLUME /var/lib/mysql
ENTRYPOINT ["/usr/local/bin/mariadb-entrypoint.sh"]
