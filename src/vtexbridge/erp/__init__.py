"""The ERP side of vtexbridge: typed records of the retailer's catalog, prices, stock and customers,
and the readers that stream them from a folder of files, a SQL database or a plugin.

    from vtexbridge.erp import Entity, FolderReader

    reader = FolderReader("examples/erp")
    for entity in Entity:                       # a valid load order
        for item in reader.read(entity):
            ...                                 # a record, or a RecordError naming file, row and field
"""

from vtexbridge.erp.config import ErpSettings
from vtexbridge.erp.errors import RowUnreadable, SourceUnreadable, UnknownColumn, makes_incomplete
from vtexbridge.erp.readers import Reader, open_reader
from vtexbridge.erp.readers.folder import FolderReader
from vtexbridge.erp.readers.plugin import ENTRY_POINT_GROUP, load_reader
from vtexbridge.erp.readers.sql import SqlReader
from vtexbridge.erp.records import (
    RECORD_TYPES,
    Address,
    AddressType,
    Brand,
    Category,
    Customer,
    Dock,
    Ean,
    Entity,
    FixedPrice,
    Price,
    Product,
    ProductSpecification,
    Record,
    Sku,
    SkuImage,
    SkuSpecification,
    SpecFieldType,
    SpecificationField,
    SpecificationGroup,
    SpecificationValue,
    StockLevel,
    Warehouse,
    WarehouseDock,
    parents,
    ref_of,
)

__all__ = [
    "ENTRY_POINT_GROUP",
    "RECORD_TYPES",
    "Address",
    "AddressType",
    "Brand",
    "Category",
    "Customer",
    "Dock",
    "Ean",
    "Entity",
    "ErpSettings",
    "FixedPrice",
    "FolderReader",
    "Price",
    "Product",
    "ProductSpecification",
    "Reader",
    "Record",
    "RowUnreadable",
    "Sku",
    "SkuImage",
    "SkuSpecification",
    "SourceUnreadable",
    "SpecFieldType",
    "SpecificationField",
    "SpecificationGroup",
    "SpecificationValue",
    "SqlReader",
    "StockLevel",
    "UnknownColumn",
    "Warehouse",
    "WarehouseDock",
    "load_reader",
    "makes_incomplete",
    "open_reader",
    "parents",
    "ref_of",
]
