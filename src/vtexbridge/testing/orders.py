"""A test harness for the order pipeline: the sandbox in process, a state store, an
:class:`~vtexbridge.orders.service.OrdersService` wired to both, and shortcuts to place orders and
drop action files.

    async with OrdersHarness(tmp_path) as h:
        ids = await h.place(10)
        await h.service.run(once=True)
        assert len(h.order_files()) == 10

Everything runs on the test's event loop without sockets: the VTEX client reaches the sandbox
through ``httpx.ASGITransport``, and (with :meth:`OrdersHarness.wire_hook`) the sandbox's hook
deliveries reach the ``serve`` app the same way.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
from fastapi import FastAPI
from starlette.applications import Starlette

from vtexbridge.clock import Clock
from vtexbridge.config import Settings
from vtexbridge.erp.sinks import Sink
from vtexbridge.orders.service import OrdersService
from vtexbridge.sandbox.app import create_app as create_sandbox
from vtexbridge.sandbox.options import DEFAULT_APP_KEY, DEFAULT_APP_TOKEN, SandboxOptions
from vtexbridge.sandbox.orderflow import orders_runtime
from vtexbridge.sandbox.store import Store
from vtexbridge.serving import Served, bind, serve_in_thread
from vtexbridge.state import StateStore

__all__ = [
    "HOOK_SECRET",
    "SANDBOX_HOST",
    "SANDBOX_URL",
    "OrdersHarness",
    "Served",
    "add_sellable_sku",
    "free_port",
    "harness_settings",
    "serve_in_thread",
]

SANDBOX_HOST = "sandbox.vtexcommercestable.com.br"
SANDBOX_URL = "http://sandbox.test"
HOOK_SECRET = "hook-secret-for-tests"
ACTIONS_TOKEN = "actions-token-for-tests"
ADMIN_HEADERS = {
    "X-VTEX-API-AppKey": DEFAULT_APP_KEY,
    "X-VTEX-API-AppToken": DEFAULT_APP_TOKEN,
    "Host": SANDBOX_HOST,
}


def add_sellable_sku(
    store: Store, sku_id: int = 100, *, price: float = 49.9, stock: int = 1_000_000, account: str = "sandbox"
) -> str:
    """A SKU the sandbox can sell (product, brand, price, stock in warehouse ``wh1``), written
    straight into the sandbox's store."""
    product_id = 10_000 + sku_id
    store.table(account, "brand")["2000001"] = {"Id": 2000001, "Name": "Marca", "Active": True}
    store.table(account, "product")[str(product_id)] = {
        "Id": product_id,
        "Name": f"Produto {sku_id}",
        "DepartmentId": 1,
        "CategoryId": 2,
        "BrandId": 2000001,
        "LinkId": f"produto-{sku_id}",
        "RefId": f"P{sku_id}",
        "IsActive": True,
    }
    store.table(account, "sku")[str(sku_id)] = {
        "Id": sku_id,
        "ProductId": product_id,
        "IsActive": True,
        "Name": "Azul M",
        "RefId": f"SKU-{sku_id}",
        "PackagedHeight": 10,
        "PackagedLength": 20,
        "PackagedWidth": 5,
        "PackagedWeightKg": 0.4,
        "MeasurementUnit": "un",
        "UnitMultiplier": 1,
    }
    store.table(account, "price")[str(sku_id)] = {
        "itemId": str(sku_id),
        "listPrice": price,
        "costPrice": price,
        "markup": 0,
        "basePrice": price,
        "fixedPrices": [],
    }
    store.table(account, "inventory")[f"{sku_id}:wh1"] = {
        "skuId": str(sku_id),
        "warehouseId": "wh1",
        "quantity": stock,
        "unlimitedQuantity": False,
        "leadTime": "00:00:00",
        "dateUtcOnBalanceSystem": "2024-01-01T00:00:00Z",
        "reservedQuantity": 0,
    }
    return str(sku_id)


def free_port() -> int:
    """A loopback port free right now (for a server started in another process)."""
    with bind() as sock:
        port: int = sock.getsockname()[1]
        return port


def _merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def harness_settings(
    root: Path, *, base_url: str = SANDBOX_URL, state_url: str | None = None, **overrides: Any
) -> Settings:
    """Settings for a pipeline against the sandbox, everything under ``root``, fast intervals.

    ``overrides`` are merged into the settings tree (``orders={"start_handling": False}``).
    """
    tree: dict[str, Any] = {
        "vtex": {
            "account": "sandbox",
            "base_url": base_url,
            "app_key": DEFAULT_APP_KEY,
            "app_token": DEFAULT_APP_TOKEN,
            "max_retries": 2,
            "backoff_base_s": 0.01,
            "backoff_max_s": 0.05,
        },
        "state": {"url": state_url or f"sqlite:///{root / 'state.db'}"},
        "orders": {
            "feed": {"empty_poll_s": 0.01, "visibility_timeout_s": 2, "error_backoff_s": 0.05},
            "hook": {"secret": HOOK_SECRET, "inbox_poll_s": 0.05, "retry_backoff_s": 0.05},
            "sink": {"kind": "folder", "path": str(root / "erp" / "orders"), "fsync": False},
            "actions": {
                "folder": str(root / "erp" / "actions"),
                "min_age_s": 0,
                "scan_interval_s": 0.05,
                "poll_s": 0.05,
                "backoff_s": 0.05,
                "backoff_max_s": 0.2,
                "api_token": ACTIONS_TOKEN,
            },
        },
    }
    return Settings.model_validate(_merge(tree, overrides))


class OrdersHarness:
    """The sandbox, a state store and an :class:`OrdersService`, in process (an async context manager).

    Args:
        root: a temporary folder (state database, ERP folders).
        skus: SKU ids made sellable in the sandbox.
        options: sandbox options; clock: the sandbox's and the service's clock.
        state_url: the state database (default: SQLite under ``root``; a PostgreSQL URL works too).
        sink: replaces the folder sink.
        wrap_transport: wraps the client's way to the sandbox (a test that loses answers, ...).
        overrides: merged into the settings (see :func:`harness_settings`).
    """

    def __init__(
        self,
        root: Path,
        *,
        skus: tuple[int, ...] = (100,),
        options: SandboxOptions | None = None,
        clock: Clock | None = None,
        state_url: str | None = None,
        sink: Sink | None = None,
        wrap_transport: Callable[[httpx.AsyncBaseTransport], httpx.AsyncBaseTransport] | None = None,
        **overrides: Any,
    ) -> None:
        self.root = Path(root)
        self.sandbox_store = Store()
        for sku in skus:
            add_sellable_sku(self.sandbox_store, sku)
        self.skus = skus
        self.sandbox: Starlette = create_sandbox(
            options or SandboxOptions(limits="off"), store=self.sandbox_store, clock=clock
        )
        self.admin = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.sandbox),
            base_url=f"http://{SANDBOX_HOST}",
            headers=ADMIN_HEADERS,
            timeout=30,
        )
        self.settings = harness_settings(self.root, state_url=state_url, **overrides)
        assert self.settings.state.url
        self.state = StateStore.open(self.settings.state.url, create=True, clock=clock)
        self.service = OrdersService(
            self.settings,
            store=self.state,
            clock=clock,
            sink=sink,
            http_transport=(wrap_transport or (lambda t: t))(httpx.ASGITransport(app=self.sandbox)),
        )
        self.web: FastAPI | None = None

    async def __aenter__(self) -> OrdersHarness:
        if self.settings.orders.feed.enabled:
            await self.service.consumer.ensure_config()  # a feed only sees events after it exists
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        deliverer = orders_runtime(self.sandbox.state.sandbox).deliverer
        deliverer.cancel()
        await self.service.aclose()
        await self.admin.aclose()
        self.state.close()
        self.sandbox_store.close()

    # --- the sandbox ------------------------------------------------------------------------------

    async def place(self, n: int = 1, **body: Any) -> list[str]:
        """Place ``n`` orders (``POST /_sandbox/orders``) of one unit of the first SKU; their ids."""
        body.setdefault("items", [{"skuId": str(self.skus[0]), "quantity": 1}])
        ids = []
        for _ in range(n):
            r = await self.admin.post("/_sandbox/orders", json=body)
            assert r.status_code == 201, r.text
            ids.append(str(r.json()["orderId"]))
        return ids

    async def order(self, order_id: str) -> dict[str, Any]:
        """The sandbox's order document (``GET /_sandbox/orders/{id}``: ``order``, ``events``...)."""
        r = await self.admin.get(f"/_sandbox/orders/{order_id}")
        assert r.status_code == 200, r.text
        doc: dict[str, Any] = r.json()
        return doc

    async def statuses(self) -> dict[str, str]:
        """Every order's status in the sandbox."""
        r = await self.admin.get("/_sandbox/orders")
        return {o["orderId"]: o["status"] for o in r.json()["orders"]}

    async def feed_options(self, **options: Any) -> None:
        r = await self.admin.post("/_sandbox/feed/options", json=options)
        assert r.status_code == 200, r.text

    async def requests(self, route: str | None = None, method: str | None = None) -> int:
        """How many requests the sandbox answered (optionally of one route template and method)."""
        params = {k: v for k, v in {"route": route, "method": method}.items() if v}
        r = await self.admin.get("/_sandbox/requests", params=params)
        total: int = r.json()["total"]
        return total

    def web_app(self) -> FastAPI:
        """The ``serve`` app over the same state store and wake-up events as the service."""
        if self.web is None:
            from vtexbridge.web.app import create_app

            self.web = create_app(
                self.settings, state=self.state, client=self.service.client, wakeups=self.service.wakeups
            )
        return self.web

    def wire_hook(self) -> FastAPI:
        """Make the sandbox's hook deliveries (and its ping) reach :meth:`web_app` in process."""
        app = self.web_app()
        orders_runtime(self.sandbox.state.sandbox).deliverer.transport = httpx.ASGITransport(app=app)
        return app

    # --- the ERP side --------------------------------------------------------------------------------

    @property
    def orders_folder(self) -> Path:
        return Path(self.settings.orders.sink.path)

    @property
    def actions_folder(self) -> Path:
        folder = self.settings.orders.actions.folder
        assert folder is not None
        return Path(folder)

    def order_files(self) -> list[Path]:
        """The folder sink's order files (not its temporary files)."""
        if not self.orders_folder.exists():
            return []
        return sorted(
            p for p in self.orders_folder.iterdir() if p.suffix == ".json" and not p.name.startswith(".")
        )

    def drop_action(self, name: str, content: Any) -> Path:
        """Write an action file into the actions folder the way an ERP should (temp name, rename)."""
        self.actions_folder.mkdir(parents=True, exist_ok=True)
        text = content if isinstance(content, str) else json.dumps(content, indent=2)
        tmp = self.actions_folder / f".{name}.tmp"
        tmp.write_text(text, encoding="utf-8")
        target = self.actions_folder / name
        tmp.replace(target)
        return target
