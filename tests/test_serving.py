from __future__ import annotations

import socket

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from vtexbridge.serving import bind, serve_in_thread


def _app() -> Starlette:
    async def hello(_request: object) -> PlainTextResponse:
        return PlainTextResponse("hi")

    return Starlette(routes=[Route("/", hello)])


def test_serves_on_a_free_port_and_stops() -> None:
    served = serve_in_thread(_app())
    try:
        assert httpx.get(served.url + "/").text == "hi"
    finally:
        served.stop()
    assert not served.thread.is_alive()


def test_socket_is_tcp_so_asyncio_sets_nodelay() -> None:
    # asyncio enables TCP_NODELAY only for sockets whose protocol is IPPROTO_TCP; with protocol 0
    # every small response waits for Nagle + delayed ACK (~40 ms).
    sock = bind()
    try:
        assert sock.proto == socket.IPPROTO_TCP
    finally:
        sock.close()


def test_taken_port_is_an_os_error() -> None:
    first = bind()
    first.listen()
    try:
        with pytest.raises(OSError):
            bind(port=first.getsockname()[1]).close()
    finally:
        first.close()
