"""A small, documented subset of JSONata: enough for the feed's and hook's ``FromOrders`` filters.

VTEX evaluates a ``FromOrders`` filter's ``expression`` against the order document (the shape of
``GET /api/oms/pvt/orders/{orderId}``). The sandbox accepts this subset and answers 400 for anything
else, so that a filter which would silently mean something else is refused loudly:

- paths: ``status``, ``clientProfileData.email``, ``items.id`` (a path through an array maps over it,
  as in JSONata), backtick-quoted names (```weird name```);
- literals: ``"text"`` / ``'text'``, numbers (``100``, ``-2.5``), ``true``, ``false``, ``null``,
  arrays ``[ "a", "b" ]``;
- comparisons: ``=``, ``!=``, ``<``, ``<=``, ``>``, ``>=``, and membership ``x in [..]`` /
  ``"1" in items.id``;
- boolean logic: ``and``, ``or`` (``and`` binds tighter), parentheses;
- functions: ``$exists(path)``, ``$not(expr)``, ``$count(path)``, ``$contains(path, "text")``.

Semantics follow JSONata: a path that selects nothing is *undefined* and every comparison with it is
false; a path that selects one value is that value; ordering comparisons need two numbers or two
strings (JSONata raises an error otherwise; here they are false); ``and``/``or`` use the truthiness of
their operands.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["Expression", "JsonataError", "compile_expression", "evaluate"]


class JsonataError(ValueError):
    """The expression is malformed or uses JSONata outside the supported subset."""


class _Undefined:
    """JSONata's *undefined*: the result of a path that selects nothing."""

    _instance: _Undefined | None = None

    def __new__(cls) -> _Undefined:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "undefined"


UNDEFINED = _Undefined()

_TOKEN = re.compile(
    r"""
    \s*(?:
      (?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
    | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
    | (?P<backtick>`[^`]*`)
    | (?P<op><=|>=|!=|=|<|>|\(|\)|\[|\]|,|\.)
    | (?P<name>\$?[A-Za-z_][A-Za-z0-9_]*)
    | (?P<bad>\S)
    )
    """,
    re.VERBOSE,
)
_KEYWORDS = frozenset({"and", "or", "in", "true", "false", "null"})
_FUNCTIONS = frozenset({"$exists", "$not", "$count", "$contains"})
_COMPARISONS = frozenset({"=", "!=", "<", "<=", ">", ">=", "in"})


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # number | string | name | op | keyword | end
    value: str
    pos: int


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            break
        pos = m.end()
        kind = m.lastgroup
        if kind is None:
            continue
        value = m.group(kind)
        start = m.start(kind)
        if kind == "bad":
            raise JsonataError(f"unsupported character {value!r} at position {start}")
        if kind == "string":
            value = _unescape(value[1:-1])
        elif kind == "backtick":
            kind, value = "name", value[1:-1]
        elif kind == "name" and value in _KEYWORDS:
            kind = "keyword"
        tokens.append(_Token(kind, value, start))
    tokens.append(_Token("end", "", len(text)))
    return tokens


def _unescape(raw: str) -> str:
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), raw)


Node = Callable[[Any], Any]


@dataclass(frozen=True, slots=True)
class Expression:
    """A compiled expression; call :meth:`matches` with an order document."""

    source: str
    _root: Node

    def evaluate(self, document: Any) -> Any:
        """The expression's value (``UNDEFINED`` when a path selects nothing)."""
        return self._root(document)

    def matches(self, document: Any) -> bool:
        """Whether the document passes the filter (the expression's truthiness)."""
        return _truthy(self._root(document))


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.i = 0

    @property
    def tok(self) -> _Token:
        return self.tokens[self.i]

    def take(self) -> _Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def expect(self, kind: str, value: str | None = None) -> _Token:
        tok = self.take()
        if tok.kind != kind or (value is not None and tok.value != value):
            wanted = value or kind
            got = tok.value or "end of expression"
            raise JsonataError(f"expected {wanted!r} at position {tok.pos}, found {got!r}")
        return tok

    def parse(self) -> Node:
        if self.tok.kind == "end":
            raise JsonataError("the expression is empty")
        node = self.or_expr()
        if self.tok.kind != "end":
            raise JsonataError(
                f"unsupported syntax at position {self.tok.pos}: {self.text[self.tok.pos :]!r}"
            )
        return node

    def or_expr(self) -> Node:
        node = self.and_expr()
        while self.tok.kind == "keyword" and self.tok.value == "or":
            self.take()
            left, right = node, self.and_expr()
            node = _or(left, right)
        return node

    def and_expr(self) -> Node:
        node = self.comparison()
        while self.tok.kind == "keyword" and self.tok.value == "and":
            self.take()
            left, right = node, self.comparison()
            node = _and(left, right)
        return node

    def comparison(self) -> Node:
        left = self.operand()
        tok = self.tok
        if (tok.kind == "op" and tok.value in _COMPARISONS) or (tok.kind == "keyword" and tok.value == "in"):
            self.take()
            right = self.operand()
            return _compare(tok.value, left, right)
        return left

    def operand(self) -> Node:
        tok = self.take()
        if tok.kind == "number":
            number = float(tok.value)
            value: Any = int(number) if number.is_integer() and "." not in tok.value else number
            return lambda _doc: value
        if tok.kind == "string":
            text = tok.value
            return lambda _doc: text
        if tok.kind == "keyword" and tok.value in ("true", "false", "null"):
            literal = {"true": True, "false": False, "null": None}[tok.value]
            return lambda _doc: literal
        if tok.kind == "op" and tok.value == "(":
            node = self.or_expr()
            self.expect("op", ")")
            return node
        if tok.kind == "op" and tok.value == "[":
            return self.array()
        if tok.kind == "name" and tok.value.startswith("$"):
            return self.function(tok)
        if tok.kind == "name":
            return self.path(tok.value)
        raise JsonataError(f"unexpected {tok.value or 'end of expression'!r} at position {tok.pos}")

    def array(self) -> Node:
        items: list[Node] = []
        if not (self.tok.kind == "op" and self.tok.value == "]"):
            items.append(self.or_expr())
            while self.tok.kind == "op" and self.tok.value == ",":
                self.take()
                items.append(self.or_expr())
        self.expect("op", "]")
        return lambda doc: [v for v in (item(doc) for item in items) if v is not UNDEFINED]

    def path(self, first: str) -> Node:
        steps = [first]
        while self.tok.kind == "op" and self.tok.value == ".":
            self.take()
            tok = self.take()
            if tok.kind not in ("name", "keyword") or tok.value.startswith("$"):
                raise JsonataError(f"expected a field name after '.' at position {tok.pos}")
            steps.append(tok.value)
        return lambda doc: _select(doc, steps)

    def function(self, tok: _Token) -> Node:
        if tok.value not in _FUNCTIONS:
            raise JsonataError(
                f"function {tok.value} is not supported (supported: {', '.join(sorted(_FUNCTIONS))})"
            )
        self.expect("op", "(")
        args = [self.or_expr()]
        while self.tok.kind == "op" and self.tok.value == ",":
            self.take()
            args.append(self.or_expr())
        self.expect("op", ")")
        arity = {"$exists": 1, "$not": 1, "$count": 1, "$contains": 2}[tok.value]
        if len(args) != arity:
            raise JsonataError(f"{tok.value} takes {arity} argument(s), got {len(args)}")
        if tok.value == "$exists":
            arg = args[0]
            return lambda doc: arg(doc) is not UNDEFINED
        if tok.value == "$not":
            arg = args[0]
            return lambda doc: not _truthy(arg(doc))
        if tok.value == "$count":
            arg = args[0]
            return lambda doc: _count(arg(doc))
        haystack, needle = args
        return lambda doc: _contains(haystack(doc), needle(doc))


def _select(doc: Any, steps: list[str]) -> Any:
    current: list[Any] = [doc]
    for step in steps:
        nxt: list[Any] = []
        for item in current:
            if isinstance(item, dict) and step in item:
                value = item[step]
                if isinstance(value, list):
                    nxt.extend(value)
                else:
                    nxt.append(value)
        current = nxt
        # Arrays are flattened by the next step: ``items.id`` over [{id:1},{id:2}] gives [1, 2].
        current = [x for sub in current for x in (sub if isinstance(sub, list) else [sub])]
    if not current:
        return UNDEFINED
    return current[0] if len(current) == 1 else current


def _truthy(value: Any) -> bool:
    if value is UNDEFINED or value is None:
        return False
    if isinstance(value, list):
        return any(_truthy(v) for v in value)
    return bool(value)


def _count(value: Any) -> int:
    if value is UNDEFINED:
        return 0
    return len(value) if isinstance(value, list) else 1


def _contains(haystack: Any, needle: Any) -> bool:
    return isinstance(haystack, str) and isinstance(needle, str) and needle in haystack


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _compare(op: str, left: Node, right: Node) -> Node:
    def run(doc: Any) -> bool:
        a, b = left(doc), right(doc)
        if a is UNDEFINED or b is UNDEFINED:
            return False
        if op == "in":
            pool = b if isinstance(b, list) else [b]
            return any(_equal(a, x) for x in pool)
        if op == "=":
            return _equal(a, b)
        if op == "!=":
            return not _equal(a, b)
        if not ((_is_number(a) and _is_number(b)) or (isinstance(a, str) and isinstance(b, str))):
            return False
        if op == "<":
            return bool(a < b)
        if op == "<=":
            return bool(a <= b)
        if op == ">":
            return bool(a > b)
        return bool(a >= b)

    return run


def _equal(a: Any, b: Any) -> bool:
    if _is_number(a) and _is_number(b):
        return bool(a == b)
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, list) or isinstance(b, list):
        return False
    return bool(type(a) is type(b) and a == b)


def _and(left: Node, right: Node) -> Node:
    return lambda doc: _truthy(left(doc)) and _truthy(right(doc))


def _or(left: Node, right: Node) -> Node:
    return lambda doc: _truthy(left(doc)) or _truthy(right(doc))


def compile_expression(text: str) -> Expression:
    """Parse ``text``; raises :class:`JsonataError` for syntax outside the supported subset."""
    if not isinstance(text, str):
        raise JsonataError("the expression must be a string")
    return Expression(text, _Parser(text).parse())


def evaluate(text: str, document: Any) -> bool:
    """Compile and test ``text`` against ``document`` (the ``/api/orders/expressions/jsonata`` answer)."""
    return compile_expression(text).matches(document)
