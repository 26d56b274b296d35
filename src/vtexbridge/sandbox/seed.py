"""Seed data sets for a fresh sandbox account (``vtexbridge sandbox --seed NAME``).

``demo``: what a new VTEX store has before any integration runs: trade policies 1 and 2, a warehouse
``1_1`` with dock ``1``, and a few customers (Master Data ``CL`` documents) with their addresses (``AD``
documents linked by ``userId``). No catalog: the ERP sync creates it.

Seeding is idempotent and never overwrites: a document that already exists is left as it is. Ids
are fixed (derived from the account), so a seeded sandbox is reproducible.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from vtexbridge.sandbox.rules.catalog import default_sales_channel
from vtexbridge.sandbox.rules.logistics import dock_doc, warehouse_doc
from vtexbridge.sandbox.rules.masterdata import new_document
from vtexbridge.sandbox.store import Store

__all__ = ["SEEDS", "seed"]

SEED_TIME = "2024-01-02T12:00:00.000000Z"

_CUSTOMERS: tuple[dict[str, Any], ...] = (
    {
        "customer": {
            "email": "maria.silva@example.com",
            "firstName": "Maria",
            "lastName": "Silva",
            "documentType": "cpf",
            "document": "52998224725",
            "phone": "+5511988887777",
            "isCorporate": False,
            "isNewsletterOptIn": True,
            "localeDefault": "pt-BR",
        },
        "address": {
            "addressName": "casa",
            "receiverName": "Maria Silva",
            "postalCode": "01310-100",
            "street": "Avenida Paulista",
            "number": "1578",
            "complement": "apto 42",
            "neighborhood": "Bela Vista",
            "city": "São Paulo",
            "state": "SP",
            "country": "BRA",
        },
    },
    {
        "customer": {
            "email": "joao.souza@example.com",
            "firstName": "João",
            "lastName": "Souza",
            "documentType": "cpf",
            "document": "11144477735",
            "phone": "+5521977776666",
            "isCorporate": False,
            "isNewsletterOptIn": False,
            "localeDefault": "pt-BR",
        },
        "address": {
            "addressName": "trabalho",
            "receiverName": "João Souza",
            "postalCode": "22250-040",
            "street": "Praia de Botafogo",
            "number": "300",
            "complement": "",
            "neighborhood": "Botafogo",
            "city": "Rio de Janeiro",
            "state": "RJ",
            "country": "BRA",
        },
    },
    {
        "customer": {
            "email": "compras@lojaexemplo.com.br",
            "firstName": "Ana",
            "lastName": "Pereira",
            "documentType": "cpf",
            "document": "39053344705",
            "phone": "+5531966665555",
            "isCorporate": True,
            "corporateName": "Loja Exemplo Ltda",
            "tradeName": "Loja Exemplo",
            "corporateDocument": "11222333000181",
            "stateRegistration": "0623079040081",
            "isNewsletterOptIn": False,
            "localeDefault": "pt-BR",
        },
        "address": {
            "addressName": "sede",
            "receiverName": "Ana Pereira",
            "postalCode": "30130-010",
            "street": "Avenida Afonso Pena",
            "number": "1500",
            "complement": "sala 801",
            "neighborhood": "Centro",
            "city": "Belo Horizonte",
            "state": "MG",
            "country": "BRA",
        },
    },
)


def _put(store: Store, account: str, kind: str, key: str, doc: dict[str, Any]) -> None:
    table = store.table(account, kind)
    if key not in table:
        table[key] = doc


def _demo(store: Store, account: str) -> None:
    _put(store, account, "saleschannel", "1", default_sales_channel())
    # A second trade policy (wholesale), as most stores have: examples/erp sells some products in it.
    wholesale = {**default_sales_channel(), "Id": 2, "Name": "Atacado", "Position": 2}
    _put(store, account, "saleschannel", "2", wholesale)
    dock = dock_doc(
        {
            "id": "1",
            "name": "Doca Principal",
            "priority": 0,
            "dockTimeFake": "00:00:00",
            "timeFakeOverhead": "00:00:00",
            "salesChannels": ["1"],
            "salesChannel": "1",
            "freightTableIds": [],
            "wmsEndPoint": "",
            "address": {
                "postalCode": "01310-100",
                "country": {"acronym": "BRA", "name": "Brasil"},
                "city": "São Paulo",
                "state": "SP",
                "neighborhood": "Bela Vista",
                "street": "Avenida Paulista",
                "number": "1000",
                "complement": "",
                "coordinates": [[-46.6544, -23.5632]],
            },
        },
        None,
    )
    _put(store, account, "dock", "1", dock)
    warehouse = warehouse_doc(
        {
            "id": "1_1",
            "name": "Estoque Principal",
            "warehouseDocks": [
                {
                    "dockId": "1",
                    "name": "Doca Principal",
                    "time": "00:00:00",
                    "cost": "0.00",
                    "translateDays": "0",
                    "costToDisplay": "0,00",
                }
            ],
        },
        None,
        {"1"},
    )
    _put(store, account, "warehouse", "1_1", warehouse)
    for entry in _CUSTOMERS:
        fields = entry["customer"]
        customer_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"vtexbridge-seed:{account}:CL:{fields['email']}"))
        _put(
            store,
            account,
            "document:CL",
            customer_id,
            new_document(account, "CL", customer_id, fields, SEED_TIME),
        )
        address_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"vtexbridge-seed:{account}:AD:{fields['email']}"))
        address = {**entry["address"], "userId": customer_id}
        _put(
            store,
            account,
            "document:AD",
            address_id,
            new_document(account, "AD", address_id, address, SEED_TIME),
        )


SEEDS: dict[str, Callable[[Store, str], None]] = {"demo": _demo}


def seed(store: Store, account: str, name: str) -> None:
    """Apply the seed data set ``name`` to ``account``.

    Raises:
        ValueError: ``name`` is not a known data set (the message lists the known ones).
    """
    try:
        apply = SEEDS[name]
    except KeyError:
        raise ValueError(f"unknown seed {name!r}; known seeds: {', '.join(sorted(SEEDS))}") from None
    apply(store, account)
