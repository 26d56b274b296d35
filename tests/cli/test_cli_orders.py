"""`vtexbridge orders run --once | status | replay | actions` against a sandbox over HTTP."""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from vtexbridge.cli import build_app
from vtexbridge.orders.consumer import desired_feed_config
from vtexbridge.sandbox.app import create_app
from vtexbridge.sandbox.options import SandboxOptions
from vtexbridge.sandbox.store import Store
from vtexbridge.state import StateStore
from vtexbridge.testing.orders import (
    ADMIN_HEADERS,
    Served,
    add_sellable_sku,
    harness_settings,
    serve_in_thread,
)


@pytest.fixture
def sandbox() -> Iterator[Served]:
    store = Store()
    add_sellable_sku(store, 100)
    served = serve_in_thread(create_app(SandboxOptions(limits="off"), store=store))
    yield served
    served.stop()
    store.close()


def env(tmp_path: Path, sandbox: Served) -> dict[str, str]:
    return {
        "VTEXBRIDGE_VTEX__BASE_URL": sandbox.url,
        "VTEXBRIDGE_VTEX__APP_KEY": ADMIN_HEADERS["X-VTEX-API-AppKey"],
        "VTEXBRIDGE_VTEX__APP_TOKEN": ADMIN_HEADERS["X-VTEX-API-AppToken"],
        "VTEXBRIDGE_STATE__URL": f"sqlite:///{tmp_path / 'state.db'}",
        "VTEXBRIDGE_ORDERS__FEED__EMPTY_POLL_S": "0.05",
        "VTEXBRIDGE_ORDERS__SINK__PATH": str(tmp_path / "erp" / "orders"),
        "VTEXBRIDGE_ORDERS__SINK__FSYNC": "false",
        "VTEXBRIDGE_ORDERS__ACTIONS__FOLDER": str(tmp_path / "erp" / "actions"),
        "VTEXBRIDGE_ORDERS__ACTIONS__MIN_AGE_S": "0",
        "VTEXBRIDGE_LOG__LEVEL": "error",
        "COLUMNS": "220",  # rich wraps long cells in narrow terminals
    }


def run(e: dict[str, str], *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(build_app(), ["orders", *args], env=e)
    return result.exit_code, result.output


def test_run_status_actions_and_replay(tmp_path: Path, sandbox: Served) -> None:
    e = env(tmp_path, sandbox)
    with httpx.Client(base_url=sandbox.url, headers=ADMIN_HEADERS) as api:
        api.post(
            "/api/orders/feed/config", json=desired_feed_config(harness_settings(tmp_path).orders).body()
        )
        a, b = (
            api.post("/_sandbox/orders", json={"items": [{"skuId": "100", "quantity": 1}]}).json()["orderId"]
            for _ in range(2)
        )

    code, out = run(e, "run", "--once")
    assert code == 0, out
    assert "feed: 2 event(s) read" in out and "2 delivered" in out
    assert "inbox: 0 hook notification(s) processed, 0 waiting" in out
    assert "actions: 0 delivered, 0 refused, 0 failed, 0 waiting" in out
    assert (tmp_path / "erp" / "orders" / f"{a}.ready-for-handling.json").exists()

    actions = tmp_path / "erp" / "actions"
    (actions / "inv.json").write_text(
        json.dumps({"type": "invoice", "orderId": a, "invoiceNumber": "NF-1", "issuanceDate": "2024-05-01"})
    )
    (actions / "cancel.json").write_text(json.dumps({"type": "cancel", "orderId": a, "reason": "too late"}))
    code, out = run(e, "run", "--once")
    assert code == 1, out  # VTEX refused the cancellation: cron notices
    assert "action files: 2 read, 0 refused, 2 action(s) queued" in out
    assert "actions: 1 delivered, 1 refused, 0 failed, 0 waiting" in out
    assert "refused: #2 cancel of order" in out and "HTTP 400" in out
    assert "vtexbridge orders requeue 2" in out
    assert (actions / "done" / "inv.json").exists() and (
        actions / "rejected" / "cancel.json.error.json"
    ).exists()

    code, out = run(e, "status")
    assert code == 0, out
    assert a in out and b in out and "handling" in out and "1 action(s) rejected or failed" in out
    assert "invoiced" in out  # VTEX's status now, not the first one seen
    narrow = run({**e, "COLUMNS": "80"}, "status")[1]
    assert max(len(line) for line in narrow.splitlines()) <= 80, narrow
    assert a in narrow and "…" not in narrow  # nothing cut
    assert re.search(r"\d\d-\d\d \d\d:\d\d", narrow)  # short, whole times
    narrower = run({**e, "COLUMNS": "60"}, "status")[1]
    assert max(len(line) for line in narrower.splitlines()) <= 60 and "…" not in narrower, narrower

    code, out = run({**e, "COLUMNS": "80"}, "status", a)
    assert code == 0, out
    assert "ready-for-handling" in out and "invoice NF-1" in out and "handling started" in out
    assert "VTEX status        invoiced" in out
    assert "can no longer be canceled" in " ".join(out.split())
    assert "…" not in out and max(len(line) for line in out.splitlines()) <= 80, out

    code, out = run(e, "status", "--local")
    assert code == 0 and "invoiced" in out  # from the invoice VTEX accepted, without asking VTEX

    code, out = run(e, "status", a, "--json")
    detail = json.loads(out)
    assert detail["deliveries"][0]["status"] == "ready-for-handling" and detail["handlingStartedAt"]
    assert [x["state"] for x in detail["actions"]] == ["done", "rejected"]

    code, out = run(e, "actions")
    assert (
        code == 0
        and "cancel too late" in out
        and "invoiced and can no longer be canceled" in out
        and "cancel.json" in out
    )
    code, out = run(e, "actions", "--json")
    [rejected] = json.loads(out)["actions"]
    assert rejected["vtexStatus"] == 400 and rejected["kind"] == "cancel"
    assert run(e, "actions", "--state", "weird")[0] == 2

    path = tmp_path / "erp" / "orders" / f"{b}.ready-for-handling.json"
    path.unlink()  # the ERP lost it
    code, out = run(e, "replay", b)
    assert code == 0 and "delivered again" in out and f"{b}.handling.json" in out  # its current status

    code, out = run(e, "status", "nope-01")
    assert code == 1 and "not known" in out

    code, out = run(e, "requeue", str(rejected["id"]))
    assert code == 0 and f"#{rejected['id']} cancel too late of order {a}: queued again" in out, out
    code, out = run(e, "requeue", str(rejected["id"]))
    assert code == 1 and "is pending" in out  # only rejected or failed actions
    assert run(e, "requeue", "999")[0] == 1
    code, out = run(e, "run", "--once")
    assert code == 1 and "1 refused" in out  # VTEX refuses it again: still invoiced
    code, out = run(e, "requeue", "--all", "--order", a)
    assert code == 0 and "queued again" in out
    assert run(e, "requeue")[0] == 2


def test_run_needs_credentials(tmp_path: Path) -> None:
    code, out = run({"VTEXBRIDGE_STATE__URL": f"sqlite:///{tmp_path / 's.db'}"}, "run", "--once")
    assert code == 2 and "app_key" in out
    with StateStore.open(f"sqlite:///{tmp_path / 's.db'}", create=True):
        pass


SELLER, MKP_KEY, MKP_TOKEN = "erpseller", "vtexappkey-marketplace-SELLERKEY", "token-that-vtex-presents"


def test_run_sends_a_marketplace_seller_order_invoice_to_the_marketplace(
    tmp_path: Path, sandbox: Served
) -> None:
    """With [marketplace.seller], `orders run` sends a VB- order's invoice to the marketplace's
    services endpoint; `orders actions` lists the marketplace's refusals like VTEX's."""
    import asyncio
    import shutil

    from vtexbridge.cli.serve import marketplace_runtime
    from vtexbridge.marketplace.runtime import attach
    from vtexbridge.orders.service import OrdersService
    from vtexbridge.web.app import create_app as create_web_app

    erp = tmp_path / "erp-snapshot"
    root = Path(__file__).resolve().parents[2]
    shutil.copytree(root / "examples" / "erp", erp, ignore=shutil.ignore_patterns("*.py", "*.md"))
    e = {
        **env(tmp_path, sandbox),
        "VTEXBRIDGE_ERP__PATH": str(erp),
        "VTEXBRIDGE_MARKETPLACE__SELLER__SELLER_ID": SELLER,
        "VTEXBRIDGE_MARKETPLACE__SELLER__APP_KEY": MKP_KEY,
        "VTEXBRIDGE_MARKETPLACE__SELLER__APP_TOKEN": MKP_TOKEN,
        "VTEXBRIDGE_ORDERS__FEED__ENABLED": "false",
    }
    settings = harness_settings(
        tmp_path,
        base_url=sandbox.url,
        erp={"kind": "folder", "path": str(erp)},
        marketplace={"seller": {"seller_id": SELLER, "app_key": MKP_KEY, "app_token": MKP_TOKEN}},
    )

    async def seller_places_an_order() -> dict[str, object]:
        """Our fulfillment endpoint served (as `serve` would) while the marketplace places an order."""
        async with OrdersService(settings) as service:
            runtime = marketplace_runtime(settings, service)
            assert runtime is not None
            await runtime.ready()
            app = create_web_app(settings, state=service.store, client=service.client)
            attach(app, runtime)
            ours = serve_in_thread(app)
            try:
                async with httpx.AsyncClient(base_url=sandbox.url, headers=ADMIN_HEADERS) as api:
                    registered = await api.post(
                        "/_sandbox/marketplace/sellers",
                        json={
                            "sellerId": SELLER,
                            "fulfillmentEndpoint": ours.url + "/marketplace/seller",
                            "appKey": MKP_KEY,
                            "appToken": MKP_TOKEN,
                        },
                    )
                    assert registered.status_code == 201, registered.text
                    placed = await api.post(
                        "/_sandbox/marketplace/orders",
                        json={"sellerId": SELLER, "items": [{"id": "P0001-01", "quantity": 1}]},
                    )
                    assert placed.status_code == 201, placed.text
                    body: dict[str, object] = placed.json()
                    return body
            finally:
                ours.stop()
                await runtime.aclose()

    placed = asyncio.run(seller_places_an_order())
    seller_order, mkp_id = str(placed["sellerOrderId"]), str(placed["marketplaceOrderId"])
    actions = tmp_path / "erp" / "actions"
    actions.mkdir(parents=True, exist_ok=True)
    (actions / "inv.json").write_text(
        json.dumps(
            {
                "type": "invoice",
                "orderId": seller_order,
                "invoiceNumber": "NF-9",
                "issuanceDate": "2026-05-02",
            }
        )
    )
    (actions / "trk.json").write_text(
        json.dumps(
            {"type": "tracking", "orderId": seller_order, "invoiceNumber": "NF-0", "trackingNumber": "X1"}
        )
    )
    code, out = run(e, "run", "--once")
    assert code == 1, out  # the marketplace refused the tracking of an unknown invoice
    assert "actions: 1 delivered, 1 refused, 0 failed" in out
    with httpx.Client(base_url=sandbox.url, headers=ADMIN_HEADERS) as api:
        mkp_order = api.get(f"/_sandbox/marketplace/orders/{mkp_id}").json()
        oms_invoices = api.get(
            "/_sandbox/requests", params={"route": "/api/oms/pvt/orders/{orderId}/invoice"}
        ).json()
    assert [i["invoiceNumber"] for i in mkp_order["invoices"]] == ["NF-9"]
    assert oms_invoices["total"] == 0
    code, out = run(e, "actions", "--json")
    [refused] = json.loads(out)["actions"]
    assert refused["orderId"] == seller_order and refused["kind"] == "tracking"
    assert refused["state"] == "rejected" and refused["vtexStatus"] == 400


def test_status_shows_a_partly_invoiced_order_as_such(tmp_path: Path, sandbox: Served) -> None:
    e = env(tmp_path, sandbox)
    with httpx.Client(base_url=sandbox.url, headers=ADMIN_HEADERS) as api:
        api.post(
            "/api/orders/feed/config", json=desired_feed_config(harness_settings(tmp_path).orders).body()
        )
        placed = api.post("/_sandbox/orders", json={"items": [{"skuId": "100", "quantity": 2}]}).json()
    order_id, value = placed["orderId"], int(placed["value"])
    assert run(e, "run", "--once")[0] == 0
    half = value // 2
    (tmp_path / "erp" / "actions" / "half.json").write_text(
        json.dumps(
            {
                "type": "invoice",
                "orderId": order_id,
                "invoiceNumber": "NF-HALF",
                "issuanceDate": "2024-05-01",
                "invoiceValueCents": half,
                "items": [{"id": "100", "priceCents": half, "quantity": 1}],
            }
        )
    )
    code, out = run(e, "run", "--once")
    assert code == 0 and "actions: 1 delivered, 0 refused" in out, out

    code, out = run({**e, "COLUMNS": "80"}, "status", order_id)
    assert code == 0, out
    assert f"partly invoiced ({half / 100:.2f} of {value / 100:.2f})" in " ".join(out.split()), out
    code, out = run(e, "status", "--local")  # what VTEX said last is kept for the dashboard
    assert "handling, partly invoiced" in out, out


def test_run_once_stops_and_says_so_when_vtex_does_not_answer(tmp_path: Path) -> None:
    """Under cron, `orders run --once` must end (non-zero) when VTEX is unreachable, not wait forever."""
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there
    e = {
        "VTEXBRIDGE_VTEX__BASE_URL": f"http://127.0.0.1:{port}",
        "VTEXBRIDGE_VTEX__APP_KEY": ADMIN_HEADERS["X-VTEX-API-AppKey"],
        "VTEXBRIDGE_VTEX__APP_TOKEN": ADMIN_HEADERS["X-VTEX-API-AppToken"],
        "VTEXBRIDGE_VTEX__MAX_RETRIES": "0",
        "VTEXBRIDGE_STATE__URL": f"sqlite:///{tmp_path / 'state.db'}",
        "VTEXBRIDGE_ORDERS__SINK__PATH": str(tmp_path / "erp" / "orders"),
        "VTEXBRIDGE_LOG__LEVEL": "error",
    }
    code, out = run(e, "run", "--once")
    assert code != 0, out
    assert "cannot connect" in out and "/api/orders/feed/config" in out
