"""Check requests and responses against VTEX's official OpenAPI files.

The files are the contract: a request we send and a response the sandbox answers must match an
operation of the right spec (method + path template, after stripping the server's base path such as
``/{accountName}`` or ``/api``), carry the header and query parameters the operation requires, and
have a JSON body that validates against the operation's schema (OpenAPI 3.0 semantics: ``nullable``,
``readOnly`` in requests, ``writeOnly`` in responses).

The spec directory is ``$VTEXBRIDGE_OPENAPI_DIR``, else the repository's ``contracts/vtex-openapi``.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from openapi_schema_validator import OAS30ReadValidator, OAS30WriteValidator

HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
JSON_TYPES = ("application/json", "application/vnd.vtex.ds.v10+json", "*/*")


def _is_json(content_type: str) -> bool:
    """True for the JSON media types VTEX's specs use, parameters (``; charset=utf-8``) ignored."""
    return content_type.split(";", 1)[0].strip().lower() in JSON_TYPES


OPENAPI_DIR_ENV = "VTEXBRIDGE_OPENAPI_DIR"


def default_spec_dir() -> Path:
    """Where the OpenAPI files are: ``$VTEXBRIDGE_OPENAPI_DIR`` or the repo's ``contracts/vtex-openapi``."""
    if os.environ.get(OPENAPI_DIR_ENV):
        return Path(os.environ[OPENAPI_DIR_ENV])
    here = Path(__file__).resolve()
    for parent in here.parents:
        candidate = parent / "contracts" / "vtex-openapi"
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(
        f"VTEX OpenAPI files not found: set {OPENAPI_DIR_ENV} or run from a vtexbridge checkout"
    )


def _escape_pointer(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _template_regex(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", template)
    rx = "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts)
    return re.compile(f"^{rx}$")


@dataclass(frozen=True)
class Operation:
    """One operation of one spec file."""

    spec: Spec
    method: str
    template: str
    node: Mapping[str, Any] = field(repr=False, hash=False, compare=False)

    @property
    def pointer(self) -> str:
        return f"/paths/{_escape_pointer(self.template)}/{self.method}"

    def parameters(self) -> list[dict[str, Any]]:
        """Path-level and operation-level parameters, references resolved."""
        out: dict[tuple[str, str], dict[str, Any]] = {}
        path_item = self.spec.doc["paths"][self.template]
        for raw in [*path_item.get("parameters", []), *self.node.get("parameters", [])]:
            param = self.spec.resolve(raw)
            out[(param["in"], param["name"].lower())] = param
        return list(out.values())

    def request_schema_pointer(self) -> str | None:
        body = self.node.get("requestBody")
        if body is None:
            return None
        if "$ref" in body:
            ptr = body["$ref"][1:]
            body = self.spec.resolve(body)
        else:
            ptr = self.pointer + "/requestBody"
        for ctype, media in body.get("content", {}).items():
            if _is_json(ctype) and "schema" in media:
                return f"{ptr}/content/{_escape_pointer(ctype)}/schema"
        return None

    def request_body_required(self) -> bool:
        body = self.node.get("requestBody")
        return bool(body is not None and self.spec.resolve(body).get("required", False))

    def response_schema_pointer(self, status: int) -> tuple[bool, str | None]:
        """(documented?, pointer to the JSON schema of that status's body or None)."""
        responses = self.node.get("responses", {})
        key = next(
            (k for k in (str(status), f"{str(status)[0]}XX", f"{str(status)[0]}xx") if k in responses), None
        )
        if key is None:
            if "default" not in responses:
                return False, None
            key = "default"
        resp = responses[key]
        ptr = f"{self.pointer}/responses/{_escape_pointer(key)}"
        if "$ref" in resp:
            ptr = resp["$ref"][1:]
            resp = self.spec.resolve(resp)
        for ctype, media in resp.get("content", {}).items():
            if _is_json(ctype) and "schema" in media:
                return True, f"{ptr}/content/{_escape_pointer(ctype)}/schema"
        return True, None


class Spec:
    """One OpenAPI file."""

    def __init__(self, name: str, doc: dict[str, Any]) -> None:
        self.name = name
        self.doc = doc
        self._ops: list[tuple[re.Pattern[str], Operation]] = []
        for template, item in doc.get("paths", {}).items():
            for method in HTTP_METHODS:
                if method in item:
                    self._ops.append(
                        (_template_regex(template), Operation(self, method, template, item[method]))
                    )
        # Literal templates first, so /x/list wins over /x/{id}.
        self._ops.sort(key=lambda t: t[1].template.count("{"))
        bases = []
        for server in doc.get("servers", []):
            path = urlsplit(re.sub(r"\{[^}]+\}", "x", server["url"])).path
            raw_path_tpl = server["url"].split("://", 1)[-1]
            raw_path_tpl = raw_path_tpl[raw_path_tpl.find("/") :] if "/" in raw_path_tpl else ""
            if path and path != "/":
                bases.append(re.compile("^" + _template_regex(raw_path_tpl.rstrip("/")).pattern[1:-1]))
        self._bases = bases

    def resolve(self, node: Any) -> Any:
        while isinstance(node, Mapping) and "$ref" in node:
            node = self.pointer(node["$ref"][1:])
        return node

    def pointer(self, ptr: str) -> Any:
        node: Any = self.doc
        for raw in ptr.lstrip("/").split("/"):
            token = raw.replace("~1", "/").replace("~0", "~")
            node = node[int(token)] if isinstance(node, list) else node[token]
        return node

    def strip_base(self, path: str) -> str:
        """The path relative to the spec's server URL (drops ``/{accountName}``, ``/api`` ...)."""
        for base in self._bases:
            m = base.match(path)
            if m and (len(path) == m.end() or path[m.end()] == "/"):
                return path[m.end() :] or "/"
        return path

    def find(self, method: str, path: str) -> Operation | None:
        method = method.lower()
        for candidate in dict.fromkeys((path, self.strip_base(path))):
            for rx, op in self._ops:
                if op.method == method and rx.match(candidate):
                    return op
        return None

    def operations(self) -> Iterable[Operation]:
        return (op for _rx, op in self._ops)

    def validate(self, schema_pointer: str, instance: Any, *, direction: str) -> list[str]:
        """Validate ``instance`` against the schema at ``schema_pointer`` (refs resolve in this file)."""
        root = {**self.doc, "$ref": "#" + schema_pointer}
        cls = OAS30WriteValidator if direction == "request" else OAS30ReadValidator
        validator = cls(root)
        problems = []
        for err in sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path)):
            where = "/".join(str(p) for p in err.absolute_path) or "<body>"
            problems.append(f"{where}: {err.message[:300]}")
        return problems


class ContractBook:
    """Every spec file of a directory, by name (file name without ``.json``)."""

    def __init__(self, specs: Mapping[str, Spec]) -> None:
        self.specs = dict(specs)

    @classmethod
    def load(cls, directory: Path | None = None) -> ContractBook:
        directory = directory or default_spec_dir()
        specs = {}
        for path in sorted(directory.glob("*.json")):
            with path.open(encoding="utf-8") as fh:
                specs[path.stem] = Spec(path.stem, json.load(fh))
        if not specs:
            raise FileNotFoundError(f"no OpenAPI files in {directory}")
        return cls(specs)

    def spec(self, name: str) -> Spec:
        try:
            return self.specs[name]
        except KeyError:
            raise KeyError(f"no spec named {name!r}; known: {sorted(self.specs)}") from None

    def find(self, spec: str, method: str, path: str) -> Operation | None:
        return self.spec(spec).find(method, path)

    def check_request(self, spec: str, request: httpx.Request) -> list[str]:
        """Problems with ``request`` against ``spec``; an empty list means it matches the contract."""
        s = self.spec(spec)
        path = request.url.path
        op = s.find(request.method, path)
        if op is None:
            return [f"{request.method} {path}: no such operation in {spec}"]
        problems: list[str] = []
        query = set(request.url.params.keys())
        params = op.parameters()
        known_query = {p["name"] for p in params if p["in"] == "query"}
        for p in params:
            if p["in"] == "header" and p.get("required") and p["name"].lower() not in request.headers:
                problems.append(f"header {p['name']} is required by {op.template}")
            if p["in"] == "header" and p["name"].lower() in request.headers:
                enum = s.resolve(p.get("schema", {})).get("enum")
                value = request.headers[p["name"].lower()]
                if enum and value not in enum:
                    problems.append(f"header {p['name']}={value!r} is not one of {enum}")
            if p["in"] == "query" and p.get("required") and p["name"] not in query:
                problems.append(f"query parameter {p['name']} is required by {op.template}")
        unknown = sorted(query - known_query)
        if unknown:
            problems.append(f"query parameters {unknown} are not defined for {op.template}")
        if not _authenticated(s, op, request.headers):
            problems.append("no VTEX credentials (app key + token, or VtexIdclientAutCookie)")
        problems += self._check_body(s, op, request.content, direction="request")
        return [f"{request.method} {op.template}: {p}" for p in problems]

    def check_response(self, spec: str, method: str, path: str, status: int, body: Any) -> list[str]:
        """Problems with a response body (already decoded JSON, or None for no body)."""
        s = self.spec(spec)
        op = s.find(method, path)
        if op is None:
            return [f"{method} {path}: no such operation in {spec}"]
        documented, ptr = op.response_schema_pointer(status)
        label = f"{method.upper()} {op.template} -> {status}"
        if not documented:
            return [] if status >= 400 else [f"{label}: status not documented by the spec"]
        if ptr is None or body is None:
            return []
        return [f"{label}: {p}" for p in s.validate(ptr, body, direction="response")]

    def _check_body(self, s: Spec, op: Operation, content: bytes, *, direction: str) -> list[str]:
        ptr = op.request_schema_pointer()
        if not content:
            return ["a request body is required"] if op.request_body_required() else []
        if ptr is None:
            return [] if op.node.get("requestBody") else ["the operation takes no request body"]
        try:
            body = json.loads(content)
        except ValueError:
            return ["the body is not JSON"]
        return s.validate(ptr, body, direction=direction)


def _authenticated(spec: Spec, op: Operation, headers: httpx.Headers) -> bool:
    requirements = op.node.get("security", spec.doc.get("security"))
    if not requirements:
        return True
    schemes = spec.doc.get("components", {}).get("securitySchemes", {})
    for requirement in requirements:
        names = []
        for scheme_name in requirement:
            scheme = schemes.get(scheme_name, {})
            if scheme.get("type") == "apiKey" and scheme.get("in") == "header":
                names.append(scheme["name"].lower())
        if all(n in headers for n in names):
            return True
    return False
