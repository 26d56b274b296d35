"""Master Data v1 queries: ``_where``, ``_fields``, ``_sort``, ``REST-Range`` and scroll cursors.

``_where`` subset (the forms VTEX documents; anything else is 400):

- ``field=value``, ``field<>value``, ``field>value``, ``field<value``, ``field>=value``, ``field<=value``;
- ``field is null``, ``field is not null``, ``field between A AND B`` (inclusive);
- ``AND`` / ``OR`` (case-insensitive; ``AND`` binds tighter) and parentheses;
- values bare (``maria``, ``2001-01-01``, ``5``) or double-quoted (``"Maria Silva"``); ``*`` is a
  wildcard in ``=``/``<>`` values (``email=*@example.com``, ``firstName=*ari*``);
- ``field`` may be nested one level (``address.city``).

Comparison: numbers compare as numbers when both sides are numeric, booleans match ``true``/``false``,
everything else compares as text, case-insensitively for ``=``/``<>`` (ISO dates order correctly as
text); a list field matches when any element does; a missing field only matches ``is null`` and ``<>``.
Other query parameters that do not start with ``_`` are equality filters (``?email=a@b.com``).

``_fields``: comma-separated names, ``_all`` for every field; without it VTEX answers only
``id, accountId, accountName, dataEntityId``. ``_sort``: ``field ASC|DESC``.
``REST-Range: resources=x-y`` selects documents ``x`` to ``y - 1`` (``y`` is exclusive, as the spec
says), at most 100 of them (400 beyond); the answer carries ``REST-Content-Range: resources=x-y/total``.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from vtexbridge.sandbox.rules import RuleError

__all__ = [
    "ALL_FIELDS",
    "DEFAULT_SCROLL_SIZE",
    "ENTITY_PATTERN",
    "MAX_SCROLL_SIZE",
    "MAX_SEARCH_RANGE",
    "SCROLL_TTL_SECONDS",
    "SYSTEM_FIELDS",
    "MasterDataError",
    "ScrollCursor",
    "account_id",
    "content_range",
    "filtered_fields",
    "matches_params",
    "merge_document",
    "new_document",
    "parse_fields",
    "parse_range",
    "parse_size",
    "parse_sort",
    "parse_where",
    "project",
    "replace_document",
    "sort_documents",
    "user_fields",
]

MAX_SEARCH_RANGE = 100
MAX_SCROLL_SIZE = 1000
DEFAULT_SCROLL_SIZE = 100
DEFAULT_RANGE = (0, 15)
SCROLL_TTL_SECONDS = 20 * 60
SYSTEM_FIELDS = ("id", "accountId", "accountName", "dataEntityId")
ALL_FIELDS = "_all"

Predicate = Callable[[Mapping[str, Any]], bool]


class MasterDataError(RuleError):
    """A request Master Data refuses (answered as ``{"Message": ...}`` with ``status``)."""


_FIELD = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]*(?:\.[A-Za-z_][A-Za-z0-9_\-]*)?")
_OPERATORS = ("<>", ">=", "<=", "=", ">", "<")
_NUMBER = re.compile(r"^-?\d+(?:\.\d+)?$")


def _lookup(doc: Mapping[str, Any], field: str) -> Any:
    if field in doc:
        return doc[field]
    head, _, tail = field.partition(".")
    inner = doc.get(head) if tail else None
    if isinstance(inner, Mapping):
        return inner.get(tail)
    if isinstance(inner, list):
        return [x.get(tail) for x in inner if isinstance(x, Mapping)]
    return None


def _values(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _scalar_compare(actual: Any, op: str, expected: str) -> bool:
    if actual is None:
        return op == "<>"
    if isinstance(actual, bool):
        text = "true" if actual else "false"
        return (
            (text == expected.lower()) if op == "=" else (text != expected.lower()) if op == "<>" else False
        )
    if isinstance(actual, int | float) and _NUMBER.match(expected):
        a, b = float(actual), float(expected)
        return {"=": a == b, "<>": a != b, ">": a > b, "<": a < b, ">=": a >= b, "<=": a <= b}[op]
    text = str(actual)
    if op in ("=", "<>"):
        if "*" in expected:
            hit = _wildcard(expected).fullmatch(text) is not None
        else:
            hit = text.lower() == expected.lower()
        return hit if op == "=" else not hit
    return {">": text > expected, "<": text < expected, ">=": text >= expected, "<=": text <= expected}[op]


def _wildcard(pattern: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in pattern.split("*")), re.IGNORECASE | re.DOTALL)


def _condition(field: str, op: str, expected: str) -> Predicate:
    def run(doc: Mapping[str, Any]) -> bool:
        actual = _lookup(doc, field)
        if op == "<>":
            return all(_scalar_compare(v, op, expected) for v in _values(actual))
        return any(_scalar_compare(v, op, expected) for v in _values(actual))

    return run


class _WhereParser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.fields: list[str] = []  # every field the expression names, in order

    def fail(self, what: str) -> MasterDataError:
        return MasterDataError(400, f"_where: {what} at position {self.pos} of {self.text!r}")

    def skip(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def keyword(self, word: str) -> bool:
        self.skip()
        end = self.pos + len(word)
        if self.text[self.pos : end].lower() == word and (
            end == len(self.text) or not self.text[end].isalnum()
        ):
            self.pos = end
            return True
        return False

    def parse(self) -> Predicate:
        self.skip()
        if self.pos >= len(self.text):
            raise self.fail("the condition is empty")
        node = self.or_expr()
        self.skip()
        if self.pos != len(self.text):
            raise self.fail(f"unexpected {self.text[self.pos :]!r}")
        return node

    def or_expr(self) -> Predicate:
        parts = [self.and_expr()]
        while self.keyword("or"):
            parts.append(self.and_expr())
        return parts[0] if len(parts) == 1 else (lambda doc: any(p(doc) for p in parts))

    def and_expr(self) -> Predicate:
        parts = [self.factor()]
        while self.keyword("and"):
            parts.append(self.factor())
        return parts[0] if len(parts) == 1 else (lambda doc: all(p(doc) for p in parts))

    def factor(self) -> Predicate:
        self.skip()
        if self.text.startswith("(", self.pos):
            self.pos += 1
            node = self.or_expr()
            self.skip()
            if not self.text.startswith(")", self.pos):
                raise self.fail("missing ')'")
            self.pos += 1
            return node
        return self.condition()

    def condition(self) -> Predicate:
        self.skip()
        m = _FIELD.match(self.text, self.pos)
        if m is None:
            raise self.fail("expected a field name")
        field = m.group(0)
        self.fields.append(field)
        self.pos = m.end()
        if self.keyword("is"):
            negate = self.keyword("not")
            if not self.keyword("null"):
                raise self.fail("expected 'null' after 'is'")
            if negate:
                return lambda doc: _lookup(doc, field) is not None
            return lambda doc: _lookup(doc, field) is None
        if self.keyword("between"):
            low = self.value()
            if not self.keyword("and"):
                raise self.fail("expected AND in 'between A AND B'")
            high = self.value()
            lower, upper = _condition(field, ">=", low), _condition(field, "<=", high)
            return lambda doc: lower(doc) and upper(doc)
        self.skip()
        for op in _OPERATORS:
            if self.text.startswith(op, self.pos):
                self.pos += len(op)
                return _condition(field, op, self.value())
        raise self.fail(f"expected an operator (=, <>, >, <, >=, <=, is [not] null, between) after {field!r}")

    def value(self) -> str:
        self.skip()
        if self.text.startswith('"', self.pos):
            end = self.text.find('"', self.pos + 1)
            if end < 0:
                raise self.fail("unterminated quoted value")
            value = self.text[self.pos + 1 : end]
            self.pos = end + 1
            return value
        start = self.pos
        while (
            self.pos < len(self.text)
            and not self.text[self.pos].isspace()
            and self.text[self.pos] not in "()"
        ):
            self.pos += 1
        if start == self.pos:
            raise self.fail("expected a value")
        return self.text[start : self.pos]


def parse_where(text: str | None) -> Predicate:
    """A predicate over documents for ``_where`` (everything passes when absent)."""
    if text is None or not text.strip():
        return lambda _doc: True
    return _WhereParser(text).parse()


def filtered_fields(params: Mapping[str, str]) -> list[str]:
    """The fields a search or scroll filters or sorts by: ``_where``'s, equality filters', ``_sort``'s."""
    fields: list[str] = []
    where = params.get("_where")
    if where and where.strip():
        parser = _WhereParser(where)
        parser.parse()
        fields += parser.fields
    fields += [k for k in params if not k.startswith("_") and k != "an"]
    sort = parse_sort(params.get("_sort"))
    if sort is not None:
        fields.append(sort[0])
    return list(dict.fromkeys(fields))


def matches_params(params: Mapping[str, str]) -> Predicate:
    """Equality filters from query parameters not starting with ``_`` (``?email=a@b.com``)."""
    conditions = [_condition(k, "=", v) for k, v in params.items() if not k.startswith("_") and k != "an"]
    return lambda doc: all(c(doc) for c in conditions)


def parse_fields(raw: str | None) -> list[str] | None:
    """``_fields``: the names to answer, ``None`` for every field (``_all``)."""
    if raw is None or not raw.strip():
        return list(SYSTEM_FIELDS)
    names = [n.strip() for n in raw.split(",") if n.strip()]
    if ALL_FIELDS in names:
        return None
    return names


def project(doc: Mapping[str, Any], fields: list[str] | None) -> dict[str, Any]:
    """The document restricted to ``fields`` (all when ``None``); absent fields answer ``null``."""
    if fields is None:
        return dict(doc)
    return {name: _lookup(doc, name) for name in fields}


def parse_sort(raw: str | None) -> tuple[str, bool] | None:
    """``_sort=field ASC|DESC`` -> (field, descending)."""
    if raw is None or not raw.strip():
        return None
    parts = raw.split()
    if (
        len(parts) > 2
        or (len(parts) == 2 and parts[1].upper() not in ("ASC", "DESC"))
        or not _FIELD.fullmatch(parts[0])
    ):
        raise MasterDataError(400, f"_sort must be 'field ASC' or 'field DESC', got {raw!r}")
    return parts[0], len(parts) == 2 and parts[1].upper() == "DESC"


def sort_documents(docs: list[dict[str, Any]], sort: tuple[str, bool] | None) -> list[dict[str, Any]]:
    """Sorted by the ``_sort`` field (missing values last), else by creation time then id."""
    if sort is None:
        return sorted(docs, key=lambda d: (str(d.get("createdIn") or ""), str(d.get("id"))))
    field, descending = sort
    present = [d for d in docs if _lookup(d, field) is not None]
    missing = [d for d in docs if _lookup(d, field) is None]

    def key(doc: dict[str, Any]) -> tuple[int, Any]:
        value = _lookup(doc, field)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return (0, value)
        return (1, str(value).lower())

    return sorted(present, key=key, reverse=descending) + missing


def parse_range(header: str | None, *, required: bool = False) -> tuple[int, int]:
    """``REST-Range: resources=x-y`` -> (x, y) with ``y`` exclusive; 400 beyond 100 documents.

    Without the header: 400 when ``required`` (the spec requires it), else the first 15 documents.
    """
    if header is None or not header.strip():
        if required:
            raise MasterDataError(
                400,
                "The REST-Range header is required: REST-Range: resources={from}-{to}, at most "
                f"{MAX_SEARCH_RANGE} documents ({{to}} excluded)",
            )
        return DEFAULT_RANGE
    m = re.fullmatch(r"\s*resources\s*=\s*(\d+)\s*-\s*(\d+)\s*", header)
    if m is None:
        raise MasterDataError(400, f"REST-Range must look like 'resources=0-100', got {header!r}")
    start, end = int(m.group(1)), int(m.group(2))
    if end < start:
        raise MasterDataError(400, f"REST-Range end {end} is before start {start}")
    if end - start > MAX_SEARCH_RANGE:
        raise MasterDataError(
            400, f"REST-Range asks for {end - start} documents; the maximum is {MAX_SEARCH_RANGE} per request"
        )
    return start, end


def content_range(start: int, returned: int, total: int) -> str:
    """``REST-Content-Range`` for an answer of ``returned`` documents from ``start`` out of ``total``."""
    return f"resources={start}-{start + returned}/{total}"


def parse_size(raw: str | None) -> int:
    """Scroll ``_size``: 1..1000 (default 100)."""
    if raw is None or raw == "":
        return DEFAULT_SCROLL_SIZE
    if not raw.isdigit() or int(raw) < 1:
        raise MasterDataError(400, f"_size must be a positive integer, got {raw!r}")
    if int(raw) > MAX_SCROLL_SIZE:
        raise MasterDataError(400, f"_size must be at most {MAX_SCROLL_SIZE}, got {raw}")
    return int(raw)


@dataclass(slots=True)
class ScrollCursor:
    """A scroll in progress: the matching ids fixed at the first call, a position and an idle expiry."""

    entity: str
    ids: list[str]
    fields: list[str] | None
    size: int
    expires_at: float
    position: int = 0

    def next_ids(self, now: float) -> list[str]:
        """The ids of the next page (empty when done); refreshes the idle expiry."""
        page = self.ids[self.position : self.position + self.size]
        self.position += len(page)
        self.expires_at = now + SCROLL_TTL_SECONDS
        return page

    def expired(self, now: float) -> bool:
        return now >= self.expires_at


ENTITY_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,29}$")
# Fields Master Data maintains itself: a write cannot set them.
MANAGED_FIELDS = frozenset(
    {
        *SYSTEM_FIELDS,
        "createdIn",
        "updatedIn",
        "lastInteractionIn",
        "createdBy",
        "updatedBy",
        "lastInteractionBy",
        "followers",
        "tags",
        "auto_filter",
    }
)


def account_id(account: str) -> str:
    """A stable ``accountId`` (a UUID, as VTEX's) for an account name."""
    return str(uuid.uuid5(uuid.NAMESPACE_DNS, f"{account}.vtexcommercestable.com.br"))


def user_fields(body: Any) -> dict[str, Any]:
    """The writable fields of a request body (400 unless it is a JSON object)."""
    if not isinstance(body, dict):
        raise MasterDataError(400, "The document must be a JSON object")
    return {k: v for k, v in body.items() if k not in MANAGED_FIELDS}


def new_document(
    account: str, entity: str, doc_id: str, fields: Mapping[str, Any], now: str
) -> dict[str, Any]:
    """A stored document: the user's fields plus the ones Master Data maintains."""
    return {
        **fields,
        "id": doc_id,
        "accountId": account_id(account),
        "accountName": account,
        "dataEntityId": entity,
        "createdIn": now,
        "updatedIn": now,
        "lastInteractionIn": now,
        "createdBy": None,
        "updatedBy": None,
        "lastInteractionBy": None,
        "followers": [],
        "tags": [],
        "auto_filter": None,
    }


def replace_document(current: Mapping[str, Any], fields: Mapping[str, Any], now: str) -> dict[str, Any]:
    """PUT: every user field replaced, the managed ones kept (``updatedIn`` moves)."""
    managed = {k: v for k, v in current.items() if k in MANAGED_FIELDS}
    return {**fields, **managed, "updatedIn": now, "lastInteractionIn": now}


def merge_document(current: Mapping[str, Any], fields: Mapping[str, Any], now: str) -> dict[str, Any] | None:
    """PATCH: the sent fields merged in; ``None`` when nothing changes (Master Data answers 304)."""
    if all(k in current and current[k] == v for k, v in fields.items()):
        return None
    return {**current, **fields, "updatedIn": now, "lastInteractionIn": now}
