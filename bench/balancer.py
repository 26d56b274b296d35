"""A round-robin TCP balancer for the orders bench: ``python bench/balancer.py PORT BACKEND_PORT...``.

Two ``serve`` processes behind one hook URL, as in production behind a load balancer. VTEX's hook
(and the sandbox's) POSTs each notification on a new connection, so balancing connections balances
notifications; a backend that refuses a connection is skipped (the next one gets it), as a load
balancer's health check would. Hand-written because it is twenty lines of asyncio streams and a
bench should not need nginx or HAProxy installed; it is not part of vtexbridge.
"""

from __future__ import annotations

import asyncio
import itertools
import sys


async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        writer.close()


async def main(port: int, backends: list[int]) -> None:
    turn = itertools.cycle(backends)

    async def handle(client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        for _ in backends:  # a backend that refuses (not started yet, stopping) is skipped
            try:
                server_r, server_w = await asyncio.open_connection("127.0.0.1", next(turn))
            except OSError:
                continue
            await asyncio.gather(pipe(client_r, server_w), pipe(server_r, client_w))
            return
        client_w.close()

    server = await asyncio.start_server(handle, "127.0.0.1", port)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), [int(p) for p in sys.argv[2:]]))
