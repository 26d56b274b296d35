"""Serve the protocol endpoints over real HTTP, for tests, the benchmark and local trials.

    runtime = MarketplaceRuntime.build(settings, state=store, client=client, marketplace=mkp, ...)
    app = protocol_app(runtime, mkp)
    served = serve_in_thread(app)          # uvicorn on a free loopback port
    ...  httpx.post(served.url + "/marketplace/seller/pvt/orderForms/simulation", ...)
    served.stop()

:func:`protocol_app` mounts the same route modules ``vtexbridge serve`` discovers, for the sections
given (before ``Settings.marketplace`` is mounted, ``serve`` cannot see them yet).
"""

from __future__ import annotations

from fastapi import FastAPI

from vtexbridge.marketplace.http import MAX_BODY
from vtexbridge.marketplace.runtime import MarketplaceRuntime, attach
from vtexbridge.marketplace.settings import MarketplaceSettings
from vtexbridge.serving import Served, serve_in_thread
from vtexbridge.web.edge import harden
from vtexbridge.web.routes.affiliate import affiliate_routes
from vtexbridge.web.routes.seller_protocol import seller_routes

__all__ = ["Served", "protocol_app", "serve_in_thread"]


def protocol_app(runtime: MarketplaceRuntime, marketplace: MarketplaceSettings) -> FastAPI:
    """A FastAPI app with the protocol routes of the configured sections and ``runtime`` attached."""
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)

    limits: dict[str, int] = {}
    if marketplace.seller is not None:
        app.router.routes.extend(seller_routes(marketplace.seller))
        limits[marketplace.seller.path] = MAX_BODY
    if marketplace.affiliate is not None:
        app.router.routes.extend(affiliate_routes(marketplace.affiliate))
        limits[marketplace.affiliate.path] = MAX_BODY
    harden(app, limits=limits)  # the same body limits and headers as `serve`
    attach(app, runtime)
    return app
