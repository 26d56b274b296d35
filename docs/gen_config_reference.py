"""Generate the key reference of docs/configuration.md from the Settings models.

    python docs/gen_config_reference.py          # rewrite the generated part of docs/configuration.md
    python docs/gen_config_reference.py --check  # exit 1 when the file is out of date (tests do this)

Every key of ``vtexbridge.config.Settings`` is listed with its type, default, environment variable and
description. The description is the model field's ``description``; keys whose model has none yet get
one from ``NOTES`` below (a test fails when a key has neither, so a new key cannot go undocumented).
Only the part between the two ``GENERATED`` markers is rewritten; the rest of the page is prose.
"""

# ruff: noqa: E501  (NOTES is a table of sentences)
from __future__ import annotations

import argparse
import enum
import sys
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, SecretStr
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from vtexbridge.config import ENV_PREFIX, SECRET_KEYS, Settings

PAGE = Path(__file__).resolve().parent / "configuration.md"
BEGIN = "<!-- BEGIN GENERATED: python docs/gen_config_reference.py -->"
END = "<!-- END GENERATED -->"

SECTION_TITLES = {
    "vtex": "VTEX account and client",
    "vtex.limits[]": "Rate-limit overrides (a list of tables)",
    "state": "State store",
    "log": "Logs",
    "erp": "ERP source",
    "erp.files.<kind>": "One entity's file written otherwise than the folder (keys as in `[erp]`)",
    "sync": "Sync",
    "sync.concurrency": "Sync concurrency",
    "sync.mapping.<kind>": "Sync mapping overrides (one table per entity kind)",
    "orders": "Orders",
    "orders.feed": "Orders feed",
    "orders.hook": "Orders hook",
    "orders.sink": "ERP order sink",
    "orders.actions": "Actions back to VTEX",
    "web": "Web server, dashboard and /metrics",
    "marketplace": "Marketplace protocols (each is off until its table is present)",
    "marketplace.seller": "External seller: the ERP's stock sold on a VTEX marketplace",
    "marketplace.seller.slas[]": "Shipping options quoted by the seller's simulation (a list of tables)",
    "marketplace.affiliate": "External marketplace: selling a VTEX seller's SKUs",
    "marketplace.affiliate.catalog_sink": "Where the marketplace-side catalog is kept",
    "providers": "Provider protocols `serve` answers (each is off until its table is present)",
    "providers.giftcard": "Gift card provider (VTEX's Giftcard Hub)",
    "providers.giftcard.adapter": "Where the gift cards are (the ERP side)",
    "providers.payment": "Payment provider (the customer's ERP credit line)",
    "providers.payment.adapter": "Where the credit lines are (the ERP side)",
    "providers.antifraud": "Antifraud provider (the ERP's fraud rules)",
    "providers.antifraud.adapter": "Where the fraud rules are (the ERP side)",
}

NOTES = {
    "marketplace.seller.payment": "`marketplace`: the marketplace keeps the payment; `seller`: the seller "
    "processes it (the payment data goes to `payment_handler`, never logged).",
    "marketplace.seller.currency": "Currency code answered in simulations.",
    "marketplace.seller.currency_symbol": "Currency symbol answered in simulations.",
    "marketplace.seller.ships_to": "Countries (ISO 3166-1 alpha-3) the SLAs ship to.",
    "marketplace.seller.slas[].id": "The SLA's id (what the marketplace sends back as `selectedSla`).",
    "marketplace.seller.slas[].delivery_channel": "`delivery` or `pickup-in-point`.",
    "marketplace.seller.slas[].shipping_estimate": "VTEX's form: `5bd` (business days), `2d`, `4h`, `30m`.",
    "marketplace.seller.follow_up_email": "Answered as `followUpEmail` when an order is placed.",
    "marketplace.affiliate.payment": "`marketplace`: we keep the payment; `seller`: `payment_handler` creates "
    "the transaction in the seller.",
    "marketplace.affiliate.catalog_sink.kind": "`folder`: one JSON file per SKU.",
    "marketplace.affiliate.catalog_sink.path": "Folder of the marketplace-side catalog.",
    "marketplace.affiliate.catalog_sink.fsync": "fsync each file before it is renamed into place.",
    "vtex.account": "The VTEX account name (the `{account}` of `{account}.myvtex.com`), not a URL.",
    "vtex.environment": "VTEX's environment host label: `vtexcommercestable` (production) or `vtexcommercebeta`.",
    "vtex.app_key": "App key (`X-VTEX-API-AppKey`). **Secret**: only from the environment or the secrets file.",
    "vtex.app_token": "App token (`X-VTEX-API-AppToken`). **Secret**: only from the environment or the secrets file.",
    "vtex.user_token": "A VTEX ID user token (`VtexIdclientAutCookie`) used instead of key/token. **Secret**.",
    "vtex.secrets_file": "A TOML file with `app_key`, `app_token` (and/or `user_token`), relative to the config file.",
    "vtex.timeout_s": "Seconds to wait for VTEX's answer to one request.",
    "vtex.connect_timeout_s": "Seconds to wait for a connection.",
    "vtex.max_connections": "Connections kept open to VTEX, per API area (each area has a pool of its own).",
    "vtex.max_retries": "Retries of one call after 429, 5xx, timeouts and connection errors.",
    "vtex.backoff_base_s": "First wait between retries (doubles, with full jitter), unless VTEX says `Retry-After`.",
    "vtex.backoff_max_s": "Longest wait between retries.",
    "vtex.breaker_cooldown_s": "How long an open breaker refuses calls before letting one through.",
    "vtex.limits[].pattern": "A VTEX route template (`/api/catalog/pvt/stockkeepingunit/{skuId}`), `*` allowed.",
    "vtex.limits[].rate_per_s": "Requests per second allowed on the matching routes.",
    "vtex.limits[].burst": "Requests that may be sent at once before the rate applies.",
    "vtex.limits[].methods": "Only these HTTP methods (default: all).",
    "vtex.limits[].per_route": "Give each matching route template its own budget (VTEX's per-endpoint limits).",
    "state.url": "SQLAlchemy URL of the state store: `sqlite:///file.db` (relative to the config file) or "
    "`postgresql://user@host/db` (see docs/state.md and docs/workers.md).",
    "state.batch_size": "Accepted results committed per transaction.",
    "log.level": "`debug` adds one line per VTEX call; `warning` keeps one line per record error.",
    "log.format": "`auto`: JSON when stderr is not a terminal, text otherwise; or force `json` / `text`.",
    "erp.kind": "`folder` (CSV/JSON Lines files), `sql` (one query per entity) or `plugin`.",
    "sync.commit_interval_s": "Accepted results are committed at least this often (and every `state.batch_size`).",
    "sync.lease_ttl_s": "Lifetime of the run lease (renewed by a heartbeat): a crashed run frees the account after it.",
    "sync.concurrency.catalog": "Catalog requests in flight at once.",
    "sync.concurrency.pricing": "Pricing requests in flight at once.",
    "sync.concurrency.logistics": "Logistics requests in flight at once.",
    "sync.concurrency.masterdata": "Master Data requests in flight at once.",
    "sync.mapping.<kind>.constants": "VTEX field -> fixed JSON value, for every entity of the kind.",
    "sync.mapping.<kind>.fields": "VTEX field -> ERP column the value is taken from (a rename).",
    "orders.sink.kind": "`folder` (one JSON file per order and status), `sql` (rows in two tables), `http` "
    "(a POST per order) or `plugin`.",
    "orders.hook.retry_backoff_max_s": "Longest wait before a failed inbox item is retried.",
    "orders.actions.backoff_max_s": "Longest wait between attempts of a failing action.",
}


@dataclass(frozen=True)
class Key:
    section: str
    dotted: str
    type: str
    default: str
    env: str
    description: str
    secret: bool


def _type_name(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is Literal:
        return " \\| ".join(f"`{a!r}`".replace("'", '"') for a in args)
    if origin in (types.UnionType, typing.Union):
        names = [_type_name(a) for a in args if a is not type(None)]
        suffix = " or none" if type(None) in args else ""
        return " \\| ".join(names) + suffix
    if origin in (list, tuple, set, frozenset):
        return f"list of {_type_name(args[0])}" if args else "list"
    if origin is dict:
        return f"table of {_type_name(args[1])}" if args else "table"
    if annotation is SecretStr:
        return "secret string"
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return "one of " + ", ".join(f"`{m.value}`" for m in annotation)
    if annotation is Any:
        return "any"
    if isinstance(annotation, type):
        return {"str": "string", "int": "integer", "float": "number", "bool": "boolean", "Path": "path"}.get(
            annotation.__name__, annotation.__name__
        )
    return str(annotation)


def _default(info: FieldInfo) -> str:
    if info.default_factory is not None:
        value = info.default_factory()  # type: ignore[call-arg]
    elif info.default is PydanticUndefined:
        return "required"
    else:
        value = info.default
    if value is None:
        return "none"
    if isinstance(value, BaseModel):
        return "(section)"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, str | Path):
        return f'`"{value}"`'
    if isinstance(value, list | tuple | dict) and not value:
        return "`[]`" if not isinstance(value, dict) else "`{}`"
    if isinstance(value, list | tuple):
        return "`[" + ", ".join(f'"{v}"' if isinstance(v, str) else str(v) for v in value) + "]`"
    return f"`{value}`"


def _model_of(annotation: Any) -> tuple[type[BaseModel] | None, str]:
    """The model a field holds, and how it nests: '' (a table), '[]' (a list), '.<kind>' (a dict)."""
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    origin = typing.get_origin(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, ""
    if origin in (types.UnionType, typing.Union) and len(args) == 1:
        return _model_of(args[0])
    if origin is list and args and isinstance(args[0], type) and issubclass(args[0], BaseModel):
        return args[0], "[]"
    if origin is dict and len(args) == 2 and isinstance(args[1], type) and issubclass(args[1], BaseModel):
        return args[1], ".<kind>"
    return None, ""


def config_keys(
    model: type[BaseModel] = Settings, prefix: str = "", env_path: tuple[str, ...] = ()
) -> Iterator[Key]:
    """Every key of ``model``, depth first, in declaration order."""
    for name, info in model.model_fields.items():
        if info.exclude:
            continue
        dotted = f"{prefix}{name}"
        sub, nesting = _model_of(info.annotation)
        if sub is not None:
            yield from config_keys(sub, f"{dotted}{nesting}.", (*env_path, name) if not nesting else ())
            continue
        section = prefix[:-1] if prefix else "(top)"
        env = ENV_PREFIX + "__".join(p.upper() for p in (*env_path, name)) if env_path or not prefix else ""
        secret = _type_name(info.annotation).startswith("secret") or (
            section == "vtex" and name in SECRET_KEYS
        )
        yield Key(
            section,
            dotted,
            _type_name(info.annotation),
            _default(info),
            env,
            info.description or NOTES.get(dotted, ""),
            secret,
        )


def undocumented() -> list[str]:
    """Keys with no description in their model nor in ``NOTES``."""
    return [k.dotted for k in config_keys() if not k.description]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;").replace("\n", " ")


def render() -> str:
    sections: dict[str, list[Key]] = {}
    for key in config_keys():
        sections.setdefault(key.section, []).append(key)
    out = [BEGIN]
    headed: set[str] = set()
    for section, members in sections.items():
        parent = section.split(".", 1)[0]
        if parent != section and parent not in sections and parent not in headed:
            # A table made only of sub-tables still gets its heading, so every section is findable.
            out += ["", f"### `[{parent}]` — {SECTION_TITLES.get(parent, parent)}", "", "Tables below."]
        headed.add(parent)
        title = SECTION_TITLES.get(section, section)
        out += ["", f"### `[{section}]` — {title}", "", "| Key | Type | Default | Environment | Meaning |"]
        out += ["|---|---|---|---|---|"]
        for key in members:
            short = key.dotted.removeprefix(f"{section}.")
            env = f"`{key.env}`" if key.env else "—"
            mark = " 🔒" if key.secret else ""
            out.append(f"| `{short}`{mark} | {key.type} | {key.default} | {env} | {_cell(key.description)} |")
    out += ["", END]
    return "\n".join(out) + "\n"


def updated(page: str) -> str:
    head, _, rest = page.partition(BEGIN)
    _, _, tail = rest.partition(END)
    return head + render().rstrip("\n") + tail


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="fail when docs/configuration.md is out of date")
    args = parser.parse_args(argv)
    page = PAGE.read_text(encoding="utf-8")
    if BEGIN not in page or END not in page:
        print(f"{PAGE}: the GENERATED markers are missing", file=sys.stderr)
        return 2
    new = updated(page)
    if args.check:
        if new != page:
            print(f"{PAGE} is out of date: run python docs/gen_config_reference.py", file=sys.stderr)
            return 1
        return 0
    PAGE.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
