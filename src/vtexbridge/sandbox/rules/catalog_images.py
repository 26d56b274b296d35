"""Catalog SKU file (image) rules: URL checks, the main file, positions and reordering.

JSON bodies only; ``Url`` must be ``http(s)`` and end in ``.jpg``, ``.png`` or ``.gif`` (400). The first
file of a SKU is main; a new main file demotes the others. A reorder must list every file of the SKU.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from vtexbridge.sandbox import catalog_index as ix
from vtexbridge.sandbox.rules import RuleError
from vtexbridge.sandbox.rules import catalog as rules
from vtexbridge.sandbox.rules.catalog_tables import Doc, find, next_position

if TYPE_CHECKING:
    from vtexbridge.sandbox.context import SandboxContext

IMAGE_EXTENSIONS = (".jpg", ".png", ".gif")


def check_image_url(url: str) -> None:
    """400 unless ``url`` is http(s) and its path ends in .jpg, .png or .gif."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise RuleError(400, "The image Url must start with http:// or https://.")
    if not parts.path.lower().endswith(IMAGE_EXTENSIONS):
        raise RuleError(400, "The image Url must end with .jpg, .png or .gif.")


def files(ctx: SandboxContext, sku_id: int) -> list[Doc]:
    """The SKU's files by ``Position`` (then ``Id``)."""
    docs = find(ctx, ix.SKUFILE_BY_SKU, sku_id)
    return sorted(docs, key=lambda f: (int(f.get("Position") or 0), int(f["Id"])))


def write_file(ctx: SandboxContext, sku_id: int, file_id: int, body: Doc, base: Doc | None) -> Doc:
    """Store the SKU's file (created or over ``base``); a main file demotes the others."""
    doc = rules.coerce(body, rules.FILE_FIELDS, base=base, required=("Name", "Url"))
    check_image_url(doc["Url"])
    others = [f for f in files(ctx, sku_id) if f["Id"] != file_id]
    if "Position" not in body and base is None:
        doc["Position"] = next_position(others)
    if not others:
        doc["IsMain"] = True
    table = ctx.table("skufile")
    if doc["IsMain"]:
        for other in others:
            if other.get("IsMain"):
                table[str(other["Id"])] = {**other, "IsMain": False}
    archive = base["ArchiveId"] if base else ctx.store.next_id(ctx.account, "archive", start=100_000)
    out = {
        "Id": file_id,
        "ArchiveId": archive,
        "SkuId": sku_id,
        "Name": doc["Name"],
        "IsMain": doc["IsMain"],
        "Text": doc["Text"],
        "Label": doc["Label"],
        "Url": doc["Url"],
        "FileLocation": f"{ctx.account}.vteximg.com.br",
        "Position": doc["Position"],
    }
    table[str(file_id)] = out
    return out


def reorder_files(ctx: SandboxContext, sku_id: int, body: Any) -> None:
    """``PUT .../file/reorder``: ``[{Id, Position}]`` naming every file of the SKU (400 otherwise)."""
    if not isinstance(body, list) or not all(isinstance(i, dict) for i in body):
        raise RuleError(400, "The body must be a JSON list of {Id, Position}.")
    current = {int(f["Id"]): f for f in files(ctx, sku_id)}
    try:
        order = {int(i["Id"]): int(i["Position"]) for i in body}
    except (KeyError, TypeError, ValueError):
        raise RuleError(400, "Every item needs an integer Id and Position.") from None
    if set(order) != set(current):
        raise RuleError(400, "All files are required.")
    table = ctx.table("skufile")
    for file_id, position in order.items():
        table[str(file_id)] = {**current[file_id], "Position": position}
