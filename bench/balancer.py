"""A round-robin TCP balancer for the orders bench: ``python bench/balancer.py PORT BACKEND_PORT...``.

Two ``serve`` processes behind one hook URL, as in production behind a load balancer. VTEX's hook
(and the sandbox's) POSTs each notification on a new connection, so balancing connections balances
notifications. Hand-written because it is twenty lines of asyncio streams and a bench should not
need nginx or HAProxy installed; it is not part of vtexbridge.
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
        try:
            server_r, server_w = await asyncio.open_connection("127.0.0.1", next(turn))
        except OSError:
            client_w.close()
            return
        await asyncio.gather(pipe(client_r, server_w), pipe(server_r, client_w))

    server = await asyncio.start_server(handle, "127.0.0.1", port)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), [int(p) for p in sys.argv[2:]]))
