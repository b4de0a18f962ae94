"""A real OTLP metrics receiver on loopback, for tests: HTTP (POST /v1/metrics) and gRPC
(MetricsService/Export), both decoding ExportMetricsServiceRequest with opentelemetry-proto.

Every request lands in a queue; tests wait on it with a timeout. `hold()` makes answers
wait (a slow collector) until `release()`; stop() and start() again reuse the same port.
"""

from __future__ import annotations

import gzip
import queue
import threading
import zlib
from concurrent import futures
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import grpc
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2, metrics_service_pb2_grpc
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

ExportRequest = metrics_service_pb2.ExportMetricsServiceRequest
HOLD_LIMIT = 30.0  # a held answer gives up after this long, so no thread outlives a test


@dataclass(frozen=True)
class Point:
    """One data point of a received request, flattened."""

    resource: dict[str, str]
    scope: str
    name: str
    unit: str
    description: str
    kind: str  # "gauge" or "sum"
    monotonic: bool
    temporality: int  # AggregationTemporality enum value of the proto (2: cumulative)
    attributes: dict[str, str]
    value: float


def _text(value: AnyValue) -> str:
    which = value.WhichOneof("value")
    return "" if which is None else str(getattr(value, which))


def _attributes(items: Any) -> dict[str, str]:
    return {kv.key: _text(kv.value) for kv in items if isinstance(kv, KeyValue)}


def points(request: ExportRequest) -> list[Point]:
    """Every gauge and sum point of a request."""
    out: list[Point] = []
    for rm in request.resource_metrics:
        resource = _attributes(rm.resource.attributes)
        for sm in rm.scope_metrics:
            for metric in sm.metrics:
                kind = metric.WhichOneof("data")
                if kind not in ("gauge", "sum"):
                    raise AssertionError(f"{metric.name}: unexpected data kind {kind}")
                data = getattr(metric, kind)
                for dp in data.data_points:
                    number = dp.as_double if dp.WhichOneof("value") == "as_double" else dp.as_int
                    out.append(
                        Point(
                            resource=resource,
                            scope=sm.scope.name,
                            name=metric.name,
                            unit=metric.unit,
                            description=metric.description,
                            kind=kind,
                            monotonic=bool(kind == "sum" and data.is_monotonic),
                            temporality=data.aggregation_temporality if kind == "sum" else 0,
                            attributes=_attributes(dp.attributes),
                            value=float(number),
                        )
                    )
    return out


class Receiver:
    """What both transports share: the queue of requests and the hold gate."""

    protocol = ""

    def __init__(self) -> None:
        self.requests: queue.Queue[ExportRequest] = queue.Queue()
        self._gate = threading.Event()
        self._gate.set()
        self.port = 0

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def next(self, timeout: float = 15.0) -> ExportRequest:
        """The next request received; queue.Empty after `timeout` seconds."""
        return self.requests.get(timeout=timeout)

    def drain(self) -> int:
        count = 0
        while True:
            try:
                self.requests.get_nowait()
            except queue.Empty:
                return count
            count += 1

    def hold(self) -> None:
        self._gate.clear()

    def release(self) -> None:
        self._gate.set()

    def _receive(self, request: ExportRequest) -> bool:
        """Queue a request once the gate opens; False when it stayed shut (the caller gave up)."""
        if not self._gate.wait(HOLD_LIMIT):
            return False
        self.requests.put(request)
        return True

    def start(self) -> Receiver:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Receiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.release()
        self.stop()


class HttpReceiver(Receiver):
    """OTLP/HTTP with protobuf bodies (gzip or deflate accepted)."""

    protocol = "http/protobuf"

    def __init__(self) -> None:
        super().__init__()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> HttpReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                if self.path != "/v1/metrics":
                    self.send_error(404)
                    return
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                encoding = self.headers.get("Content-Encoding", "")
                if encoding == "gzip":
                    body = gzip.decompress(body)
                elif encoding == "deflate":
                    body = zlib.decompress(body)
                request = ExportRequest()
                request.ParseFromString(body)
                if not receiver._receive(request):
                    self.send_error(503)
                    return
                answer = metrics_service_pb2.ExportMetricsServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        server.daemon_threads = True
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, daemon=True)
        self._thread.start()
        return self

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1/metrics"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None


class _Servicer(metrics_service_pb2_grpc.MetricsServiceServicer):  # type: ignore[misc,unused-ignore]
    def __init__(self, receiver: GrpcReceiver) -> None:
        self._receiver = receiver

    def Export(self, request: ExportRequest, context: grpc.ServicerContext) -> Any:
        if not self._receiver._receive(request):
            context.abort(grpc.StatusCode.UNAVAILABLE, "held")
        return metrics_service_pb2.ExportMetricsServiceResponse()


class GrpcReceiver(Receiver):
    """OTLP/gRPC, insecure, on loopback."""

    protocol = "grpc"

    def __init__(self) -> None:
        super().__init__()
        self._server: grpc.Server | None = None

    def start(self) -> GrpcReceiver:
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        metrics_service_pb2_grpc.add_MetricsServiceServicer_to_server(_Servicer(self), server)
        self.port = server.add_insecure_port(f"127.0.0.1:{self.port}")
        if not self.port:
            raise OSError("gRPC receiver could not bind")
        server.start()
        self._server = server
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop(grace=None).wait(5)
            self._server = None
