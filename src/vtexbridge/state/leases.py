"""Leases: named locks with an expiry, shared by every process of one state database.

:class:`Leases` is the SQL (``store.leases``). :class:`HeldLease` holds one lease for a long job (a
sync run): it takes the lease, renews it from a heartbeat thread, and releases it. A lease left by
a process that died on this machine (same host, pid gone: a ``kill -9``) is taken over at once
instead of waiting for it to expire. Holders are ``host:pid`` (:func:`holder_id`).

The sync lease ``run:sync:<account>`` (:func:`hold_sync_lease`) is held by every job that writes an
account's catalogue: the store sync, the seller sync and adoption, so they never run at once.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from datetime import timedelta

import sqlalchemy as sa

from vtexbridge.errors import StateLocked
from vtexbridge.state._db import Db, upserted
from vtexbridge.state.models import Lease
from vtexbridge.state.tables import lease

__all__ = ["HeldLease", "Leases", "hold_sync_lease", "holder_id", "sync_lease_name"]

log = logging.getLogger(__name__)


class Leases:
    """Named leases (``store.leases``)."""

    def __init__(self, db: Db) -> None:
        self._db = db

    def acquire(self, name: str, holder: str, ttl: timedelta) -> bool:
        """Take the lease ``name`` for ``ttl`` if it is free, expired, or already ours (then renewed)."""
        now = self._db.now()
        t = lease
        ins = self._db.insert(t)
        stmt = ins.values(
            name=name, holder=holder, acquired_at=now, renewed_at=now, expires_at=now + ttl
        ).on_conflict_do_update(
            index_elements=[t.c.name],
            set_={
                "holder": ins.excluded.holder,
                "acquired_at": sa.case((t.c.holder == ins.excluded.holder, t.c.acquired_at), else_=now),
                "renewed_at": ins.excluded.renewed_at,
                "expires_at": ins.excluded.expires_at,
            },
            where=sa.or_(t.c.holder == ins.excluded.holder, t.c.expires_at <= now),
        )
        with self._db.write() as conn:
            return upserted(conn, stmt)

    def renew(self, name: str, holder: str, ttl: timedelta) -> bool:
        """Extend our lease (the heartbeat); False if it was lost to another holder."""
        now = self._db.now()
        t = lease
        stmt = (
            sa.update(t)
            .where(t.c.name == name, t.c.holder == holder)
            .values(renewed_at=now, expires_at=now + ttl)
        )
        with self._db.write() as conn:
            return conn.execute(stmt).rowcount == 1

    def release(self, name: str, holder: str) -> bool:
        with self._db.write() as conn:
            return (
                conn.execute(sa.delete(lease).where(lease.c.name == name, lease.c.holder == holder)).rowcount
                == 1
            )

    def get(self, name: str) -> Lease | None:
        with self._db.read() as conn:
            row = conn.execute(sa.select(lease).where(lease.c.name == name)).first()
        return Lease(**row._mapping) if row else None

    def require(self, name: str, holder: str, ttl: timedelta) -> None:
        """Acquire the lease or raise :class:`StateLocked` naming who holds it and until when."""
        if self.acquire(name, holder, ttl):
            return
        current = self.get(name)
        who = (
            f"{current.holder} until {current.expires_at:%Y-%m-%d %H:%M:%S} UTC"
            if current
            else "another process"
        )
        raise StateLocked(f"{name} is held by {who}")


def holder_id() -> str:
    """This process as a lease holder: ``host:pid``."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _dead_here(holder: str) -> bool:
    """Whether ``holder`` (``host:pid``) is a process of this machine that no longer exists."""
    host, _, pid = holder.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


class HeldLease:
    """A lease held by this process, renewed by a heartbeat thread until :meth:`release`.

    Args:
        leases: the store's leases (``store.leases``).
        name: the lease, e.g. ``run:sync:<account>``.
        ttl_s: how long the lease lasts without a heartbeat (renewed every third of it).
        busy: what a :class:`StateLocked` says first when someone else holds the lease.

    Raises:
        StateLocked: a live process holds the lease (the message names it and until when).
    """

    def __init__(self, leases: Leases, name: str, ttl_s: float, *, busy: str = "the lease is taken") -> None:
        self.leases = leases
        self.name = name
        self.holder = holder_id()
        self.ttl = timedelta(seconds=ttl_s)
        if not leases.acquire(name, self.holder, self.ttl):
            current = leases.get(name)
            if current is not None and _dead_here(current.holder):
                log.warning("taking over %s from %s, which is no longer running", name, current.holder)
                leases.release(name, current.holder)
            try:
                leases.require(name, self.holder, self.ttl)
            except StateLocked as e:
                raise StateLocked(f"{busy}: {e.message}") from None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="vtexbridge-lease", daemon=True)
        self._thread.start()

    def _beat(self) -> None:
        interval = max(1.0, self.ttl.total_seconds() / 3)
        while not self._stop.wait(interval):
            try:
                if not self.leases.renew(self.name, self.holder, self.ttl):
                    log.error("lost the lease %s to another process", self.name)
                    return
            except Exception:
                log.exception("could not renew the lease %s", self.name)

    def release(self) -> None:
        """Stop the heartbeat and give the lease back (a failure is logged, never raised)."""
        self._stop.set()
        self._thread.join(timeout=5)
        try:
            self.leases.release(self.name, self.holder)
        except Exception:
            log.exception("could not release the lease %s", self.name)


def sync_lease_name(account: str) -> str:
    """The lease of an account's catalogue writes."""
    return f"run:sync:{account}"


def hold_sync_lease(leases: Leases, account: str, ttl_s: float) -> HeldLease:
    """Hold the account's sync lease, or raise :class:`StateLocked` naming the sync that holds it."""
    return HeldLease(leases, sync_lease_name(account), ttl_s, busy="another sync of this account is running")
