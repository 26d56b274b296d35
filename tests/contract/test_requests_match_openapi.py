"""Every request the client can build matches VTEX's OpenAPI files (``contracts/vtex-openapi``).

Each public method of each area class has a case here (a new method without one fails
``test_every_public_method_has_a_contract_case``). A case calls the method with sample arguments
through the real ``Transport`` over a recording fake; the fake keeps the ``httpx.Request`` and stops
the call, so only the request is judged. The request must match one operation of the area's spec
(method and path template, the route constant spelled exactly as the spec's path key), carry the
headers and query parameters the operation declares, the credentials, and a JSON body valid against
the operation's schema. Deprecated operations are refused.

Spec quirks that make a correct request fail are listed in ``ALLOWED`` with the reason; an entry
that no longer matches any problem fails the run, so the list cannot go stale.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from types import ModuleType
from typing import Any

import httpx
import pytest

from vtexbridge.clock import FakeClock
from vtexbridge.testing.openapi import ContractBook
from vtexbridge.vtex import (
    VtexClient,
    catalog,
    feed,
    logistics,
    marketplace,
    masterdata,
    orders,
    pricing,
    skus,
)
from vtexbridge.vtex.hosts import Api
from vtexbridge.vtex.models import catalog as mc
from vtexbridge.vtex.models import feed as mf
from vtexbridge.vtex.models import logistics as ml
from vtexbridge.vtex.models import marketplace as mm
from vtexbridge.vtex.models import masterdata as md
from vtexbridge.vtex.models import orders as mo
from vtexbridge.vtex.models import pricing as mp
from vtexbridge.vtex.settings import VtexSettings
from vtexbridge.vtex.transport import Call

SPECS: dict[Api, tuple[str, ...]] = {
    Api.CATALOG: ("VTEX - Catalog API",),
    Api.PRICING: ("VTEX - Pricing API",),
    Api.LOGISTICS: ("VTEX - Logistics API",),
    Api.MASTERDATA: ("VTEX - MasterData API - v10.2",),
    Api.ORDERS: ("VTEX - Orders API",),
    Api.SUGGESTIONS: ("VTEX - Marketplace APIs - Suggestions",),
    Api.MARKETPLACE: ("VTEX - Marketplace APIs", "VTEX - Marketplace Protocol - External Marketplace Orders"),
    Api.CHECKOUT: ("VTEX - Marketplace Protocol - External Marketplace Orders",),
}
AREA_MODULES: dict[str, ModuleType] = {
    "catalog": catalog,
    "skus": skus,
    "pricing": pricing,
    "logistics": logistics,
    "masterdata": masterdata,
    "orders": orders,
    "feed": feed,
    "marketplace": marketplace,
}

ALLOWED: dict[tuple[str, str], str] = {
    # The hook schema declares `hook.headers` as an object whose property `key` is required, where the
    # API takes a free map of header names to values (vtex-api-notes.md §0 and §e: "`hook.headers` (free
    # key/value map) ... the only auth option"). A hook that sends `X-Secret` is correct.
    (
        "set_hook_config",
        "POST /api/orders/hook/config: hook/headers: 'key' is a required property",
    ): "spec quirk: hook.headers is a free header map, not an object with a 'key' property",
    # The simulation schema lists the *item* fields `id`, `quantity`, `seller` as required at the top
    # level of the body, beside `items` whose item schema declares them without requiring them. The
    # body is `items[]{id, quantity, seller}, postalCode, country, ...` (vtex-api-notes.md §f(ii),
    # "Simulation on the VTEX seller"); a top-level `id` would be nonsense.
    **{
        (
            "simulate_fulfillment",
            f"POST /api/checkout/pub/orderForms/simulation: <body>: '{key}' is a required property",
        ): "spec quirk: item fields required at the top level of the simulation body"
        for key in ("id", "quantity", "seller")
    },
}

# --- sample arguments -------------------------------------------------------------------------

CATEGORY: dict[str, Any] = {
    "Name": "Shoes",
    "Keywords": "shoes",
    "Title": "Shoes",
    "Description": "Every shoe",
    "FatherCategoryId": None,
    "GlobalCategoryId": 0,
    "ShowInStoreFront": True,
    "IsActive": True,
    "ActiveStoreFrontLink": True,
    "ShowBrandFilter": True,
    "StockKeepingUnitSelectionMode": "SPECIFICATION",
}
SPEC_FIELD: dict[str, Any] = {
    "FieldTypeId": mc.FieldType.COMBO,
    "CategoryId": 7,
    "FieldGroupId": 3,
    "Name": "Colour",
    "Description": "Main colour",
    "Position": 1,
    "IsFilter": True,
    "IsRequired": False,
    "IsOnProductDetails": True,
    "IsStockKeepingUnit": True,
    "IsWizard": False,
    "IsActive": True,
    "IsTopMenuLinkActive": False,
    "IsSideMenuLinkActive": False,
    "DefaultValue": "",
}
SKU: dict[str, Any] = {
    "ProductId": 42,
    "Name": "Runner 42 EU",
    "RefId": "ERP-SKU-1",
    "PackagedHeight": 12.5,
    "PackagedLength": 30.0,
    "PackagedWidth": 20.0,
    "PackagedWeightKg": 800,
    "WeightKg": 750.0,
    "MeasurementUnit": "un",
    "UnitMultiplier": 1.0,
}
IMAGE = mc.SkuFileCreate(Name="front", Url="https://cdn.example.com/front.jpg", IsMain=True, Label="Front")
RANGE = mp.DateRange(from_=datetime(2026, 1, 1, tzinfo=UTC), to=datetime(2026, 2, 1, tzinfo=UTC))
COUNTED = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
DOCK = ml.DockUpsert(
    id="dk1",
    name="Central dock",
    priority=0,
    dockTimeFake=timedelta(days=1),
    timeFakeOverhead="00:00:00",
    salesChannels=["1"],
    salesChannel="1",
    freightTableIds=["ft1"],
    wmsEndPoint=None,
    address=ml.DockAddress(
        postalCode="22220-070",
        country=ml.Country(acronym="BRA", name="Brazil"),
        city="Rio de Janeiro",
        state="RJ",
        neighborhood="Catete",
        street="Rua Artur Bernardes",
        number="100",
        complement="",
        coordinates=[[-43.17, -22.92]],
    ),
)
WAREHOUSE = ml.WarehouseUpsert(
    id="wh1",
    name="Main warehouse",
    warehouseDocks=[
        ml.WarehouseDockLink(
            dockId="dk1",
            name="Central dock",
            time="3.00:00:00",
            cost="0.00",
            translateDays="days",
            costToDisplay="0,00",
        )
    ],
    priority=0,
    isActive=True,
)
INVOICE = mo.Invoice(
    type="Output",
    issuanceDate=datetime(2026, 3, 1, 9, 30, tzinfo=UTC),
    invoiceNumber="NF-1001",
    invoiceValue=2499,
    invoiceKey="35260300063960001504590006629690333214542150",
    invoiceUrl="https://erp.example.com/nf/1001.pdf",
    courier="Correios",
    items=[mo.InvoiceItem(id="310", price=2499, quantity=1, description="Runner")],
)
CHANGE = mo.OrderChange(
    reason="Customer asked for another size",
    replace=[
        mo.ChangeReplacement(
            from_=mo.ChangeFrom(items=[mo.ChangeItemFrom(id="310", quantity=1, price=2499, uniqueId="u1")]),
            to=mo.ChangeTo(
                items=[mo.ChangeItemTo(id="312", quantity=1, uniqueId="u1")],
                shippingData=mo.ChangeShippingData(
                    logisticsInfo=[
                        mo.ChangeLogisticsInfo(
                            itemIndex=0,
                            selectedSla="Normal",
                            selectedDeliveryChannel="delivery",
                            addressId="a1",
                            price=1000,
                        )
                    ]
                ),
            ),
        )
    ],
)
QUEUE = mf.FeedQueue(visibilityTimeoutInSeconds=250, MessageRetentionPeriodInSeconds=345_600)
SUGGESTION = mm.SkuSuggestion(
    ProductName="Runner",
    ProductId="P-1",
    ProductDescription="A running shoe",
    BrandName="Acme",
    SkuName="Runner 42",
    SellerId="seller1",
    Height=12.0,
    Width=20.0,
    Length=30.0,
    Weight=800.0,
    RefId="S-1",
    EAN="7891234567895",
    SellerStockKeepingUnitId=1,
    CategoryFullPath="Men/Shoes",
    SkuSpecifications=[mm.SuggestionSpecification(fieldName="Size", fieldValues=["42"])],
    Images=[mm.SuggestionImage(imageName="front", imageUrl="https://cdn.example.com/front.jpg")],
    MeasurementUnit="un",
    UnitMultiplier=1.0,
    AvailableQuantity=5,
    Pricing=mm.SuggestionPricing(Currency="BRL", SalePrice=199, CurrencySymbol="R$"),
)
FULFILLMENT_ORDER = mm.FulfillmentOrder(
    marketplaceOrderId="MKP-1",
    marketplaceServicesEndpoint="https://mkp.example.com/api/vtex",
    marketplacePaymentValue=21890,
    items=[mm.FulfillmentOrderItem(id="310", quantity=1, seller="1", price=19990, commission=0)],
    clientProfileData=mm.FulfillmentClientProfile(
        email="ana@example.com", firstName="Ana", lastName="Lima", documentType="cpf", document="12345678909"
    ),
    shippingData=mm.FulfillmentShippingData(
        address=mm.FulfillmentAddress(
            addressType="residential",
            receiverName="Ana Lima",
            postalCode="22220-070",
            city="Rio de Janeiro",
            state="RJ",
            country="BRA",
            street="Rua Artur Bernardes",
            number="100",
        ),
        logisticsInfo=[mm.FulfillmentLogisticsInfo(itemIndex=0, selectedSla="Normal", price=1900)],
    ),
    marketingData=mm.MarketingData(utmSource="mkp"),
)
ORDER_ID = "1300000000001-01"

Invoke = Callable[[VtexClient], Awaitable[Any] | AsyncIterator[Any]]

CASES: dict[str, Invoke] = {
    # catalog
    "catalog.create_category": lambda c: c.catalog.create_category(mc.CategoryCreate(Id=7, **CATEGORY)),
    "catalog.update_category": lambda c: c.catalog.update_category(7, mc.CategoryUpdate(Score=1, **CATEGORY)),
    "catalog.get_category": lambda c: c.catalog.get_category(7),
    "catalog.get_category_tree": lambda c: c.catalog.get_category_tree(3),
    "catalog.create_brand": lambda c: c.catalog.create_brand(
        mc.BrandCreate(Id=2000001, Name="Acme", Active=True)
    ),
    "catalog.update_brand": lambda c: c.catalog.update_brand(
        2000001, mc.BrandUpdate(Id=2000001, Name="Acme", Text="Acme shoes", LinkId="acme")
    ),
    "catalog.get_brand": lambda c: c.catalog.get_brand(2000001),
    "catalog.list_brands": lambda c: c.catalog.list_brands(page=1, page_size=100),
    "catalog.create_specification_group": lambda c: c.catalog.create_specification_group(
        mc.SpecificationGroupCreate(CategoryId=7, Name="Tech")
    ),
    "catalog.update_specification_group": lambda c: c.catalog.update_specification_group(
        3, mc.SpecificationGroupUpdate(CategoryId=7, Id=3, Name="Tech", Position=1)
    ),
    "catalog.get_specification_group": lambda c: c.catalog.get_specification_group(3),
    "catalog.list_specification_groups": lambda c: c.catalog.list_specification_groups(7),
    "catalog.create_specification_field": lambda c: c.catalog.create_specification_field(
        mc.SpecificationFieldCreate(**SPEC_FIELD)
    ),
    "catalog.update_specification_field": lambda c: c.catalog.update_specification_field(
        20, mc.SpecificationFieldUpdate(**SPEC_FIELD)
    ),
    "catalog.get_specification_field": lambda c: c.catalog.get_specification_field(20),
    "catalog.create_specification_value": lambda c: c.catalog.create_specification_value(
        mc.SpecificationValueCreate(FieldId=20, Name="Red", IsActive=True, Position=1)
    ),
    "catalog.update_specification_value": lambda c: c.catalog.update_specification_value(
        101, mc.SpecificationValueUpdate(FieldId=20, Name="Red", Text="Deep red")
    ),
    "catalog.get_specification_value": lambda c: c.catalog.get_specification_value(101),
    "catalog.list_specification_values": lambda c: c.catalog.list_specification_values(20),
    "catalog.create_product": lambda c: c.catalog.create_product(
        mc.ProductCreate(
            Name="Runner",
            CategoryId=7,
            BrandId=2000001,
            RefId="ERP-P-1",
            ReleaseDate=datetime(2026, 1, 1),
            IsVisible=True,
            IsActive=True,
        )
    ),
    "catalog.update_product": lambda c: c.catalog.update_product(
        42, mc.ProductUpdate(Name="Runner", CategoryId=7, BrandId=2000001, Description="Fast", Score=1)
    ),
    "catalog.get_product": lambda c: c.catalog.get_product(42),
    "catalog.get_product_by_ref_id": lambda c: c.catalog.get_product_by_ref_id("ERP-P-1"),
    "catalog.create_product_specification": lambda c: c.catalog.create_product_specification(
        42, mc.ProductSpecificationCreate(FieldId=20, FieldValueId=101)
    ),
    "catalog.list_product_specifications": lambda c: c.catalog.list_product_specifications(42),
    "catalog.delete_product_specification": lambda c: c.catalog.delete_product_specification(42, 9),
    "catalog.add_product_trade_policy": lambda c: c.catalog.add_product_trade_policy(42, 1),
    "catalog.remove_product_trade_policy": lambda c: c.catalog.remove_product_trade_policy(42, 1),
    "catalog.list_product_trade_policies": lambda c: c.catalog.list_product_trade_policies(42),
    "catalog.list_trade_policies": lambda c: c.catalog.list_trade_policies(),
    "skus.create_sku": lambda c: c.skus.create_sku(mc.SkuCreate(Id=310, ActivateIfPossible=True, **SKU)),
    "skus.update_sku": lambda c: c.skus.update_sku(310, mc.SkuUpdate(IsActive=True, **SKU)),
    "skus.get_sku": lambda c: c.skus.get_sku(310),
    "skus.get_sku_id_by_ref_id": lambda c: c.skus.get_sku_id_by_ref_id("ERP-SKU-1"),
    "skus.get_sku_by_ref_id": lambda c: c.skus.get_sku_by_ref_id("ERP-SKU-1"),
    "skus.list_sku_ids": lambda c: c.skus.list_sku_ids(page=1, page_size=1000),
    "skus.get_sku_id_by_ean": lambda c: c.skus.get_sku_id_by_ean("7891234567895"),
    "skus.get_sku_ids_by_ref_ids": lambda c: c.skus.get_sku_ids_by_ref_ids(["ERP-SKU-1", "ERP-SKU-2"]),
    "skus.iter_sku_ids": lambda c: c.skus.iter_sku_ids(page_size=500),
    "skus.list_skus_of_product": lambda c: c.skus.list_skus_of_product(42),
    "catalog.list_category_specification_fields": lambda c: c.catalog.list_category_specification_fields(7),
    "skus.create_sku_specification": lambda c: c.skus.create_sku_specification(
        310, mc.SkuSpecificationCreate(FieldId=20, FieldValueId=101)
    ),
    "skus.update_sku_specification": lambda c: c.skus.update_sku_specification(
        310, mc.SkuSpecificationUpdate(Id=8, SkuId=310, FieldId=20, FieldValueId=102)
    ),
    "skus.list_sku_specifications": lambda c: c.skus.list_sku_specifications(310),
    "skus.delete_sku_specification": lambda c: c.skus.delete_sku_specification(310, 8),
    "skus.create_sku_file": lambda c: c.skus.create_sku_file(310, IMAGE),
    "skus.update_sku_file": lambda c: c.skus.update_sku_file(
        310, 5, mc.SkuFileUpdate(**IMAGE.model_dump(), Position=1)
    ),
    "skus.delete_sku_file": lambda c: c.skus.delete_sku_file(310, 5),
    "skus.list_sku_files": lambda c: c.skus.list_sku_files(310),
    "skus.add_sku_ean": lambda c: c.skus.add_sku_ean(310, "7891234567895"),
    "skus.delete_sku_ean": lambda c: c.skus.delete_sku_ean(310, "7891234567895"),
    "skus.list_sku_eans": lambda c: c.skus.list_sku_eans(310),
    "skus.notify_seller_sku_change": lambda c: c.skus.notify_seller_sku_change("seller1", "S-1"),
    "skus.notify_sku_change": lambda c: c.skus.notify_sku_change("S-1"),
    # pricing
    "pricing.get_price": lambda c: c.pricing.get_price(310),
    "pricing.replace_price": lambda c: c.pricing.replace_price(
        310,
        mp.PriceUpdate(
            costPrice=50.0,
            markup=100,
            listPrice=120.0,
            fixedPrices=[
                mp.FixedPrice(tradePolicyId="1", value=89.9, listPrice=99.9, minQuantity=1, dateRange=RANGE)
            ],
        ),
    ),
    "pricing.delete_price": lambda c: c.pricing.delete_price(310),
    "pricing.get_fixed_prices": lambda c: c.pricing.get_fixed_prices(310),
    "pricing.upsert_fixed_prices": lambda c: c.pricing.upsert_fixed_prices(
        310, [mp.FixedPrice(tradePolicyId="wholesale", value=80.0, minQuantity=10)]
    ),
    "pricing.get_price_table_fixed_prices": lambda c: c.pricing.get_price_table_fixed_prices(
        310, "wholesale"
    ),
    "pricing.set_price_table_fixed_prices": lambda c: c.pricing.set_price_table_fixed_prices(
        310,
        "wholesale",
        [mp.PriceTableFixedPrice(value=75.5, listPrice=90.0, minQuantity=20, dateRange=RANGE)],
    ),
    "pricing.delete_price_table_fixed_prices": lambda c: c.pricing.delete_price_table_fixed_prices(
        310, "wholesale"
    ),
    "pricing.get_computed_price": lambda c: c.pricing.get_computed_price(
        310, "1", category_ids=7, brand_id=2000001, quantity=2
    ),
    # logistics
    "logistics.upsert_warehouse": lambda c: c.logistics.upsert_warehouse(WAREHOUSE),
    "logistics.get_warehouse": lambda c: c.logistics.get_warehouse("wh1"),
    "logistics.list_warehouses": lambda c: c.logistics.list_warehouses(),
    "logistics.activate_warehouse": lambda c: c.logistics.activate_warehouse("wh1"),
    "logistics.deactivate_warehouse": lambda c: c.logistics.deactivate_warehouse("wh1"),
    "logistics.deactivate_dock": lambda c: c.logistics.deactivate_dock("dk1"),
    "logistics.upsert_dock": lambda c: c.logistics.upsert_dock(DOCK),
    "logistics.get_dock": lambda c: c.logistics.get_dock("dk1"),
    "logistics.list_docks": lambda c: c.logistics.list_docks(),
    "logistics.update_inventory": lambda c: c.logistics.update_inventory(
        310,
        "wh1",
        ml.InventoryUpdate(
            quantity=7, unlimitedQuantity=False, leadTime="1.00:00:00", dateUtcOnBalanceSystem=COUNTED
        ),
    ),
    "logistics.update_inventory_quantity": lambda c: c.logistics.update_inventory_quantity(
        310,
        "wh1",
        ml.InventoryQuantityUpdate(quantity=7, unlimitedQuantity=False, dateUtcOnBalanceSystem=COUNTED),
    ),
    "logistics.update_inventory_lead_time": lambda c: c.logistics.update_inventory_lead_time(
        310, "wh1", ml.LeadTimeUpdate(leadTime=timedelta(days=2))
    ),
    "logistics.get_inventory": lambda c: c.logistics.get_inventory(310),
    # master data
    "masterdata.create_document": lambda c: c.masterdata.create_document("WL", {"email": "ana@example.com"}),
    "masterdata.upsert_document": lambda c: c.masterdata.upsert_document(
        "WL", {"id": "0a1b", "email": "a@b.c"}
    ),
    "masterdata.replace_document": lambda c: c.masterdata.replace_document("WL", "0a1b", {"email": "a@b.c"}),
    "masterdata.update_document": lambda c: c.masterdata.update_document("WL", "0a1b", {"email": "a@b.c"}),
    "masterdata.get_document": lambda c: c.masterdata.get_document("WL", "0a1b", fields=["email"]),
    "masterdata.delete_document": lambda c: c.masterdata.delete_document("WL", "0a1b"),
    "masterdata.search_documents": lambda c: c.masterdata.search_documents(
        "CL",
        where="isNewsletterOptIn=true",
        fields=["id", "email"],
        sort="createdIn ASC",
        start=100,
        size=100,
    ),
    "masterdata.scroll_documents": lambda c: c.masterdata.scroll_documents(
        "CL", where="email is not null", fields="id,email", sort="createdIn ASC", size=1000
    ),
    "masterdata.iter_documents": lambda c: c.masterdata.iter_documents("AD", where="userId=7f", size=500),
    "masterdata.create_customer_profile": lambda c: c.masterdata.create_customer_profile(
        md.CustomerProfile(
            email="ana@example.com",
            firstName="Ana",
            isCorporate=False,
            restrictions=md.CustomerRestrictions(catalog=md.CollectionRestriction(collectionIds=["139"])),
        )
    ),
    "masterdata.update_customer_profile": lambda c: c.masterdata.update_customer_profile(
        "7f", md.CustomerProfile(phone="+5521999990000", homePhone="+552133330000")
    ),
    "masterdata.get_customer_profile": lambda c: c.masterdata.get_customer_profile("7f"),
    "masterdata.create_customer_address": lambda c: c.masterdata.create_customer_address(
        md.CustomerAddress(userId="7f", addressName="home", addressType="commercial", postalCode="22220-070")
    ),
    "masterdata.update_customer_address": lambda c: c.masterdata.update_customer_address(
        "9c", md.CustomerAddress(number="100", complement="apt 2")
    ),
    "masterdata.get_customer_address": lambda c: c.masterdata.get_customer_address("9c"),
    # orders
    "orders.get_order": lambda c: c.orders.get_order(ORDER_ID),
    "orders.list_orders": lambda c: c.orders.list_orders(
        status="ready-for-handling",
        created_between=(datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC)),
        page=1,
        per_page=100,
        order_by="creationDate,asc",
    ),
    "orders.start_handling": lambda c: c.orders.start_handling(ORDER_ID),
    "orders.invoice_order": lambda c: c.orders.invoice_order(ORDER_ID, INVOICE),
    "orders.update_invoice_tracking": lambda c: c.orders.update_invoice_tracking(
        ORDER_ID, "NF-1001", mo.InvoiceTracking(trackingNumber="BR123", courier="Correios")
    ),
    "orders.update_tracking_status": lambda c: c.orders.update_tracking_status(
        ORDER_ID,
        "NF-1001",
        mo.TrackingStatus(
            isDelivered=False,
            events=[mo.TrackingEvent(city="Rio", state="RJ", description="Collected", date=date(2026, 3, 2))],
        ),
    ),
    "orders.cancel_order": lambda c: c.orders.cancel_order(ORDER_ID, reason="Out of stock"),
    "orders.create_order_change": lambda c: c.orders.create_order_change(ORDER_ID, CHANGE),
    "orders.preview_order_change": lambda c: c.orders.preview_order_change(ORDER_ID, CHANGE),
    "orders.list_order_changes": lambda c: c.orders.list_order_changes(ORDER_ID),
    "orders.get_order_change": lambda c: c.orders.get_order_change(ORDER_ID, "req-1"),
    # feed and hook
    "feed.get_feed_config": lambda c: c.feed.get_feed_config(),
    "feed.set_feed_config": lambda c: c.feed.set_feed_config(
        mf.FeedConfigUpdate(filter=mf.WorkflowFilter(status=["ready-for-handling"]), queue=QUEUE)
    ),
    "feed.delete_feed_config": lambda c: c.feed.delete_feed_config(),
    "feed.get_feed_items": lambda c: c.feed.get_feed_items(max_lot=10),
    "feed.commit_feed_items": lambda c: c.feed.commit_feed_items(["h-1"]),
    "feed.get_hook_config": lambda c: c.feed.get_hook_config(),
    "feed.set_hook_config": lambda c: c.feed.set_hook_config(
        mf.HookConfigUpdate(
            filter=mf.OrdersFilter(expression="status = 'invoiced'", disableSingleFire=False),
            hook=mf.HookEndpoint(url="https://erp.example.com/hook", headers={"X-Secret": "s"}),
        )
    ),
    "feed.delete_hook_config": lambda c: c.feed.delete_hook_config(),
    # marketplace
    "marketplace.notify_price_change": lambda c: c.marketplace.notify_price_change("seller1", "S-1"),
    "marketplace.notify_inventory_change": lambda c: c.marketplace.notify_inventory_change("seller1", "S-1"),
    "marketplace.save_sku_suggestion": lambda c: c.marketplace.save_sku_suggestion(
        "seller1", "S-1", SUGGESTION
    ),
    "marketplace.get_sku_suggestion": lambda c: c.marketplace.get_sku_suggestion("seller1", "S-1"),
    "marketplace.simulate_fulfillment": lambda c: c.marketplace.simulate_fulfillment(
        mm.FulfillmentSimulation(
            items=[mm.SimulationItem(id="310", quantity=1, seller="1")],
            postalCode="22220-070",
            country="BRA",
            geoCoordinates=[-43.17, -22.92],
        ),
        affiliate_id="MKP",
        sales_channel=1,
    ),
    "marketplace.place_fulfillment_order": lambda c: c.marketplace.place_fulfillment_order(
        FULFILLMENT_ORDER, affiliate_id="MKP", sales_channel="1"
    ),
    "marketplace.authorize_dispatch": lambda c: c.marketplace.authorize_dispatch(
        "SLR-1", "MKP-1", affiliate_id="MKP", sales_channel="1"
    ),
}

# --- the recording fake -----------------------------------------------------------------------


class Captured(Exception):
    """Raised by the fake once the request is in hand: the call stops there."""


class RecordingTransport(httpx.AsyncBaseTransport):
    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        self.requests.append(request)
        raise Captured


@dataclass
class Sent:
    call: Call
    request: httpx.Request


async def build_request(invoke: Invoke) -> Sent:
    """Run one client method through the real transport up to the wire; return what it sent."""
    recorder = RecordingTransport()
    settings = VtexSettings(account="acme", app_key="key-1", app_token="token-1", max_retries=0)
    client = VtexClient.from_settings(settings, http_transport=recorder, clock=FakeClock())
    calls: list[Call] = []
    send = client.transport.send

    async def spy(call: Call) -> httpx.Response:
        calls.append(call)
        return await send(call)

    client.transport.send = spy  # type: ignore[method-assign]
    try:
        with pytest.raises(Captured):
            await _first_request(invoke(client))
    finally:
        await client.aclose()
    assert len(recorder.requests) == 1 and len(calls) == 1
    return Sent(calls[0], recorder.requests[0])


async def _first_request(result: Awaitable[Any] | AsyncIterator[Any]) -> None:
    if isinstance(result, AsyncIterator):
        await anext(result)
    else:
        await result


def area_methods() -> Iterator[str]:
    client = VtexClient.from_settings(VtexSettings())
    for area in AREA_MODULES:
        for name, member in inspect.getmembers(type(getattr(client, area))):
            if name.startswith("_"):
                continue
            assert inspect.iscoroutinefunction(member) or inspect.isasyncgenfunction(member), name
            yield f"{area}.{name}"


# --- the checks -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def book() -> ContractBook:
    return ContractBook.load()


def test_every_public_method_has_a_contract_case() -> None:
    methods = set(area_methods())
    assert methods - CASES.keys() == set(), "methods without a contract case"
    assert CASES.keys() - methods == set(), "cases for methods that do not exist"


@pytest.mark.parametrize("name", sorted(CASES))
async def test_request_matches_the_openapi_contract(name: str, book: ContractBook) -> None:
    sent = await build_request(CASES[name])
    call, request = sent.call, sent.request

    matches = [s for s in SPECS[call.api] if book.find(s, request.method, request.url.path) is not None]
    assert len(matches) == 1, f"{request.method} {request.url.path} matches {matches} among {SPECS[call.api]}"
    spec_name = matches[0]
    spec = book.spec(spec_name)
    op = book.find(spec_name, request.method, request.url.path)
    assert op is not None

    # The route constant is VTEX's path key, placeholders included (metrics and limits use it).
    assert op.template in (call.route, spec.strip_base(call.route)), (call.route, op.template)
    assert not op.node.get("deprecated"), f"{op.template} is deprecated in {spec_name}"

    # Accept as the operation declares it (Master Data v1 wants its own media type).
    for param in op.parameters():
        if param["in"] == "header" and param["name"].lower() == "accept":
            declared = spec.resolve(param.get("schema", {})).get("default")
            if declared:
                assert request.headers["Accept"] == declared

    allowed = {problem for (method, problem) in ALLOWED if method == name.split(".", 1)[1]}
    problems = [p for p in book.check_request(spec_name, request) if p not in allowed]
    assert problems == []


@pytest.mark.parametrize("name", sorted({method for method, _ in ALLOWED}))
async def test_allowed_spec_quirks_still_occur(name: str, book: ContractBook) -> None:
    area = next(key for key in CASES if key.endswith(f".{name}"))
    sent = await build_request(CASES[area])
    spec_name = next(
        s for s in SPECS[sent.call.api] if book.find(s, sent.request.method, sent.request.url.path)
    )
    problems = set(book.check_request(spec_name, sent.request))
    for method, problem in ALLOWED:
        if method == name:
            assert problem in problems, f"allow-list entry no longer needed: {problem}"


@pytest.mark.parametrize("area", sorted(AREA_MODULES))
def test_every_route_constant_is_a_path_of_the_area_spec(area: str, book: ContractBook) -> None:
    module = AREA_MODULES[area]
    routes = {
        name: value
        for name, value in vars(module).items()
        if name.isupper() and isinstance(value, str) and value.startswith("/")
    }
    assert routes, f"{module.__name__} declares no route constants"
    spec_names = {s for names in SPECS.values() for s in names}
    for name, route in routes.items():
        templates = {
            op.template
            for s in spec_names
            for op in book.spec(s).operations()
            if op.template in (route, book.spec(s).strip_base(route))
        }
        assert templates, f"{module.__name__}.{name} = {route!r} is no path of the VTEX specs"
