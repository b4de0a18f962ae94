# syntax=docker/dockerfile:1
# envoy-exporter: small image, non-root, works with a read-only root filesystem.
#   docker build -t envoy-exporter .
#   docker run --read-only -p 9433:9433 -e ENVOY_HOST=192.168.1.50 -e ENVOY_TOKEN=... envoy-exporter
# Arguments after the image name go to `envoy-exporter serve` (e.g. --config.file=/etc/...).
# Change the port with ENVOY_EXPORTER_LISTEN_ADDRESS (not --web.listen-address) so that the
# health check below follows it.

# podman and buildah keep HEALTHCHECK only in the Docker image format:
#   podman build --format docker -t envoy-exporter .   (the default OCI format drops it)

FROM python:3.11-slim-bookworm AS build
# constraints.txt pins every package (and the build backend, through PIP_CONSTRAINT, which
# pip's isolated build environment reads too): a rebuild installs the same versions.
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_CONSTRAINT=/src/constraints.txt
WORKDIR /src
COPY pyproject.toml README.md constraints.txt ./
COPY envoy_exporter ./envoy_exporter
# A virtualenv is one folder to copy; pip compiles the .pyc files here, because the
# read-only runtime filesystem cannot take them later. pip and setuptools only build: the
# image leaves them out.
RUN python -m venv /opt/envoy-exporter \
    && /opt/envoy-exporter/bin/pip install . \
    && /opt/envoy-exporter/bin/pip uninstall -y setuptools pip

FROM python:3.11-slim-bookworm
# 65532: the conventional "nonroot" uid, the one deploy/kubernetes runs as.
# The base image's own pip, setuptools and wheel only install things: none at run time.
RUN python -m pip uninstall -y -q setuptools wheel pip \
    && groupadd --system --gid 65532 envoy \
    && useradd --system --uid 65532 --gid envoy --no-create-home --home-dir /nonexistent \
       --shell /usr/sbin/nologin envoy
COPY --from=build /opt/envoy-exporter /opt/envoy-exporter
ENV PATH=/opt/envoy-exporter/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    ENVOY_EXPORTER_LISTEN_ADDRESS=:9433
USER 65532:65532
EXPOSE 9433
# Python instead of curl (not in the slim image): plain HTTP first, then HTTPS for a
# --web.config.file with TLS. /-/healthy needs no basic auth.
HEALTHCHECK --interval=30s --timeout=10s --start-period=15s --retries=3 CMD ["python", "-c", "import os, ssl, sys, urllib.request as r\nport = os.environ.get('ENVOY_EXPORTER_LISTEN_ADDRESS', ':9433').rsplit(':', 1)[-1]\nfor scheme in ('http', 'https'):\n    try:\n        r.urlopen(f'{scheme}://127.0.0.1:{port}/-/healthy', timeout=4, context=ssl._create_unverified_context()).read()\n        sys.exit(0)\n    except Exception:\n        pass\nsys.exit(1)"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["envoy-exporter", "serve"]
