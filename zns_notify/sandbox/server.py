"""SandboxServer: the fake Zalo on a loopback port, in background threads.

Uses the standard library's ThreadingHTTPServer with HTTP/1.1 keep-alive, so a client's
``requests.Session`` reuses one connection (well over 1000 requests/s on loopback), and
applies the transport faults (latency, 500, held connection, reset) around the app.
"""

from __future__ import annotations

import logging
import socket
import struct
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from zns_notify.sandbox import defaults
from zns_notify.sandbox.app import SandboxApp
from zns_notify.sandbox.config import SandboxConfig
from zns_notify.sandbox.faults import HTTP_500, RESET, TIMEOUT
from zns_notify.sandbox.protocol import Request, Response, json_response
from zns_notify.sandbox.state import SandboxState
from zns_notify.sandbox.webhooks import ReceiptDispatcher

logger = logging.getLogger(__name__)

MAX_BODY = 1 << 20  # Zalo bodies are a few KB; anything this big is a client bug
_HTML_500 = b"<html><body><h1>500 Internal Server Error</h1></body></html>"


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # a held "timeout" connection must not delay stop()
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], sandbox: SandboxServer) -> None:
        self.sandbox = sandbox
        self._connections: set[socket.socket] = set()
        self._conn_lock = threading.Lock()
        super().__init__(address, _Handler)

    def get_request(self) -> tuple[socket.socket, Any]:
        conn, addr = super().get_request()
        with self._conn_lock:
            self._connections.add(conn)
        return conn, addr

    def shutdown_request(self, request: Any) -> None:
        with self._conn_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """Drop idle keep-alive connections too, so a stopped sandbox really stops."""
        with self._conn_lock:
            connections = list(self._connections)
        for conn in connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ZaloSandbox/1.0"
    disable_nagle_algorithm = True  # small keep-alive responses must not wait for ACKs
    timeout = 120  # idle keep-alive connections are closed after this
    server: _HTTPServer

    def do_GET(self) -> None:
        self._dispatch()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def _dispatch(self) -> None:
        sandbox = self.server.sandbox
        received_at = sandbox.state.clock()
        body = self._read_body()
        if body is None:
            return
        url = urlsplit(self.path)
        host = self.headers.get("Host") or f"{sandbox.host}:{sandbox.port}"
        request = Request(
            method=self.command,
            path=url.path,
            query=dict(parse_qsl(url.query, keep_blank_values=True)),
            headers=self.headers,
            body=body,
            base_url=f"http://{host}",
            received_at=received_at,
        )
        decision = None
        if not url.path.startswith("/_sandbox"):
            decision = sandbox.state.faults.transport(url.path)
            if decision.latency and sandbox.stopping.wait(decision.latency):
                return
            if decision.action == RESET:
                return self._reset()
            if decision.action == HTTP_500:
                return self._send(
                    Response(status=500, body=_HTML_500, content_type="text/html; charset=utf-8")
                )
        response = sandbox.app.handle(request)
        if decision is not None and decision.action == TIMEOUT:
            # The request was processed (a send is accepted!) but the answer comes too late:
            # exactly the case where a client retry may duplicate a message.
            sandbox.stopping.wait(decision.hold)
        self._send(response)

    def _read_body(self) -> bytes | None:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        raw = self.headers.get("Content-Length") or "0"
        if not raw.isdigit():
            self._refuse(400, "Invalid Content-Length")
            return None
        if int(raw) > MAX_BODY:
            self._refuse(413, "Body too large")
            return None
        return self.rfile.read(int(raw))

    def _read_chunked(self) -> bytes | None:
        chunks, total = [], 0
        while True:
            size_line = self.rfile.readline(1024).split(b";")[0].strip()
            try:
                size = int(size_line, 16)
            except ValueError:
                self._refuse(400, "Invalid chunked body")
                return None
            total += size
            if total > MAX_BODY:
                self._refuse(413, "Body too large")
                return None
            if size == 0:
                while self.rfile.readline(1024).strip():  # trailers
                    pass
                return b"".join(chunks)
            chunks.append(self.rfile.read(size))
            self.rfile.readline(8)  # CRLF after each chunk

    def _refuse(self, status: int, message: str) -> None:
        self.close_connection = True  # the rest of the stream can't be trusted
        self._send(json_response({"error": -status, "message": message, "data": None}, status))

    def _reset(self) -> None:
        # SO_LINGER 0 makes close() send RST: the client sees "connection reset by peer".
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass

    def _send(self, response: Response) -> None:
        try:
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(response.body)))
            for name, value in response.headers:
                self.send_header(name, value)
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(response.body)
        except OSError:
            self.close_connection = True  # the client gave up (e.g. its read timeout)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        # Malformed request lines and unsupported methods get JSON, not http.server's HTML.
        self.close_connection = True
        self._send(
            json_response({"error": -code, "message": message or "Bad request", "data": None}, code)
        )

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        # The path only: a query string could carry something a client shouldn't have put there.
        # Unparsable requests reach here with no command or path.
        path = urlsplit(getattr(self, "path", "") or "").path
        logger.debug("sandbox: %s %s -> %s", self.command, path, code)

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("sandbox %s: " + format, self.address_string(), *args)


class SandboxServer:
    """A fake Zalo ZNS + OAuth server. ``start()`` it, use ``url``, ``stop()`` it."""

    def __init__(
        self,
        host: str = defaults.DEFAULT_HOST,
        port: int = 0,
        *,
        app_id: str = defaults.DEMO_APP_ID,
        app_secret: str = defaults.DEMO_APP_SECRET,
        oa_secret_key: str = defaults.DEMO_OA_SECRET_KEY,
        oa_id: str = defaults.DEMO_OA_ID,
        webhook_url: str | None = None,
        receipt_delay: float = defaults.RECEIPT_DELAY,
        receipt_ratio: float = defaults.RECEIPT_RATIO,
        webhook_ratio: float = defaults.WEBHOOK_RATIO,
        daily_quota: int = defaults.DAILY_QUOTA,
        access_token_ttl: int = defaults.ACCESS_TOKEN_TTL,
        admin_phones: tuple[str, ...] | list[str] = defaults.ADMIN_PHONES,
        unreachable_phones: dict[str, int] | None = None,
        journey_templates: dict[str, list[str] | tuple[str, ...]] | None = None,
        seed: int | None = None,
        faults: dict[str, Any] | None = None,
        webhook_retry_delays: tuple[float, ...] = defaults.WEBHOOK_RETRY_DELAYS,
        webhook_timeout: float = defaults.WEBHOOK_POST_TIMEOUT,
    ) -> None:
        self.host, self._port = host, port
        config = SandboxConfig(
            app_id=app_id,
            app_secret=app_secret,
            oa_secret_key=oa_secret_key,
            oa_id=oa_id,
            webhook_url=webhook_url,
            receipt_delay=receipt_delay,
            receipt_ratio=receipt_ratio,
            webhook_ratio=webhook_ratio,
            daily_quota=daily_quota,
            admin_phones=tuple(admin_phones),
            seed=seed,
            unreachable_phones=dict(
                defaults.UNREACHABLE_PHONES if unreachable_phones is None else unreachable_phones
            ),
            journey_templates=dict(
                defaults.JOURNEY_TEMPLATES if journey_templates is None else journey_templates
            ),
        )
        self.state = SandboxState(config, access_token_ttl=access_token_ttl)
        if faults:
            self.state.faults.update(faults)
        self.app = SandboxApp(self.state)
        self.dispatcher = ReceiptDispatcher(
            self.state, retry_delays=webhook_retry_delays, post_timeout=webhook_timeout
        )
        self.stopping = threading.Event()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("SandboxServer is not started")
        return self._httpd.server_address[1]

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> SandboxServer:
        if self._httpd is not None:
            return self
        self.stopping.clear()
        self._httpd = _HTTPServer((self.host, self._port), self)
        self.dispatcher.start()
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="zns-sandbox-http",
            daemon=True,
        )
        self._thread.start()
        logger.info("sandbox: serving on %s", self.url)
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        self.stopping.set()  # releases held "timeout" connections and latency sleeps
        self._httpd.shutdown()
        self._httpd.close_connections()
        self._httpd.server_close()
        self.dispatcher.stop()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = self._thread = None

    def expire_access_tokens(self) -> int:
        """Expire every access token issued so far, now ("the token expires mid-run"):
        calls with them get -124 until the client refreshes; return how many were live."""
        return self.state.tokens.expire_access_tokens()

    def mint_tokens(self) -> dict[str, str]:
        """A fresh access/refresh pair, for tests and demos running in-process."""
        return self.state.tokens.mint()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
