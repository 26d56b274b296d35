"""Bounded inputs over real sockets (issue #11): bodies refused while streaming, before authentication;
half-open and slow requests closed within the configured time.

The count is taken at the boundary: how many bytes the server let the client put on the socket
before it answered and closed (a server that buffers the whole body takes all 50 MB).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from vtexbridge.config import Settings
from vtexbridge.serving import Served, serve_in_thread
from vtexbridge.state import StateStore
from vtexbridge.web.app import create_app

BIG = 50 * 1024 * 1024
CHUNK = 64 * 1024
HEADER_TIMEOUT = 1.0
BODY_TIMEOUT = 1.0
# loopback socket buffers let a client write a few MB before the server reads anything
MOST_A_REFUSING_SERVER_LETS_THROUGH = 16 * 1024 * 1024

MKP = {
    "seller": {"seller_id": "erpseller", "app_key": "k" * 8, "app_token": "t" * 8},
    "affiliate": {"affiliate_id": "BRG", "secret": "affiliate-secret"},
}
ROUTES = [
    "/hooks/vtex/orders",
    "/actions/invoice",
    "/marketplace/seller/pvt/orders",
    "/marketplace/affiliate/api/notification",
    "/dashboard/errors/retry",
    "/no/such/route",
]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    settings = Settings.model_validate(
        {
            "vtex": {"account": "acme"},
            "orders": {"hook": {"secret": "hook-secret"}, "actions": {"api_token": "api-token"}},
            "web": {"body_timeout_s": BODY_TIMEOUT},
            "marketplace": MKP,
        }
    )
    with StateStore.open(f"sqlite:///{tmp_path / 's.db'}", create=True) as store:
        server = serve_in_thread(create_app(settings, state=store), header_timeout_s=HEADER_TIMEOUT)
        yield server
        server.stop()


def _address(served: Served) -> tuple[str, int]:
    host, port = served.url.removeprefix("http://").split(":")
    return host, int(port)


def _upload(served: Served, path: str, *, chunked: bool) -> tuple[int, bytes]:
    """POST a 50 MB body without credentials; (bytes the server took, its answer)."""
    sock = socket.create_connection(_address(served), timeout=30)
    length = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {BIG}"
    sock.sendall(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{length}\r\n\r\n".encode())
    sent = 0
    chunk = (f"{CHUNK:x}\r\n".encode() + b"x" * CHUNK + b"\r\n") if chunked else b"x" * CHUNK
    try:
        while sent < BIG:
            sock.sendall(chunk)
            sent += CHUNK
    except OSError:  # the server answered and closed: the rest is never read
        pass
    answer = b""
    try:
        while data := sock.recv(65536):
            answer += data
    except OSError:
        pass
    sock.close()
    return sent, answer


@pytest.mark.parametrize("path", ROUTES)
@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_50_mb_body_is_refused_while_streaming_without_credentials(
    served: Served, path: str, chunked: bool
) -> None:
    sent, answer = _upload(served, path, chunked=chunked)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert sent < MOST_A_REFUSING_SERVER_LETS_THROUGH, f"the server took {sent} bytes of {path}"


def test_four_parallel_50_mb_uploads_to_the_hook_are_all_refused(served: Served) -> None:
    results: list[tuple[int, bytes]] = []

    def upload() -> None:
        results.append(_upload(served, "/hooks/vtex/orders", chunked=True))

    threads = [threading.Thread(target=upload) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(results) == 4
    for sent, answer in results:
        assert answer.startswith(b"HTTP/1.1 413") and sent < MOST_A_REFUSING_SERVER_LETS_THROUGH


def _closed_within(sock: socket.socket, seconds: float) -> tuple[bool, bytes]:
    """Whether the server closed ``sock`` within ``seconds`` (and what it said before)."""
    sock.settimeout(seconds)
    answer = b""
    try:
        while data := sock.recv(4096):
            answer += data
    except TimeoutError:
        return False, answer
    except OSError:
        pass
    return True, answer


def test_half_open_requests_are_closed_within_the_header_timeout(served: Served) -> None:
    socks = []
    for n in range(200):
        sock = socket.create_connection(_address(served), timeout=5)
        if n % 2:
            sock.sendall(b"POST /hooks/vtex/orders HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-")  # never ends
        socks.append(sock)
    started = time.monotonic()
    # the bound is the configured timeout plus scheduling slack on a shared 2-core machine
    outcomes = [_closed_within(s, HEADER_TIMEOUT + 10) for s in socks]
    waited = time.monotonic() - started
    for s in socks:
        s.close()
    assert all(closed for closed, _ in outcomes), f"{sum(not c for c, _ in outcomes)} of 200 still open"
    assert all(answer.startswith(b"HTTP/1.1 408") for closed, answer in outcomes[1::2])
    assert waited < HEADER_TIMEOUT + 10


def test_a_body_that_never_arrives_is_answered_408(served: Served) -> None:
    sock = socket.create_connection(_address(served), timeout=5)
    sock.sendall(b"POST /actions/invoice HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n{")
    closed, answer = _closed_within(sock, BODY_TIMEOUT + 10)
    sock.close()
    assert closed and answer.startswith(b"HTTP/1.1 408"), answer[:200]


def test_an_idle_kept_alive_connection_is_closed(tmp_path: Path) -> None:
    with StateStore.open(f"sqlite:///{tmp_path / 's.db'}", create=True) as store:
        server = serve_in_thread(create_app(Settings(), state=store), keep_alive_s=1)
        try:
            sock = socket.create_connection(_address(server), timeout=5)
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            closed, answer = _closed_within(sock, 10)
            sock.close()
        finally:
            server.stop()
    assert answer.startswith(b"HTTP/1.1 200") and closed
