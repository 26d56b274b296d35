"""The catalog's secondary indexes (see :class:`vtexbridge.sandbox.store.Index`).

Every lookup the catalog routes make by something other than the key goes through one of these, so
that a route costs O(1) or O(children) whatever the size of the store: a SKU by RefId, the SKUs of a
product, the files/EANs/specifications of a SKU, the children of a category ... Other areas reading
catalog kinds may use them too (``ctx.table("skufile").find(SKUFILE_BY_SKU, sku_id)``).

Values are compared as stored (``1`` and ``"1"`` differ), exactly like the scans they replace.
"""

from __future__ import annotations

from vtexbridge.sandbox.store import Index, by, each

CATEGORY_BY_PARENT = Index("category", "FatherCategoryId", by("FatherCategoryId"))
BRAND_BY_NAME = Index("brand", "Name", by("Name"))
PRODUCT_BY_REFID = Index("product", "RefId", by("RefId"))
PRODUCT_BY_BRAND = Index("product", "BrandId", by("BrandId"))
PRODUCT_BY_CATEGORY = Index("product", "CategoryId", by("CategoryId"))
SKU_BY_REFID = Index("sku", "RefId", by("RefId"))
SKU_BY_PRODUCT = Index("sku", "ProductId", by("ProductId"))
SKUEAN_BY_EAN = Index("skuean", "Eans", each("Eans"))
SKUFILE_BY_SKU = Index("skufile", "SkuId", by("SkuId"))
SKUSPEC_BY_SKU = Index("skuspec", "SkuId", by("SkuId"))
PRODUCTSPEC_BY_PRODUCT = Index("productspec", "ProductId", by("ProductId"))
SALESPOLICY_BY_PRODUCT = Index("salespolicy", "ProductId", by("ProductId"))
SPECGROUP_BY_CATEGORY = Index("specgroup", "CategoryId", by("CategoryId"))
SPECFIELD_BY_GROUP = Index("specfield", "FieldGroupId", by("FieldGroupId"))
SPECFIELD_BY_CATEGORY = Index("specfield", "CategoryId", by("CategoryId"))
SPECVALUE_BY_FIELD = Index("specvalue", "FieldId", by("FieldId"))
SALESPOLICY_BY_STORE = Index("salespolicy", "StoreId", by("StoreId"))
SKUSELLER_BY_SKU = Index("skuseller", "StockKeepingUnitId", by("StockKeepingUnitId"))
