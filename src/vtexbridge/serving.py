"""Serving an ASGI app with uvicorn in a background thread: the demo, tests and benchmarks.

The listening socket is created with ``IPPROTO_TCP`` on purpose: asyncio only sets ``TCP_NODELAY``
on accepted connections of a socket whose protocol says TCP, and a plain ``socket.socket()`` has
protocol 0, which leaves Nagle's algorithm on and adds ~40 ms to every small response.
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass
from typing import Any

import uvicorn

LOOPBACK = "127.0.0.1"


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
) -> Served:
    """Serve ``app`` on loopback in a daemon thread; return once it accepts connections.

    Raises RuntimeError when uvicorn does not start within ``start_timeout_s``.
    """
    sock = sock if sock is not None else bind(LOOPBACK, port)
    host, actual = sock.getsockname()[:2]
    config = uvicorn.Config(app, log_level=log_level, lifespan="off", access_log=False, log_config=None)
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
