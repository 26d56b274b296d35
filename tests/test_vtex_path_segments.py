"""Every path value the VTEX client puts in a route stays one segment (issue #11): an order id ``..``
must never turn ``/api/oms/pvt/orders/{orderId}/start-handling`` into another route of VTEX's, with
our credentials. Counted at the boundary: the requests that reached the (mock) network."""

from __future__ import annotations

import httpx
import pytest

from vtexbridge.vtex.client import VtexClient
from vtexbridge.vtex.paths import BadPathValue, segments
from vtexbridge.vtex.settings import VtexSettings

SETTINGS = VtexSettings.model_validate(
    {"account": "acme", "app_key": "vtexappkey-acme-KEY", "app_token": "app-token-value"}
)


@pytest.fixture
def seen() -> list[httpx.Request]:
    return []


@pytest.fixture
async def client(seen: list[httpx.Request]) -> VtexClient:
    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={})

    return VtexClient.from_settings(SETTINGS, http_transport=httpx.MockTransport(answer))


@pytest.mark.parametrize("order_id", ["..", ".", "", "a\x00b", "a\nb"])
async def test_dot_segments_never_reach_the_network(
    client: VtexClient, seen: list[httpx.Request], order_id: str
) -> None:
    for call in (
        lambda: client.orders.start_handling(order_id),
        lambda: client.orders.get_order(order_id),
        lambda: client.marketplace.authorize_dispatch(order_id, "M-1", affiliate_id="BRG"),
    ):
        with pytest.raises(BadPathValue):
            await call()
    assert seen == []
    await client.aclose()


async def test_other_characters_are_escaped_within_their_segment(
    client: VtexClient, seen: list[httpx.Request]
) -> None:
    await client.orders.start_handling("../../api/catalog?x=1#y")
    [request] = seen
    assert request.url.raw_path == b"/api/oms/pvt/orders/..%2F..%2Fapi%2Fcatalog%3Fx%3D1%23y/start-handling"
    await client.aclose()


def test_segments_passes_ids_through() -> None:
    assert segments(orderId="1300000000001-01", skuId=5) == {"orderId": "1300000000001-01", "skuId": 5}
