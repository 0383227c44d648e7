"""Fixtures: a sandbox on a free loopback port, a requests session, a webhook receiver."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests

from zns_notify.sandbox import SandboxServer
from zns_notify.sandbox.catalogue import demo_templates

ADMIN_PHONE = "84987654321"
PHONE = "84912345678"


def sample(template_id: str = "100001", **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = dict(demo_templates()[template_id].sample_data())
    data.update(overrides)
    return data


@dataclass
class Zalo:
    """A thin client for the sandbox: just enough to keep tests readable."""

    server: SandboxServer
    http: requests.Session
    token: str

    @property
    def url(self) -> str:
        return self.server.url

    def send(
        self, path: str = "/message/template", *, token: str | None = None, **body: Any
    ) -> dict[str, Any]:
        payload = {"phone": PHONE, "template_id": "100001", "template_data": sample(), **body}
        payload = {k: v for k, v in payload.items() if v is not ...}
        return self.post(path, json=payload, token=token)

    def post(self, path: str, *, token: str | None = None, **kwargs: Any) -> dict[str, Any]:
        headers = {"access_token": self.token if token is None else token}
        response = self.http.post(self.url + path, headers=headers, timeout=5, **kwargs)
        assert response.status_code == 200, response.text
        return response.json()

    def get(self, path: str, *, token: str | None = None, **params: Any) -> dict[str, Any]:
        headers = {"access_token": self.token if token is None else token}
        response = self.http.get(self.url + path, headers=headers, params=params, timeout=5)
        assert response.status_code == 200, response.text
        return response.json()

    def inspect(self, path: str, **params: Any) -> Any:
        response = self.http.get(f"{self.url}/_sandbox/{path}", params=params, timeout=5)
        assert response.status_code == 200, response.text
        return response.json()

    def knob(self, path: str, body: dict[str, Any]) -> requests.Response:
        return self.http.post(f"{self.url}/_sandbox/{path}", json=body, timeout=5)


def start_sandbox(**kwargs: Any) -> SandboxServer:
    kwargs.setdefault("seed", 7)
    kwargs.setdefault("receipt_delay", 0.05)
    kwargs.setdefault("webhook_retry_delays", (0.05, 0.1, 0.2))
    return SandboxServer(**kwargs).start()


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        session.trust_env = False  # loopback only: never route through an environment proxy
        yield session


@pytest.fixture
def make_sandbox() -> Iterator[Any]:
    """Factory for sandboxes with custom knobs; all are stopped at teardown."""
    servers: list[SandboxServer] = []

    def make(**kwargs: Any) -> SandboxServer:
        servers.append(start_sandbox(**kwargs))
        return servers[-1]

    yield make
    for server in servers:
        server.stop()


@pytest.fixture
def sandbox(make_sandbox: Any) -> SandboxServer:
    return make_sandbox()


@pytest.fixture
def zalo(sandbox: SandboxServer, http: requests.Session) -> Zalo:
    return Zalo(sandbox, http, sandbox.mint_tokens()["access_token"])


@pytest.fixture
def make_zalo(make_sandbox: Any, http: requests.Session) -> Any:
    def make(**kwargs: Any) -> Zalo:
        server = make_sandbox(**kwargs)
        return Zalo(server, http, server.mint_tokens()["access_token"])

    return make


@dataclass
class Receiver:
    """A tiny webhook endpoint that records posts and answers scripted status codes."""

    url: str = ""
    statuses: list[int] = field(default_factory=list)  # answered in order, then 200
    posts: list[dict[str, Any]] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def wait_for(self, count: int, timeout: float = 5.0) -> list[dict[str, Any]]:
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.posts) >= count, timeout=timeout)
            return list(self.posts)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    recv = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            status = recv.statuses.pop(0) if recv.statuses else 200
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()
            with recv.arrived:
                recv.posts.append({"headers": dict(self.headers), "raw": raw, "status": status})
                recv.arrived.notify_all()

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    recv.url = f"http://127.0.0.1:{httpd.server_address[1]}/zns/webhook/"
    yield recv
    httpd.shutdown()
    httpd.server_close()
