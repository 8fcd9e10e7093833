"""A tiny Prometheus HTTP API on loopback (http.server in a thread) for the pull's unit tests."""

import json
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def vector(value) -> tuple[int, dict]:
    return 200, {"status": "success", "data": {"resultType": "vector", "result": [
        {"metric": {}, "value": [0, str(value)]}]}}


class FakePrometheus:
    """`answer(query, time) -> (status, body dict | bytes)` decides every response; `delay` slows it."""

    def __init__(self, answer):
        self.answer = answer
        self.delay = 0.0
        self.queries: list[tuple[str, float]] = []
        self.headers: list = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                url = urllib.parse.urlsplit(self.path)
                params = urllib.parse.parse_qs(url.query)
                fake.headers.append(self.headers)  # case-insensitive lookups (urllib sends X-scope-orgid)
                if url.path == "/api/v1/query_range":
                    query = params.get("query", [""])[0]
                    fake.queries.append((query, float(params.get("start", ["0"])[0])))
                    if fake.delay:
                        time.sleep(fake.delay)
                    status, body = fake.range_answer(query, float(params["start"][0]), float(params["end"][0]),
                                                     float(params["step"][0].rstrip("s")))
                elif url.path == "/api/v1/query":
                    query, at = params.get("query", [""])[0], float(params.get("time", ["0"])[0])
                    fake.queries.append((query, at))
                    if fake.delay:
                        time.sleep(fake.delay)
                    status, body = fake.answer(query, at)
                else:
                    status, body = 404, b"not found"
                raw = body if isinstance(body, bytes) else json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(raw)))
                    self.end_headers()
                    self.wfile.write(raw)
                except (BrokenPipeError, ConnectionResetError):  # the client timed out first
                    pass

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def range_answer(self, query: str, start: float, end: float, step: float):
        """A range query as Prometheus answers it, built from the instant answers at each step: the
        first failing step fails the whole request; steps with no sample are left out."""
        values, metrics = [], None
        at = start
        while at <= end + 1e-6:
            status, body = self.answer(query, at)
            if status != 200 or not isinstance(body, dict) or body.get("status") != "success":
                return status, body
            data = body["data"]
            if data.get("resultType") != "vector":
                return status, body
            result = data.get("result") or []
            if len(result) > 1:
                return 200, {"status": "success", "data": {"resultType": "matrix", "result": [
                    {"metric": r.get("metric", {}), "values": [[at, r["value"][1]]]} for r in result]}}
            if result:
                metrics = result[0].get("metric", {})
                values.append([at, result[0]["value"][1]])
            at += step
        series = [{"metric": metrics or {}, "values": values}] if values else []
        return 200, {"status": "success", "data": {"resultType": "matrix", "result": series}}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
