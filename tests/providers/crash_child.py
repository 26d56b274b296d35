"""The process the crash test kills: the gift card and payment providers over a SQLite state file
and the reference ERP folder, served by uvicorn; pending work is recovered at start (as ``serve``
does) and the number of rows it finished is written to ``<workdir>/recovered``.

Run by the test through a multiprocessing fork server that has imported everything once (a child
then starts in milliseconds), or by hand: ``python crash_child.py <workdir> <port>``."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import uvicorn
from fastapi import FastAPI
from pydantic import SecretStr

from vtexbridge.config import Settings
from vtexbridge.providers.runtime import ProvidersRuntime, attach
from vtexbridge.providers.settings import (
    AdapterSettings,
    GiftCardProviderSettings,
    PaymentProviderSettings,
    ProvidersSettings,
)
from vtexbridge.state import StateStore
from vtexbridge.state.settings import StateSettings
from vtexbridge.web.routes.providers import provider_routes

KEY, TOKEN = "crash-key", "crash-token"


PRELOAD = ["uvicorn", "fastapi", "vtexbridge.providers.runtime", "vtexbridge.web.routes.providers"]


def main() -> None:
    serve(Path(sys.argv[1]), int(sys.argv[2]))


def serve(work: Path, port: int) -> None:
    adapter = AdapterSettings(kind="local", path=work / "erp", timeout_s=10)
    creds = {"app_key": SecretStr(KEY), "app_token": SecretStr(TOKEN), "adapter": adapter}
    providers = ProvidersSettings(
        giftcard=GiftCardProviderSettings(**creds),  # type: ignore[arg-type]
        payment=PaymentProviderSettings(**creds),  # type: ignore[arg-type]
    )
    url = f"sqlite:///{work / 'state.db'}"
    settings = Settings(state=StateSettings(url=url), providers=providers)
    store = StateStore.open(url, create=True)
    runtime = ProvidersRuntime.build(settings, state=store)
    recovered = asyncio.run(runtime.recover())
    (work / "recovered").write_text(str(recovered))
    app = FastAPI()
    app.router.routes.extend(provider_routes(providers))
    attach(app, runtime)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="critical", access_log=False)


if __name__ == "__main__":
    main()
