"""Serving an ASGI app with uvicorn in a background thread: the demo, tests and benchmarks.

The listening socket is created with ``IPPROTO_TCP`` on purpose: asyncio only sets ``TCP_NODELAY``
on accepted connections of a socket whose protocol says TCP, and a plain ``socket.socket()`` has
protocol 0, which leaves Nagle's algorithm on and adds ~40 ms to every small response.

:func:`server_config` is the one uvicorn configuration of ``vtexbridge serve`` and of these threads:
besides uvicorn's keep-alive timeout it closes a connection whose request line and headers do not
arrive within ``header_timeout_s`` (uvicorn has no such timeout: a client that opens a connection
and sends half a request would hold it forever); the body's own timeout and size limit are the
app's (:mod:`vtexbridge.web.edge`).
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

LOOPBACK = "127.0.0.1"
HEADER_TIMEOUT_S = 10.0
KEEP_ALIVE_S = 5
_TIMED_OUT = b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"


class _TimedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline on each request's line and headers."""

    header_timeout_s: float = HEADER_TIMEOUT_S
    _header_timer: asyncio.TimerHandle | None = None
    _partial = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self._awaiting_headers():
            self._partial = True
            if self._header_timer is None:  # a next request began: its headers get the same deadline
                self._arm()
        else:
            self._partial = False
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None

    def connection_lost(self, exc: Exception | None) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None
        super().connection_lost(exc)

    def _awaiting_headers(self) -> bool:
        return self.cycle is None or self.cycle.response_complete

    def _arm(self) -> None:
        self._header_timer = self.loop.call_later(self.header_timeout_s, self._headers_timed_out)

    def _headers_timed_out(self) -> None:
        self._header_timer = None
        if self.transport.is_closing() or not self._awaiting_headers():
            return
        if self._partial:
            self.transport.write(_TIMED_OUT)  # a partial request: say why; an idle connection: just close
        self.transport.close()


def timed_protocol(header_timeout_s: float) -> type[H11Protocol]:
    """The h11 protocol class closing connections whose headers take longer than ``header_timeout_s``."""
    return type("TimedH11Protocol", (_TimedH11Protocol,), {"header_timeout_s": header_timeout_s})


def server_config(
    app: Any,
    *,
    header_timeout_s: float = HEADER_TIMEOUT_S,
    keep_alive_s: int = KEEP_ALIVE_S,
    **options: Any,
) -> uvicorn.Config:
    """The uvicorn configuration of every server we run (``options`` as :class:`uvicorn.Config`'s)."""
    return uvicorn.Config(
        app,
        http=timed_protocol(header_timeout_s),
        timeout_keep_alive=keep_alive_s,
        access_log=False,
        log_config=None,
        **options,
    )


def bind(host: str = LOOPBACK, port: int = 0) -> socket.socket:
    """A TCP socket bound to ``host:port`` (``port`` 0: a free one); raises OSError when taken."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


@dataclass(frozen=True)
class Served:
    """An app served on ``url`` by ``server`` in ``thread``; ``stop()`` ends it."""

    url: str
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def serve_in_thread(
    app: Any,
    *,
    sock: socket.socket | None = None,
    port: int = 0,
    name: str = "uvicorn",
    log_level: str = "critical",
    start_timeout_s: float = 15.0,
    header_timeout_s: float = HEADER_TIMEOUT_S,
    keep_alive_s: int = KEEP_ALIVE_S,
) -> Served:
    """Serve ``app`` on loopback in a daemon thread; return once it accepts connections.

    Raises RuntimeError when uvicorn does not start within ``start_timeout_s``.
    """
    sock = sock if sock is not None else bind(LOOPBACK, port)
    host, actual = sock.getsockname()[:2]
    config = server_config(
        app,
        header_timeout_s=header_timeout_s,
        keep_alive_s=keep_alive_s,
        log_level=log_level,
        lifespan="off",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True, name=name)
    thread.start()
    deadline = time.monotonic() + start_timeout_s
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            server.should_exit = True
            raise RuntimeError(f"{name} did not start within {start_timeout_s:g} s")
        time.sleep(0.01)
    return Served(f"http://{host}:{actual}", server, thread)
