"""Secrets at rest (issue #11): distinctive secrets are planted (VTEX app key and token, the HTTP
sink's URL password, the web token, the hook secret), `vtexbridge sync` fails, then `vtexbridge serve`
takes hook deliveries that its failing HTTP sink cannot deliver; afterwards none of the secrets
is in serve's log file (text format, with tracebacks), sync's stderr (JSON logs), any file under the
test folder (the state database's bytes: every table; the ERP folders), or any dashboard page.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from vtexbridge.sandbox.app import create_app
from vtexbridge.sandbox.options import SandboxOptions
from vtexbridge.sandbox.store import Store
from vtexbridge.testing.orders import SANDBOX_HOST, Served, add_sellable_sku, free_port, serve_in_thread

ROOT = Path(__file__).resolve().parents[1]
APP_KEY = "vtexappkey-sandbox-PLANTEDKEY7731"
APP_TOKEN = "PLANTED-APP-TOKEN-9f3a7c"
SYNC_TOKEN = "PLANTED-SYNC-TOKEN-b81d2e"  # refused by the sandbox: the sync fails
SINK_PASSWORD = "PLANTED-SINK-PW-4e6d"
WEB_TOKEN = "PLANTED-WEB-TOKEN-c55e09"
HOOK_SECRET = "PLANTED-HOOK-SECRET-a0b1"
SECRETS = [APP_KEY, APP_TOKEN, SYNC_TOKEN, SINK_PASSWORD, WEB_TOKEN, HOOK_SECRET]


@pytest.fixture
def sandbox() -> Iterator[Served]:
    store = Store()
    add_sellable_sku(store, 100)
    served = serve_in_thread(
        create_app(SandboxOptions(limits="off", credentials={APP_KEY: APP_TOKEN}), store=store)
    )
    yield served
    served.stop()
    store.close()


def _env(tmp_path: Path, sandbox: Served, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VTEXBRIDGE_")}
    closed = free_port()  # nothing listens there: every delivery to the ERP fails
    env.update(
        {
            "VTEXBRIDGE_VTEX__ACCOUNT": "sandbox",
            "VTEXBRIDGE_VTEX__BASE_URL": sandbox.url,
            "VTEXBRIDGE_VTEX__APP_KEY": APP_KEY,
            "VTEXBRIDGE_VTEX__APP_TOKEN": APP_TOKEN,
            "VTEXBRIDGE_STATE__URL": f"sqlite:///{tmp_path / 'state.db'}",
            "VTEXBRIDGE_ORDERS__FEED__ENABLED": "false",
            "VTEXBRIDGE_ORDERS__HOOK__SECRET": HOOK_SECRET,
            "VTEXBRIDGE_ORDERS__ACTIONS__FOLDER": "",
            "VTEXBRIDGE_ORDERS__SINK__KIND": "http",
            "VTEXBRIDGE_ORDERS__SINK__URL": f"http://erp:{SINK_PASSWORD}@127.0.0.1:{closed}/orders",
            "VTEXBRIDGE_ORDERS__SINK__TIMEOUT_S": "1",
            "VTEXBRIDGE_ORDERS__SINK__ATTEMPTS": "2",
            "VTEXBRIDGE_ORDERS__SINK__BACKOFF_S": "0.05",
            "VTEXBRIDGE_WEB__TOKEN": WEB_TOKEN,
            "VTEXBRIDGE_ERP__KIND": "folder",
            "VTEXBRIDGE_ERP__PATH": str(tmp_path / "erp-in"),
            "VTEXBRIDGE_LOG__LEVEL": "debug",
        }
    )
    env.update(extra)
    return env


def _wait(check: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def _inbox_failed(db: Path) -> bool:
    engine = sa.create_engine(f"sqlite:///{db}")
    try:
        with engine.connect() as conn:
            rows = conn.exec_driver_sql("SELECT last_error FROM hook_inbox").all()
    except sa.exc.OperationalError:
        return False
    finally:
        engine.dispose()
    return any(error for (error,) in rows)


def _serve_and_deliver(tmp_path: Path, sandbox: Served, order: dict[str, Any]) -> list[str]:
    """Run serve (text logs to serve.log), post hook deliveries, read every dashboard page."""
    port = free_port()
    env = _env(tmp_path, sandbox, VTEXBRIDGE_LOG__FORMAT="text")
    base = f"http://127.0.0.1:{port}"
    pages: list[str] = []
    with (tmp_path / "serve.log").open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "vtexbridge", "serve", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:

            def up() -> bool:
                assert proc.poll() is None, (tmp_path / "serve.log").read_text()
                try:
                    return httpx.get(f"{base}/health", timeout=1).status_code == 200
                except httpx.HTTPError:
                    return False

            _wait(up, 30, "serve to start")
            note = {
                "Domain": "Fulfillment",
                "OrderId": order["orderId"],
                "State": "ready-for-handling",
                "LastChange": order["lastChange"],
                "Origin": {"Account": "sandbox", "Key": APP_KEY},
            }
            hook = f"{base}/hooks/vtex/orders"
            assert (
                httpx.post(hook, json=note, headers={"X-Vtexbridge-Hook-Secret": "wrong"}).status_code == 401
            )
            r = httpx.post(hook, json=note, headers={"X-Vtexbridge-Hook-Secret": HOOK_SECRET})
            assert r.status_code == 200, r.text
            _wait(lambda: _inbox_failed(tmp_path / "state.db"), 30, "the ERP delivery to fail")
            for path in [
                "/dashboard/",
                "/dashboard/errors",
                "/dashboard/orders",
                "/dashboard/runs",
                "/dashboard/runs/1",
                f"/dashboard/orders/{order['orderId']}",
                "/dashboard/partials/summary",
                "/dashboard/partials/progress",
                "/dashboard/partials/runs",
                "/dashboard/partials/errors",
                "/dashboard/partials/pipeline",
                "/metrics",
                "/health",
            ]:
                page = httpx.get(base + path, headers={"Authorization": f"Bearer {WEB_TOKEN}"}, timeout=10)
                assert page.status_code == 200, (path, page.status_code)
                pages.append(page.text)
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
    return pages


def _failing_sync(tmp_path: Path, sandbox: Served) -> str:
    env = _env(tmp_path, sandbox, VTEXBRIDGE_LOG__FORMAT="json", VTEXBRIDGE_VTEX__APP_TOKEN=SYNC_TOKEN)
    done = subprocess.run(
        [sys.executable, "-m", "vtexbridge", "sync", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0, "the sync was meant to fail (the sandbox refuses its token)"
    return done.stdout + done.stderr


def test_planted_secrets_are_nowhere_at_rest(tmp_path: Path, sandbox: Served) -> None:
    shutil.copytree(
        ROOT / "examples" / "erp", tmp_path / "erp-in", ignore=shutil.ignore_patterns("*.py", "*.md")
    )
    with httpx.Client(
        base_url=sandbox.url,
        headers={"X-VTEX-API-AppKey": APP_KEY, "X-VTEX-API-AppToken": APP_TOKEN, "Host": SANDBOX_HOST},
    ) as api:
        order = api.post("/_sandbox/orders", json={"items": [{"skuId": "100", "quantity": 1}]}).json()
    sync_output = _failing_sync(tmp_path, sandbox)  # first: its run is then on the dashboard too
    pages = _serve_and_deliver(tmp_path, sandbox, order)

    log = (tmp_path / "serve.log").read_text()
    assert "Traceback" in log or "127.0.0.1" in log, "serve logged nothing about the failed delivery"
    places = {"serve.log": log, "sync output": sync_output}
    places.update({f"page {n}": page for n, page in enumerate(pages)})
    for path in sorted(p for p in tmp_path.rglob("*") if p.is_file()):  # state db (+WAL), ERP folders
        places[str(path.relative_to(tmp_path))] = path.read_bytes().decode("utf-8", "replace")
    found = sorted(
        f"{secret} in {where}" for where, text in places.items() for secret in SECRETS if secret in text
    )
    assert not found, "\n".join(found)
    # the failure was recorded (redacted), so the search above looked at real records
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'state.db'}")
    with engine.connect() as conn:
        [(error,)] = conn.exec_driver_sql("SELECT last_error FROM hook_inbox").all()
        [(body,)] = conn.exec_driver_sql("SELECT body FROM hook_inbox").all()
        runs = conn.exec_driver_sql("SELECT status, message FROM sync_run").all()
    engine.dispose()
    assert error and '"Account": "sandbox"' in body and "Key" not in body
    assert runs and all(message for _, message in runs)


@pytest.fixture(params=["sqlite", pytest.param("pg", marks=pytest.mark.pg)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'state.db'}"
        return
    import uuid

    from vtexbridge.state import migrations
    from vtexbridge.state.engine import normalise_url

    pg_url = request.getfixturevalue("pg_url")
    schema = f"vbsecrets_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(normalise_url(pg_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    url = normalise_url(pg_url).update_query_dict({"options": f"-csearch_path={schema}"})
    rendered = url.render_as_string(hide_password=False)
    migrations.upgrade(rendered)
    yield rendered
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
    admin.dispose()


def test_the_state_store_redacts_what_it_writes(store_url: str) -> None:
    """The write boundary, on both backends: whoever builds the text (an exception's repr, a body)."""
    from vtexbridge.log import register_secret
    from vtexbridge.state import StateStore
    from vtexbridge.state.models import ActionState, RunStatus
    from vtexbridge.state.tables import table_names

    planted = "PLANTED-STORE-SECRET-5d1c"
    register_secret(planted)
    leak = f"ConnectError('http://erp:{SINK_PASSWORD}@erp.example/x') with {planted}"
    with StateStore.open(store_url, create=True) as store:
        item = store.inbox.put("acme", {"OrderId": "1", "note": leak, "nested": [{"deep": planted}]})
        [claimed] = store.inbox.claim(1, "w", account="acme")
        assert claimed.id == item and store.inbox.retry(item, error=repr(RuntimeError(leak)))
        run = store.runs.start("acme")
        store.runs.finish(run, RunStatus.FAILED, message=repr(RuntimeError(leak)))
        action, _ = store.actions.enqueue("acme", "1-01", "invoice", {"note": leak}, dedup_key="invoice:1")
        store.actions.claim_next("w", account="acme")
        store.actions.finish(action, ActionState.FAILED, leak, worker="w")
        store.values.put("orders:journal:acme", "1-01", {"errors": [{"message": leak}]})
        with store.engine.connect() as conn:
            dump = "\n".join(
                str(row) for name in table_names() for row in conn.execute(sa.text(f"SELECT * FROM {name}"))
            )
    assert dump.count("***") >= 10  # the rows are there, redacted
    assert planted not in dump and SINK_PASSWORD not in dump


def test_stored_data_keeps_query_parameters_of_its_urls(store_url: str) -> None:
    """A carrier's tracking URL with ?key=/&token= is data sent to VTEX later: kept as it is."""
    from vtexbridge.state import StateStore

    url = "https://track.example/t?key=ABC123&token=xyz&code=1"
    with StateStore.open(store_url, create=True) as store:
        action, _ = store.actions.enqueue("acme", "1-01", "tracking", {"trackingUrl": url})
        stored = store.actions.get(action)
    assert stored is not None and stored.payload["trackingUrl"] == url


def test_the_upgrade_scrubs_what_older_versions_stored(store_url: str) -> None:
    """Migration 0003: Origin.Key dropped from stored notifications, URL passwords redacted in errors,
    messages and journals written before the write boundary existed."""
    from vtexbridge.state import migrations

    if migrations.current_revision(store_url) is None:
        migrations.upgrade(store_url, "0005")  # the schema before the scrub
    else:
        migrations.downgrade(store_url, "0005")
    from datetime import UTC, datetime

    from sqlalchemy.dialects import postgresql

    json_type = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
    inbox = sa.table(
        "hook_inbox",
        *(
            sa.column(c)
            for c in ("account", "state", "received_at", "available_at", "attempts", "last_error")
        ),
        sa.column("body", json_type),
    )
    kv = sa.table(
        "kv", sa.column("scope"), sa.column("key"), sa.column("updated_at"), sa.column("value", json_type)
    )
    leak = f"the ERP at http://erp:{SINK_PASSWORD}@erp.example/orders refused"
    now = datetime(2026, 12, 1, tzinfo=UTC)
    engine = sa.create_engine(store_url)
    with engine.begin() as conn:
        conn.execute(
            sa.insert(inbox).values(
                account="acme",
                body={"OrderId": "1-01", "Origin": {"Account": "acme", "Key": APP_KEY}},
                state="pending",
                received_at=now,
                available_at=now,
                attempts=1,
                last_error=leak,
            )
        )
        conn.execute(
            sa.insert(kv).values(
                scope="orders:journal:acme", key="1-01", updated_at=now, value={"errors": [{"message": leak}]}
            )
        )
    migrations.upgrade(store_url)
    with engine.connect() as conn:
        dump = "\n".join(
            str(row)
            for name in ("hook_inbox", "kv")
            for row in conn.execute(sa.text(f"SELECT * FROM {name}"))
        )
    engine.dispose()
    assert APP_KEY not in dump and SINK_PASSWORD not in dump, dump
    assert "http://erp:***@erp.example/orders" in dump and "acme" in dump
