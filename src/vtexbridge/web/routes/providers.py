"""The provider protocols' endpoints (``[providers.*]``): gift card, payment and antifraud.

Thin: each handler checks VTEX's credentials, reads the body and hands it to the protocol object of
:mod:`vtexbridge.providers`; errors become the protocol's answers (:func:`vtexbridge.providers.http.guarded`).
"""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from vtexbridge.config import Settings
from vtexbridge.providers.antifraud.service import AntifraudProvider
from vtexbridge.providers.errors import ProviderError
from vtexbridge.providers.giftcard.service import GiftCardProvider
from vtexbridge.providers.http import MAX_BODY, check_credentials, guarded, json_response, path_id, read_body
from vtexbridge.providers.payment.service import PaymentProvider
from vtexbridge.providers.runtime import runtime_of
from vtexbridge.providers.settings import (
    AntifraudProviderSettings,
    GiftCardProviderSettings,
    PaymentProviderSettings,
    ProvidersSettings,
)

__all__ = [
    "antifraud_routes",
    "body_limits",
    "giftcard_routes",
    "payment_routes",
    "provider_routes",
    "routes",
]


def _giftcard(request: Request) -> GiftCardProvider:
    provider = runtime_of(request.app).giftcard
    if provider is None:
        raise ProviderError("the gift card provider is not configured", status=404)
    check_credentials(request.headers, provider.settings.app_key, provider.settings.app_token)
    return provider


GiftCardCall = Callable[[GiftCardProvider, Request], Awaitable[Any]]


def _gc(call: GiftCardCall) -> Callable[[Request], Awaitable[Response]]:
    @guarded
    async def handler(request: Request) -> Response:
        result = await call(_giftcard(request), request)
        return result if isinstance(result, Response) else json_response(result)

    return handler


def _p(request: Request, name: str) -> str:
    return path_id(request, name)


async def _search(p: GiftCardProvider, r: Request) -> Any:
    cards, content_range = await p.search(await read_body(r), r.headers.get("rest-range"))
    response = json_response(cards)
    response.headers["REST-Content-Range"] = content_range
    return response


async def _get(p: GiftCardProvider, r: Request) -> Any:
    return await p.get(_p(r, "giftCardId"))


async def _create(p: GiftCardProvider, r: Request) -> Any:
    return await p.create(await read_body(r))


async def _create_tx(p: GiftCardProvider, r: Request) -> Any:
    return await p.create_transaction(_p(r, "giftCardId"), await read_body(r))


async def _list_tx(p: GiftCardProvider, r: Request) -> Any:
    return await p.list_transactions(_p(r, "giftCardId"))


async def _get_tx(p: GiftCardProvider, r: Request) -> Any:
    return await p.get_transaction(_p(r, "giftCardId"), _p(r, "transactionId"))


async def _authorization(p: GiftCardProvider, r: Request) -> Any:
    return await p.authorization(_p(r, "giftCardId"), _p(r, "transactionId"))


async def _cancel(p: GiftCardProvider, r: Request) -> Any:
    return await p.cancel(_p(r, "giftCardId"), _p(r, "transactionId"), await read_body(r))


async def _cancellations(p: GiftCardProvider, r: Request) -> Any:
    return await p.list_ops(_p(r, "giftCardId"), _p(r, "transactionId"), "cancellation")


async def _settle(p: GiftCardProvider, r: Request) -> Any:
    return await p.settle(_p(r, "giftCardId"), _p(r, "transactionId"), await read_body(r))


async def _settlements(p: GiftCardProvider, r: Request) -> Any:
    return await p.list_ops(_p(r, "giftCardId"), _p(r, "transactionId"), "settlement")


def giftcard_routes(s: GiftCardProviderSettings) -> list[BaseRoute]:
    """Every route of the Gift Card Provider Protocol under ``s.path``."""
    g = f"{s.path}/giftcards"
    t = f"{g}/{{giftCardId}}/transactions/{{transactionId}}"
    return [
        Route(f"{g}/_search", _gc(_search), methods=["POST"]),
        Route(f"{g}/{{giftCardId}}", _gc(_get), methods=["GET"]),
        Route(g, _gc(_create), methods=["POST"]),
        Route(f"{g}/{{giftCardId}}/transactions", _gc(_create_tx), methods=["POST"]),
        Route(f"{g}/{{giftCardId}}/transactions", _gc(_list_tx), methods=["GET"]),
        Route(t, _gc(_get_tx), methods=["GET"]),
        Route(f"{t}/authorization", _gc(_authorization), methods=["GET"]),
        Route(f"{t}/cancellations", _gc(_cancel), methods=["POST"]),
        Route(f"{t}/cancellations", _gc(_cancellations), methods=["GET"]),
        Route(f"{t}/settlements", _gc(_settle), methods=["POST"]),
        Route(f"{t}/settlements", _gc(_settlements), methods=["GET"]),
    ]


# --- payment ------------------------------------------------------------------------------------


def _payment(request: Request, *, authenticate: bool = True) -> PaymentProvider:
    provider = runtime_of(request.app).payment
    if provider is None:
        raise ProviderError("the payment provider is not configured", status=404)
    if authenticate:
        check_credentials(request.headers, provider.settings.app_key, provider.settings.app_token)
    return provider


@guarded
async def _manifest(request: Request) -> Response:
    return json_response(_payment(request, authenticate=False).manifest())


@guarded
async def _create_payment(request: Request) -> Response:
    provider = _payment(request)
    status, body = await provider.create_payment(await read_body(request))
    return json_response(body, status)


def _operation(kind: str) -> Callable[[Request], Awaitable[Response]]:
    @guarded
    async def handler(request: Request) -> Response:
        provider = _payment(request)
        status, body = await provider.operate(kind, _p(request, "paymentId"), await read_body(request))
        return json_response(body, status)

    return handler


@guarded
async def _inbound(request: Request) -> Response:
    provider = _payment(request)
    body = await provider.inbound(_p(request, "paymentId"), _p(request, "action"), await read_body(request))
    return json_response(body)


@guarded
async def _token(request: Request) -> Response:
    return json_response(
        _payment(request, authenticate=False).onboarding.create_token(await read_body(request))
    )


def _query(request: Request, name: str) -> str:
    value = request.query_params.get(name)
    if not value or len(value) > 2048:
        raise ProviderError(f"query parameter {name} is required", status=400, code="bad-request")
    return value


@guarded
async def _redirect(request: Request) -> Response:
    provider = _payment(request, authenticate=False)
    code, return_url = provider.onboarding.redirect(
        _query(request, "applicationId"), _query(request, "token")
    )
    return _go(return_url + code)


def _go(target: str) -> Response:
    """Send the administrator's browser to ``target`` (the spec documents a 200 for these steps)."""
    page = f'<!doctype html><meta http-equiv="refresh" content="0;url={html.escape(target, quote=True)}">'
    return HTMLResponse(page, headers={"Location": target, "Cache-Control": "no-store"})


@guarded
async def _credentials(request: Request) -> Response:
    provider = _payment(request, authenticate=False)
    body = provider.onboarding.credentials(
        _query(request, "applicationId"), _query(request, "authorizationCode")
    )
    return json_response(body)


def payment_routes(s: PaymentProviderSettings) -> list[BaseRoute]:
    """Every route of the Payment Provider Protocol under ``s.path``."""
    p, pay = s.path, f"{s.path}/payments/{{paymentId}}"
    return [
        Route(f"{p}/manifest", _manifest, methods=["GET"]),
        Route(f"{p}/payments", _create_payment, methods=["POST"]),
        Route(f"{pay}/cancellations", _operation("cancellation"), methods=["POST"]),
        Route(f"{pay}/settlements", _operation("settlement"), methods=["POST"]),
        Route(f"{pay}/refunds", _operation("refund"), methods=["POST"]),
        Route(f"{pay}/inbound/{{action}}", _inbound, methods=["POST"]),
        Route(f"{p}/authorization/token", _token, methods=["POST"]),
        Route(f"{p}/authorization/redirect", _redirect, methods=["GET"]),
        Route(f"{p}/authorization/credentials", _credentials, methods=["GET"]),
    ]


# --- antifraud ----------------------------------------------------------------------------------


def _antifraud(request: Request, *, authenticate: bool = True) -> AntifraudProvider:
    provider = runtime_of(request.app).antifraud
    if provider is None:
        raise ProviderError("the antifraud provider is not configured", status=404)
    if authenticate:
        check_credentials(request.headers, provider.settings.app_key, provider.settings.app_token)
    return provider


AntifraudCall = Callable[[AntifraudProvider, Request], Awaitable[Any]]


def _af(call: AntifraudCall, *, authenticate: bool = True) -> Callable[[Request], Awaitable[Response]]:
    @guarded
    async def handler(request: Request) -> Response:
        result = await call(_antifraud(request, authenticate=authenticate), request)
        return result if isinstance(result, Response) else json_response(result)

    return handler


async def _af_manifest(p: AntifraudProvider, r: Request) -> Any:
    return p.manifest()


async def _af_pre(p: AntifraudProvider, r: Request) -> Any:
    return await p.send(await read_body(r), pre_analysis=True)


async def _af_send(p: AntifraudProvider, r: Request) -> Any:
    return await p.send(await read_body(r))


async def _af_update(p: AntifraudProvider, r: Request) -> Any:
    return await p.update(_p(r, "transactionId"), await read_body(r))


async def _af_status(p: AntifraudProvider, r: Request) -> Any:
    return await p.status(_p(r, "transactionId"))


async def _af_stop(p: AntifraudProvider, r: Request) -> Any:
    return await p.stop(_p(r, "transactionId"))


async def _af_token(p: AntifraudProvider, r: Request) -> Any:
    return p.onboarding.create_token(await read_body(r))


async def _af_redirect(p: AntifraudProvider, r: Request) -> Any:
    code, _return_url = p.onboarding.redirect(_query(r, "applicationId"), _query(r, "token"))
    return _go(f"{p.settings.path}/authorizationCode?providerAuthorizationCode={code}")


async def _af_return(p: AntifraudProvider, r: Request) -> Any:
    return _go(p.onboarding.return_url(_query(r, "providerAuthorizationCode")))


async def _af_credentials(p: AntifraudProvider, r: Request) -> Any:
    return p.onboarding.credentials(_query(r, "applicationId"), _query(r, "authorizationCode"))


def antifraud_routes(s: AntifraudProviderSettings) -> list[BaseRoute]:
    """Every route of the Antifraud Provider Protocol under ``s.path``."""
    p, t = s.path, f"{s.path}/transactions/{{transactionId}}"
    return [
        Route(f"{p}/manifest", _af(_af_manifest, authenticate=False), methods=["GET"]),
        Route(f"{p}/pre-analysis", _af(_af_pre), methods=["POST"]),
        Route(f"{p}/transactions", _af(_af_send), methods=["POST"]),
        Route(t, _af(_af_update), methods=["PUT"]),
        Route(t, _af(_af_status), methods=["GET"]),
        Route(t, _af(_af_stop), methods=["DELETE"]),
        Route(f"{p}/authorization/token", _af(_af_token, authenticate=False), methods=["POST"]),
        Route(f"{p}/redirect", _af(_af_redirect, authenticate=False), methods=["GET"]),
        Route(f"{p}/authorizationCode", _af(_af_return, authenticate=False), methods=["GET"]),
        Route(f"{p}/authorization/credentials", _af(_af_credentials, authenticate=False), methods=["GET"]),
    ]


def provider_routes(providers: ProvidersSettings) -> list[BaseRoute]:
    """The routes of every configured protocol."""
    out: list[BaseRoute] = []
    if providers.giftcard is not None:
        out += giftcard_routes(providers.giftcard)
    if providers.payment is not None:
        out += payment_routes(providers.payment)
    if providers.antifraud is not None:
        out += antifraud_routes(providers.antifraud)
    return out


def routes(settings: Settings) -> Sequence[BaseRoute]:
    return provider_routes(settings.providers)


def body_limits(settings: Settings) -> dict[str, int]:
    """The largest body of each protocol's prefix (enforced by :mod:`vtexbridge.web.edge`)."""
    p = settings.providers
    return {s.path: MAX_BODY for s in (p.giftcard, p.payment, p.antifraud) if s is not None}
