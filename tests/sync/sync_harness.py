"""Test support for the sync: an in-process sandbox, settings pointing at it, a sync in one call, and
an independent check that the sandbox holds what the ERP says, field by field.

The check does not use the sync's mapping: it states what VTEX should hold in its own words (a SKU's
packaged weight in grams, a product's trade policies as integers ...), so that a bug in the mapping
cannot hide behind itself. VTEX ids are matched by RefId (products, SKUs), by name (categories under
their parent, brands, specification fields and values), by e-mail (customers).
"""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import httpx

from vtexbridge.clock import Clock, FakeClock
from vtexbridge.config import Settings
from vtexbridge.erp import FolderReader
from vtexbridge.erp.config import ErpSettings
from vtexbridge.erp.records import Entity, Record
from vtexbridge.sandbox.app import create_app
from vtexbridge.sandbox.faults import ConnectionDropped
from vtexbridge.sandbox.options import DEFAULT_APP_KEY, DEFAULT_APP_TOKEN, SandboxOptions
from vtexbridge.sandbox.rules.catalog import default_sales_channel
from vtexbridge.sandbox.store import Store
from vtexbridge.state.settings import StateSettings
from vtexbridge.sync.config import SyncSettings
from vtexbridge.sync.runner import SyncOptions, SyncOutcome, run_sync
from vtexbridge.vtex.settings import VtexSettings

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_ERP = ROOT / "examples" / "erp"
ACCOUNT = "sandbox"


def seed_trade_policies(store: Store, account: str = ACCOUNT) -> None:
    """Trade policy 2 (the example store sells in 1 and 2; a VTEX account has only 1 at first)."""
    store.table(account, "saleschannel")["2"] = {**default_sales_channel(), "Id": 2, "Name": "Atacado"}


class _Dropping(httpx.AsyncBaseTransport):
    """The ASGI transport, with a dropped connection surfacing as httpx does over a socket."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return await self.inner.handle_async_request(request)
        except ConnectionDropped as e:
            raise httpx.RemoteProtocolError(str(e), request=request) from e


class Sandbox:
    """The sandbox in process, sharing a fake clock with the client (sleeps and rate limits are instant)."""

    def __init__(self, *, limits: str = "off", clock: Clock | None = None) -> None:
        self.clock = clock or FakeClock()
        self.store = Store()
        seed_trade_policies(self.store)
        options = SandboxOptions(limits=limits)  # type: ignore[arg-type]
        self.app = create_app(options, store=self.store, clock=self.clock)
        self.transport: httpx.AsyncBaseTransport = _Dropping(httpx.ASGITransport(app=self.app))
        self.admin = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url="http://127.0.0.1"
        )

    async def cursor(self) -> int:
        return int((await self.admin.get("/_sandbox/requests")).json()["cursor"])

    async def writes(self, since: int) -> dict[str, int]:
        body = (await self.admin.get(f"/_sandbox/requests?since={since}&writes=1")).json()
        return {k: v for k, v in body["counts"].items() if v}

    async def requests(self, since: int) -> dict[str, Any]:
        return dict((await self.admin.get(f"/_sandbox/requests?since={since}")).json())

    async def faults(self, spec: str, seed: int = 1) -> None:
        r = await self.admin.post("/_sandbox/faults", json={"spec": spec, "seed": seed})
        assert r.status_code == 200, r.text

    async def dump(self) -> dict[str, Any]:
        catalog = (await self.admin.get("/_sandbox/catalog")).json()
        prices = (await self.admin.get("/_sandbox/prices")).json()["prices"]
        logistics = (await self.admin.get("/_sandbox/inventory")).json()
        customers = (await self.admin.get("/_sandbox/documents/CL")).json()
        addresses = (await self.admin.get("/_sandbox/documents/AD")).json()
        return {
            **catalog,
            "prices": prices,
            **logistics,
            "CL": _documents(customers),
            "AD": _documents(addresses),
        }

    async def aclose(self) -> None:
        await self.admin.aclose()


def dump_over_http(base_url: str) -> dict[str, Any]:
    """What a sandbox served over HTTP holds (the admin API), in the shape :meth:`Sandbox.dump` returns."""
    with httpx.Client(base_url=base_url, timeout=30) as admin:
        catalog = admin.get("/_sandbox/catalog").json()
        prices = admin.get("/_sandbox/prices").json()["prices"]
        logistics = admin.get("/_sandbox/inventory").json()
        customers = admin.get("/_sandbox/documents/CL").json()
        addresses = admin.get("/_sandbox/documents/AD").json()
    return {
        **catalog,
        "prices": prices,
        **logistics,
        "CL": _documents(customers),
        "AD": _documents(addresses),
    }


def _documents(body: Any) -> list[dict[str, Any]]:
    if isinstance(body, dict):
        for key in ("documents", "items", "data"):
            if isinstance(body.get(key), list):
                return list(body[key])
    return list(body)


def copy_store(tmp: Path, source: Path = EXAMPLE_ERP) -> Path:
    """A copy of an ERP folder that a test may edit."""
    out = tmp / "erp"
    shutil.copytree(source, out, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return out


def settings_for(
    erp: Path,
    state_url: str,
    *,
    base_url: str = "http://sandbox.test",
    reports: Path | None = None,
    **sync: Any,
) -> Settings:
    return Settings(
        vtex=VtexSettings(
            account=ACCOUNT,
            base_url=base_url,
            app_key=DEFAULT_APP_KEY,  # type: ignore[arg-type]
            app_token=DEFAULT_APP_TOKEN,  # type: ignore[arg-type]
        ),
        state=StateSettings(url=state_url),
        erp=ErpSettings(kind="folder", path=erp),
        sync=SyncSettings(report_dir=reports, **sync),
    )


async def sync(sandbox: Sandbox, settings: Settings, **options: Any) -> SyncOutcome:
    return await run_sync(
        settings, SyncOptions(**options), http_transport=sandbox.transport, clock=sandbox.clock
    )


def edit_csv(path: Path, key_value: str, column: str, value: str, *, key_column: int = 0) -> None:
    """Set ``column`` of the first row whose ``key_column`` equals ``key_value`` (a plain CSV edit)."""
    import csv

    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    header = rows[0]
    col = header.index(column)
    for row in rows[1:]:
        if row[key_column] == key_value:
            row[col] = value
            break
    else:
        raise AssertionError(f"no row {key_value!r} in {path}")
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)


def edit_csv_where(path: Path, match: Mapping[str, str], column: str, value: str) -> None:
    import csv

    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    header = rows[0]
    for row in rows[1:]:
        if all(row[header.index(k)] == v for k, v in match.items()):
            row[header.index(column)] = value
            break
    else:
        raise AssertionError(f"no row {dict(match)} in {path}")
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)


# --- the independent check -------------------------------------------------------------------------


def _records(erp: Path, entity: Entity) -> list[Any]:
    out: list[Record] = []
    for item in FolderReader(erp).read(entity):
        assert not isinstance(item, Exception), f"{entity.value}: {item}"
        out.append(item)
    return out


def _grams(kg: Decimal) -> int:
    return int((kg * 1000).to_integral_value(ROUND_HALF_UP))


def _num(v: Decimal | None) -> float | None:
    return None if v is None else float(v)


def assert_matches_erp(erp: Path, vtex: Mapping[str, Any]) -> dict[str, int]:
    """Every ERP record is in the sandbox exactly once, with the ERP's values; returns counts checked."""
    problems: list[str] = []

    def check(what: str, have: Any, want: Any) -> None:
        if have != want:
            problems.append(f"{what}: VTEX has {have!r}, the ERP says {want!r}")

    # categories: matched by name under their parent
    cats = {c["Id"]: c for c in vtex["categories"]}
    erp_cats = _records(erp, Entity.CATEGORIES)
    check("number of categories", len(cats), len(erp_cats))
    cat_id: dict[str, int] = {}
    pending = list(erp_cats)
    while pending:
        progressed = False
        for c in list(pending):
            if c.parent_key and c.parent_key not in cat_id:
                continue
            parent = cat_id.get(c.parent_key) if c.parent_key else None
            hits = [v for v in cats.values() if v["Name"] == c.name and v["FatherCategoryId"] == parent]
            check(f"categories named {c.name!r} under {parent}", len(hits), 1)
            if hits:
                v = hits[0]
                cat_id[c.key] = v["Id"]
                check(f"category {c.key} Title", v["Title"], c.title or c.name)
                check(f"category {c.key} Description", v["Description"], c.description or "")
                check(f"category {c.key} Keywords", v["Keywords"], ", ".join(c.keywords))
                check(f"category {c.key} IsActive", v["IsActive"], c.is_active)
                check(f"category {c.key} ShowInStoreFront", v["ShowInStoreFront"], c.show_in_storefront)
                check(
                    f"category {c.key} ActiveStoreFrontLink", v["ActiveStoreFrontLink"], c.show_in_storefront
                )
            pending.remove(c)
            progressed = True
        assert progressed, "category tree unresolvable"

    brands = {b["Name"]: b for b in vtex["brands"]}
    erp_brands = _records(erp, Entity.BRANDS)
    check("number of brands", len(vtex["brands"]), len(erp_brands))
    brand_id = {}
    for b in erp_brands:
        v = brands.get(b.name)
        if v is None:
            problems.append(f"brand {b.key} missing")
            continue
        brand_id[b.key] = v["Id"]
        check(f"brand {b.key} Active", v["Active"], b.is_active)
        check(f"brand {b.key} Text", v["Text"], b.description or "")
        check(f"brand {b.key} SiteTitle", v["SiteTitle"], b.site_title or "")

    groups = {(g["CategoryId"], g["Name"]): g for g in vtex["specificationGroups"]}
    erp_groups = _records(erp, Entity.SPECIFICATION_GROUPS)
    check("number of specification groups", len(vtex["specificationGroups"]), len(erp_groups))
    group_id = {}
    for g in erp_groups:
        v = groups.get((cat_id.get(g.category_key), g.name))
        if v is None:
            problems.append(f"specification group {g.key} missing")
            continue
        group_id[g.key] = v["Id"]
        if g.position is not None:
            check(f"group {g.key} Position", v["Position"], g.position)
    fields = {(f["FieldGroupId"], f["Name"]): f for f in vtex["specificationFields"]}
    erp_fields = _records(erp, Entity.SPECIFICATION_FIELDS)
    check("number of specification fields", len(vtex["specificationFields"]), len(erp_fields))
    field_id = {}
    for f in erp_fields:
        v = fields.get((group_id.get(f.group_key), f.name))
        if v is None:
            problems.append(f"specification field {f.key} missing")
            continue
        field_id[f.key] = v["Id"]
        check(f"field {f.key} IsStockKeepingUnit", v["IsStockKeepingUnit"], f.is_sku)
        check(f"field {f.key} IsFilter", v["IsFilter"], f.is_filter)
        check(f"field {f.key} FieldTypeId", v["FieldTypeId"], f.field_type.vtex_id)
    values = {(x["FieldId"], x["Name"]): x for x in vtex["specificationValues"]}
    erp_values = _records(erp, Entity.SPECIFICATION_VALUES)
    check("number of specification values", len(vtex["specificationValues"]), len(erp_values))
    value_id = {}
    for x in erp_values:
        v = values.get((field_id.get(x.field_key), x.name))
        if v is None:
            problems.append(f"specification value {x.key} missing")
            continue
        value_id[x.key] = v["FieldValueId"]

    products = {p["RefId"]: p for p in vtex["products"]}
    erp_products = _records(erp, Entity.PRODUCTS)
    check("number of products", len(vtex["products"]), len(erp_products))
    check("distinct product RefIds", len(products), len(vtex["products"]))
    pspecs: dict[str, set[Any]] = {}
    for s in _records(erp, Entity.PRODUCT_SPECIFICATIONS):
        wanted = pspecs.setdefault(s.product_key, set())
        if s.value_keys:
            wanted.update((field_id.get(s.field_key), value_id.get(k, -1)) for k in s.value_keys)
        else:
            wanted.add((field_id.get(s.field_key), s.value_text))
    product_id = {}
    for p in erp_products:
        v = products.get(p.key)
        if v is None:
            problems.append(f"product {p.key} missing")
            continue
        product_id[p.key] = v["Id"]
        check(f"product {p.key} Name", v["Name"], p.name)
        check(f"product {p.key} CategoryId", v["CategoryId"], cat_id.get(p.category_key))
        check(f"product {p.key} BrandId", v["BrandId"], brand_id.get(p.brand_key))
        check(f"product {p.key} IsActive", v["IsActive"], p.is_active)
        check(f"product {p.key} IsVisible", v["IsVisible"], p.is_visible)
        if p.title:
            check(f"product {p.key} Title", v["Title"], p.title)
        if p.description:
            check(f"product {p.key} Description", v["Description"], p.description)
        if p.link_id:
            check(f"product {p.key} LinkId", v["LinkId"], p.link_id)
        check(f"product {p.key} trade policies", v["SalesPolicies"], sorted(int(t) for t in p.trade_policies))
        have = {(s["FieldId"], s["FieldValueId"] or s["Text"]) for s in v["Specifications"]}
        check(f"product {p.key} specification values", have, pspecs.get(p.key, set()))

    skus = {s["RefId"]: s for s in vtex["skus"]}
    erp_skus = _records(erp, Entity.SKUS)
    check("number of SKUs", len(vtex["skus"]), len(erp_skus))
    check("distinct SKU RefIds", len(skus), len(vtex["skus"]))
    images: dict[str, list[Any]] = {}
    for i in _records(erp, Entity.SKU_IMAGES):
        images.setdefault(i.sku_key, []).append(i)
    eans: dict[str, list[str]] = {}
    for e in _records(erp, Entity.EANS):
        eans.setdefault(e.sku_key, []).append(e.ean)
    sspecs: dict[str, dict[int, int]] = {}
    for s in _records(erp, Entity.SKU_SPECIFICATIONS):
        sspecs.setdefault(s.sku_key, {})[field_id.get(s.field_key, -1)] = value_id.get(s.value_key, -1)
    sku_id = {}
    for s in erp_skus:
        v = skus.get(s.key)
        if v is None:
            problems.append(f"SKU {s.key} missing")
            continue
        sku_id[s.key] = v["Id"]
        check(f"SKU {s.key} ProductId", v["ProductId"], product_id.get(s.product_key))
        check(f"SKU {s.key} Name", v["Name"], s.name)
        check(f"SKU {s.key} IsActive", v["IsActive"], s.is_active)
        check(f"SKU {s.key} PackagedHeight", v["PackagedHeight"], float(s.packaged_height))
        check(f"SKU {s.key} PackagedLength", v["PackagedLength"], float(s.packaged_length))
        check(f"SKU {s.key} PackagedWidth", v["PackagedWidth"], float(s.packaged_width))
        check(f"SKU {s.key} PackagedWeightKg (g)", v["PackagedWeightKg"], _grams(s.packaged_weight_kg))
        check(f"SKU {s.key} ManufacturerCode", v["ManufacturerCode"], s.manufacturer_code or "")
        check(f"SKU {s.key} EANs", sorted(v["Eans"]), sorted(eans.get(s.key, [])))
        # an image's Text (alt text) is the label; unset, the catalog keeps it as an empty string
        want_files = sorted((i.url, i.label, i.label or "", i.position) for i in images.get(s.key, []))
        have_files = sorted((f["Url"], f["Label"], f["Text"] or "", f["Position"]) for f in v["Files"])
        check(f"SKU {s.key} files", have_files, want_files)
        mains = [f["Url"] for f in v["Files"] if f["IsMain"]]
        want_main = [i.url for i in images.get(s.key, []) if i.is_main]
        if want_main:
            check(f"SKU {s.key} main image", mains, want_main)
        have_specs = {x["FieldId"]: x["FieldValueId"] for x in v["Specifications"]}
        check(f"SKU {s.key} specifications", have_specs, sspecs.get(s.key, {}))
        check(f"SKU {s.key} specification rows", len(v["Specifications"]), len(sspecs.get(s.key, {})))

    fixed: dict[str, list[Any]] = {}
    for f in _records(erp, Entity.FIXED_PRICES):
        fixed.setdefault(f.sku_key, []).append(f)
    prices = {str(p["itemId"]): p for p in vtex["prices"]}
    erp_prices = _records(erp, Entity.PRICES)
    check("number of prices", len(vtex["prices"]), len(erp_prices))
    for p in erp_prices:
        v = prices.get(str(sku_id.get(p.sku_key)))
        if v is None:
            problems.append(f"price of {p.sku_key} missing")
            continue
        check(f"price {p.sku_key} basePrice", v["basePrice"], _num(p.base_price))
        check(
            f"price {p.sku_key} listPrice",
            v["listPrice"],
            _num(p.list_price if p.list_price else p.base_price),
        )
        if p.cost_price is not None:
            check(f"price {p.sku_key} costPrice", v["costPrice"], _num(p.cost_price))
        want = sorted(
            (f.trade_policy, float(f.value), _num(f.list_price), f.min_quantity)
            for f in fixed.get(p.sku_key, [])
        )
        have = sorted(
            (x["tradePolicyId"], float(x["value"]), _num_any(x.get("listPrice")), x["minQuantity"])
            for x in v.get("fixedPrices", [])
        )
        check(f"price {p.sku_key} fixed prices", have, want)

    erp_docks = _records(erp, Entity.DOCKS)
    docks = {d["id"]: d for d in vtex["docks"]}
    check("number of docks", len(vtex["docks"]), len(erp_docks))
    for d in erp_docks:
        v = docks.get(d.key)
        if v is None:
            problems.append(f"dock {d.key} missing")
            continue
        check(f"dock {d.key} name", v["name"], d.name)
        check(f"dock {d.key} salesChannels", v["salesChannels"], list(d.trade_policies))
    wdocks: dict[str, set[str]] = {}
    for wd in _records(erp, Entity.WAREHOUSE_DOCKS):
        wdocks.setdefault(wd.warehouse_key, set()).add(wd.dock_key)
    warehouses = {w["id"]: w for w in vtex["warehouses"]}
    erp_warehouses = _records(erp, Entity.WAREHOUSES)
    check("number of warehouses", len(vtex["warehouses"]), len(erp_warehouses))
    for w in erp_warehouses:
        v = warehouses.get(w.key)
        if v is None:
            problems.append(f"warehouse {w.key} missing")
            continue
        check(f"warehouse {w.key} name", v["name"], w.name)
        check(f"warehouse {w.key} priority", v["priority"], w.priority)
        check(
            f"warehouse {w.key} docks", {x["dockId"] for x in v["warehouseDocks"]}, wdocks.get(w.key, set())
        )
    stock = {(str(i["skuId"]), i["warehouseId"]): i for i in vtex["inventory"]}
    erp_stock = _records(erp, Entity.INVENTORY)
    check("number of inventory lines", len(vtex["inventory"]), len(erp_stock))
    for i in erp_stock:
        v = stock.get((str(sku_id.get(i.sku_key)), i.warehouse_key))
        if v is None:
            problems.append(f"stock of {i.key} missing")
            continue
        check(f"stock {i.key} quantity", v["quantity"], max(i.quantity or 0, 0))
        check(f"stock {i.key} unlimited", v["unlimitedQuantity"], i.unlimited)
        if i.lead_time:
            check(f"stock {i.key} leadTime", v["leadTime"], i.lead_time)

    customers = {c["email"]: c for c in vtex["CL"]}
    erp_customers = _records(erp, Entity.CUSTOMERS)
    check("number of customers", len(vtex["CL"]), len(erp_customers))
    customer_id = {}
    for c in erp_customers:
        v = customers.get(c.email)
        if v is None:
            problems.append(f"customer {c.key} missing")
            continue
        customer_id[c.key] = v["id"]
        check(f"customer {c.key} firstName", v.get("firstName"), c.first_name)
        check(f"customer {c.key} lastName", v.get("lastName"), c.last_name)
        check(f"customer {c.key} document", v.get("document"), c.document)
        check(f"customer {c.key} isNewsletterOptIn", v.get("isNewsletterOptIn"), c.is_newsletter_opt_in)
    erp_addresses = _records(erp, Entity.ADDRESSES)
    check("number of addresses", len(vtex["AD"]), len(erp_addresses))
    by_user = Counter((a.get("userId"), a.get("postalCode"), a.get("street")) for a in vtex["AD"])
    for a in erp_addresses:
        want = (customer_id.get(a.customer_key), a.postal_code, a.street)
        check(f"address {a.key} (userId, postalCode, street)", by_user.get(want, 0), 1)

    assert not problems, f"{len(problems)} difference(s):\n  " + "\n  ".join(problems[:40])
    return {"categories": len(cats), "products": len(products), "skus": len(skus), "prices": len(prices)}


def _num_any(v: Any) -> float | None:
    return None if v is None else float(v)
