"""Pydantic models of the VTEX bodies we send and read, one module per API area.

They import nothing but pydantic, so the local sandbox can share them without sharing the client:
``from vtexbridge.vtex.models import catalog`` then ``catalog.SkuCreate``. ``base`` holds the rules
every model follows (VTEX's JSON keys as field names, strict requests, tolerant responses).
"""

from vtexbridge.vtex.models import base, catalog, feed, logistics, marketplace, masterdata, orders, pricing

__all__ = ["base", "catalog", "feed", "logistics", "marketplace", "masterdata", "orders", "pricing"]
