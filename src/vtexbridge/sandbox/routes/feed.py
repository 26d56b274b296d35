"""Orders feed v3 and hook routes: `/api/orders/feed`, `/api/orders/feed/config`, `/api/orders/hook/config`.

One feed and one hook per app key (``X-VTEX-API-AppKey``): two keys never see each other's queue.
The rules are in :mod:`vtexbridge.sandbox.rules.feed` and :mod:`vtexbridge.sandbox.rules.hook`; events
are put in the queues by :func:`vtexbridge.sandbox.orderflow.publish`. Time comes from the sandbox
clock, so a test moving a fake clock moves visibility timeouts and retention.

A feed that received no event for its whole retention period is deleted (as VTEX documents), which
is noticed on the next feed call. ``POST /api/orders/expressions/jsonata`` tests an expression of the
sandbox's JSONata subset (:mod:`vtexbridge.sandbox.rules.jsonata`).
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from vtexbridge.sandbox.context import SandboxContext, abort, read_json, rule_errors, sandbox, vtex_error
from vtexbridge.sandbox.orderflow import FEED_CONFIG, HOOK_CONFIG, app_key, feed_queue, orders_runtime
from vtexbridge.sandbox.rules import feed as rules
from vtexbridge.sandbox.rules.binding import FEED_NAMES, HOOK_NAMES, JSONATA_NAMES, bind_names
from vtexbridge.sandbox.rules.hook import IDLE_SECONDS, parse_hook_config
from vtexbridge.sandbox.rules.jsonata import JsonataError, evaluate

__all__ = ["routes"]


def _drop_feed(ctx: SandboxContext, key: str) -> None:
    ctx.table(FEED_CONFIG).pop(key, None)
    feed_queue(ctx, key).clear()
    ctx.table(f"feedfired:{key}").clear()


def _live_feed(ctx: SandboxContext, key: str) -> dict[str, Any] | None:
    """The app key's feed configuration, unless absent or idle for longer than its retention."""
    config = ctx.table(FEED_CONFIG).get(key)
    if config is None:
        return None
    retention = int(config["queue"]["MessageRetentionPeriodInSeconds"])
    if ctx.clock.now().timestamp() - float(config["lastEventAt"]) > retention:
        _drop_feed(ctx, key)
        return None
    return config


def _no_feed(key: str) -> Response:
    return vtex_error(404, f"There is no feed configuration for the app key {key}; create it first", "404")


@rule_errors("vtex")
async def get_feed_config(request: Request) -> Response:
    ctx = sandbox(request)
    key = app_key(request)
    config = _live_feed(ctx, key)
    if config is None:
        return _no_feed(key)
    now = ctx.clock.now().timestamp()
    queue = feed_queue(ctx, key)
    rules.purge_expired(queue, now=now, retention=int(config["queue"]["MessageRetentionPeriodInSeconds"]))
    quantity, age = rules.queue_stats(queue, now=now)
    return JSONResponse(
        {
            "filter": config["filter"],
            "queue": config["queue"],
            "quantity": quantity,
            "approximateAgeOfOldestMessageInSeconds": age,
        }
    )


@rule_errors("vtex")
async def post_feed_config(request: Request) -> Response:
    ctx = sandbox(request)
    key = app_key(request)
    event_filter, queue = rules.parse_feed_config(bind_names(await read_json(request), FEED_NAMES))
    now = ctx.clock.now().timestamp()
    current = _live_feed(ctx, key)
    # Reconfiguring keeps the queued events; the new filter applies to events from now on.
    ctx.table(FEED_CONFIG)[key] = {
        "filter": event_filter.to_json(),
        "queue": queue,
        "createdAt": current["createdAt"] if current else now,
        "lastEventAt": current["lastEventAt"] if current else now,
    }
    return Response(status_code=200)


@rule_errors("vtex")
async def delete_feed_config(request: Request) -> Response:
    ctx = sandbox(request)
    key = app_key(request)
    if _live_feed(ctx, key) is None:
        return _no_feed(key)
    _drop_feed(ctx, key)
    return Response(status_code=200)


@rule_errors("vtex")
async def get_feed(request: Request) -> Response:
    ctx = sandbox(request)
    key = app_key(request)
    maxlot = rules.parse_maxlot(request.query_params.get("maxlot"))
    config = _live_feed(ctx, key)
    if config is None:
        return _no_feed(key)
    items = rules.receive(
        feed_queue(ctx, key),
        now=ctx.clock.now().timestamp(),
        maxlot=maxlot,
        visibility=int(config["queue"]["visibilityTimeoutInSeconds"]),
        retention=int(config["queue"]["MessageRetentionPeriodInSeconds"]),
        new_handle=lambda: secrets.token_urlsafe(96),
        options=orders_runtime(ctx.runtime).feed_options,
    )
    return JSONResponse(items)


@rule_errors("vtex")
async def commit_feed(request: Request) -> Response:
    ctx = sandbox(request)
    key = app_key(request)
    body = bind_names(await read_json(request), ("handles",))
    handles = body.get("handles") if isinstance(body, dict) else None
    if not isinstance(handles, list) or not all(isinstance(h, str) for h in handles):
        abort(400, "handles is required: the list of handles to commit")
    if _live_feed(ctx, key) is None:
        return _no_feed(key)
    rules.commit(feed_queue(ctx, key), handles)
    return Response(status_code=200)


# -- hook ---------------------------------------------------------------------------------------------


def _live_hook(ctx: SandboxContext, key: str) -> dict[str, Any] | None:
    config = ctx.table(HOOK_CONFIG).get(key)
    if config is None:
        return None
    if ctx.clock.now().timestamp() - float(config["lastEventAt"]) > IDLE_SECONDS:
        del ctx.table(HOOK_CONFIG)[key]
        return None
    return config


def _hook_view(config: dict[str, Any]) -> dict[str, Any]:
    return {"filter": config["filter"], "hook": config["hook"], "origin": config["origin"]}


@rule_errors("vtex")
async def get_hook_config(request: Request) -> Response:
    ctx = sandbox(request)
    key = app_key(request)
    config = _live_hook(ctx, key)
    if config is None:
        return vtex_error(404, f"There is no hook configuration for the app key {key}", "404")
    return JSONResponse(_hook_view(config))


@rule_errors("vtex")
async def post_hook_config(request: Request) -> Response:
    ctx = sandbox(request)
    key = app_key(request)
    event_filter, url, headers = parse_hook_config(bind_names(await read_json(request), HOOK_NAMES))
    ping = await orders_runtime(ctx.runtime).deliverer.ping(url, headers)
    if not ping.ok:
        why = ping.error or f"it answered {ping.status}"
        return vtex_error(400, f"The hook URL {url} must answer 200 to the ping; {why}", "400")
    now = ctx.clock.now().timestamp()
    config = {
        "filter": event_filter.to_json(),
        "hook": {"url": url, "headers": headers},
        "origin": {"account": ctx.account, "key": key},
        "createdAt": now,
        "lastEventAt": now,
    }
    ctx.table(HOOK_CONFIG)[key] = config
    ctx.table(f"hookfired:{key}").clear()
    # Empty 200, like the feed configuration (the spec's 200 schema here is the notification body).
    return Response(status_code=200)


@rule_errors("vtex")
async def delete_hook_config(request: Request) -> Response:
    ctx = sandbox(request)
    key = app_key(request)
    if _live_hook(ctx, key) is None:
        return vtex_error(404, f"There is no hook configuration for the app key {key}", "404")
    del ctx.table(HOOK_CONFIG)[key]
    ctx.table(f"hookfired:{key}").clear()
    return Response(status_code=200)


@rule_errors("vtex")
async def test_expression(request: Request) -> Response:
    body = bind_names(await read_json(request), JSONATA_NAMES)
    if not isinstance(body, dict) or not isinstance(body.get("Expression"), str):
        abort(
            400, "Expression (a JSONata expression) and Document (a JSON document as a string) are required"
        )
    raw_doc = body.get("Document")
    try:
        document = json.loads(raw_doc) if isinstance(raw_doc, str) else raw_doc
    except ValueError as e:
        abort(400, f"Document is not valid JSON: {e}")
    try:
        return JSONResponse(evaluate(body["Expression"], document))
    except JsonataError as e:
        abort(400, f"Expression is not supported by the sandbox: {e}")


def routes() -> list[BaseRoute]:
    return [
        Route("/api/orders/feed/config", get_feed_config, methods=["GET"]),
        Route("/api/orders/feed/config", post_feed_config, methods=["POST"]),
        Route("/api/orders/feed/config", delete_feed_config, methods=["DELETE"]),
        Route("/api/orders/feed", get_feed, methods=["GET"]),
        Route("/api/orders/feed", commit_feed, methods=["POST"]),
        Route("/api/orders/hook/config", get_hook_config, methods=["GET"]),
        Route("/api/orders/hook/config", post_hook_config, methods=["POST"]),
        Route("/api/orders/hook/config", delete_hook_config, methods=["DELETE"]),
        Route("/api/orders/expressions/jsonata", test_expression, methods=["POST"]),
    ]
