"""`envoy-exporter serve` with the server fixes proposed to its owner, for before/after
figures (bench only; the exporter itself is unchanged):

- a listen backlog of 128 instead of socketserver's 5 (PoolHTTPServer.request_queue_size):
  with more simultaneous connects than that, the kernel drops SYNs and clients wait for
  the 1 s retransmit, which is the p99 of a busy scrape;
- the gzip of the cached exposition kept per content, only the exporter's own process
  metrics compressed at each scrape (gzip allows several members in one body);
- one shared non-verifying TLS context for every gateway instead of one per Envoy
  (envoy/http.py mount_gateway_adapter): each new context also loads the system CA
  bundle (set_default_verify_paths in envoy/ssl.py, useless with CERT_NONE), about
  0.8 MB of RSS per gateway in a fleet.
"""

from __future__ import annotations

import gzip
import sys
import types
import zlib
from typing import Any

_OWN_MARKER = b"# HELP process_virtual_memory_bytes"
_cache: dict[int, bytes] = {}


def _compress(data: bytes, compresslevel: int = 9, **kwargs: Any) -> bytes:
    split = data.rfind(_OWN_MARKER)
    if split <= 0:
        return gzip.compress(data, compresslevel=compresslevel, **kwargs)
    head, tail = data[:split], data[split:]
    key = zlib.crc32(head) ^ len(head)
    cached = _cache.get(key)
    if cached is None:
        _cache.clear()
        cached = _cache[key] = gzip.compress(head, compresslevel=compresslevel)
    return cached + gzip.compress(tail, compresslevel=compresslevel)


def apply() -> None:
    from envoy_exporter.envoy import http
    from envoy_exporter.envoy import ssl as envoy_ssl
    from envoy_exporter.server import app, httpd

    http.create_no_verify_ssl_context = lambda: envoy_ssl.NO_VERIFY_SSL_CONTEXT  # type: ignore[attr-defined]

    httpd.PoolHTTPServer.request_queue_size = 128
    app.gzip = types.SimpleNamespace(compress=_compress)  # type: ignore[assignment,attr-defined]


if __name__ == "__main__":
    apply()
    from envoy_exporter.cli import main

    sys.argv[0] = "envoy-exporter"
    main()
