"""Folder sink: one file per order and status, atomic, idempotent."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest

from vtexbridge.erp.sinks import OrderDelivery, SinkError, render_json
from vtexbridge.erp.sinks.folder import FolderSink, file_name


def delivery(
    order_id: str = "1300000000001-01", status: str = "ready-for-handling", **doc: object
) -> OrderDelivery:
    return OrderDelivery("acme", order_id, status, {"orderId": order_id, "status": status, **doc})


async def test_writes_one_file_per_order_and_status(tmp_path: Path) -> None:
    sink = FolderSink(tmp_path / "orders")
    result = await sink.deliver(delivery())
    target = tmp_path / "orders" / "1300000000001-01.ready-for-handling.json"
    assert result.written and result.erp_ref == str(target)
    assert json.loads(target.read_text()) == {"orderId": "1300000000001-01", "status": "ready-for-handling"}
    await sink.deliver(delivery(status="canceled"))
    assert sorted(p.name for p in (tmp_path / "orders").iterdir()) == [
        "1300000000001-01.canceled.json",
        "1300000000001-01.ready-for-handling.json",
    ]


async def test_an_identical_redelivery_writes_nothing(tmp_path: Path) -> None:
    sink = FolderSink(tmp_path)
    await sink.deliver(delivery())
    target = sink.file_for("1300000000001-01", "ready-for-handling")
    before = target.stat()
    again = await sink.deliver(delivery())
    assert not again.written and again.erp_ref == str(target)
    after = target.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


async def test_a_different_redelivery_keeps_the_file_the_erp_may_have_read(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    sink = FolderSink(tmp_path)
    await sink.deliver(delivery(note="first"))
    result = await sink.deliver(delivery(note="second"))
    assert not result.written
    assert json.loads(sink.file_for("1300000000001-01", "ready-for-handling").read_text())["note"] == "first"
    assert "already exists with other content" in caplog.text


async def test_replay_overwrites(tmp_path: Path) -> None:
    sink = FolderSink(tmp_path)
    await sink.deliver(delivery(note="first"))
    d = delivery(note="again")
    result = await sink.deliver(OrderDelivery(d.account, d.order_id, d.status, d.document, replay=True))
    assert result.written
    assert json.loads(sink.file_for(d.order_id, d.status).read_text())["note"] == "again"


async def test_no_temporary_file_is_left_and_content_is_the_rendered_document(tmp_path: Path) -> None:
    sink = FolderSink(tmp_path, fsync=True)
    d = delivery(items=[{"name": "Café"}])
    await sink.deliver(d)
    names = [p.name for p in tmp_path.iterdir()]  # noqa: ASYNC240 - a test's look at the result
    assert names == ["1300000000001-01.ready-for-handling.json"]
    assert sink.file_for(d.order_id, d.status).read_bytes() == render_json(d.document)


def test_concurrent_writers_never_replace_each_other(tmp_path: Path) -> None:
    sink = FolderSink(tmp_path, fsync=False)
    results = []

    def write(n: int) -> None:
        results.append(sink.write(delivery(writer=n)))

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r.written for r in results) == 1
    assert len(list(tmp_path.iterdir())) == 1


def test_unsafe_characters_in_names_are_escaped_not_replaced() -> None:
    assert file_name("a/b\\c:d", "x y") == "a%2Fb%5Cc%3Ad.x%20y.json"
    assert file_name("1300000000042-01", "ready-for-handling") == "1300000000042-01.ready-for-handling.json"
    assert file_name("..", "canceled") == "%2E%2E.canceled.json"  # never hidden, never a path


def test_ids_that_differ_only_in_unsafe_characters_get_distinct_files(tmp_path: Path) -> None:
    """Measured before the fix: COLL/1, COLL_1, COLL:1 and COLL 1 shared one file; three of the
    four orders were recorded as delivered and never reached the ERP."""
    sink = FolderSink(tmp_path, fsync=False)
    ids = ["COLL/1", "COLL_1", "COLL:1", "COLL 1", "COLL%2F1", "COLL.1"]
    results = [sink.write(delivery(oid)) for oid in ids]
    assert [r.written for r in results] == [True] * len(ids)
    assert len({r.erp_ref for r in results}) == len(ids)
    for oid, result in zip(ids, results, strict=True):
        assert json.loads(Path(str(result.erp_ref)).read_text())["orderId"] == oid


def test_temporary_files_of_a_killed_writer_are_removed_on_start(tmp_path: Path) -> None:
    import subprocess
    import sys

    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    dead_pid = int(dead.stdout)
    left = tmp_path / f".1-01.ready-for-handling.json.{dead_pid}.0123456789ab.tmp"
    live = tmp_path / f".2-01.ready-for-handling.json.{os.getpid()}.0123456789ab.tmp"
    erp_own = tmp_path / ".erp-working-copy.tmp"  # not ours: left alone
    for path in (left, live, erp_own):
        path.write_text("{")
    FolderSink(tmp_path, fsync=False)
    assert not left.exists() and live.exists() and erp_own.exists()


async def test_an_unwritable_folder_is_a_sink_error(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        folder = tmp_path / "ro"
        folder.mkdir()
        folder.chmod(0o500)
    else:
        # Root writes through permission bits; /proc/self exists and refuses new files even to root.
        folder = Path("/proc/self")
        if not folder.is_dir():
            pytest.skip("needs /proc (Linux) when running as root")
    try:
        with pytest.raises(SinkError, match="cannot write"):
            await FolderSink(folder).deliver(delivery())
    finally:
        if folder.parent == tmp_path:
            folder.chmod(0o700)


async def test_a_file_in_the_way_of_the_folder(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    with pytest.raises(SinkError, match="cannot create"):
        FolderSink(tmp_path / "f" / "orders")
