"""Write a synthetic ERP store of any size, in the folder reader's format (docs/erp-format.md).

    python bench/generate_store.py OUT_DIR --skus 1000000 [--seed 1] [--skus-per-product 3]
        [--warehouses 2] [--customers N] [--format csv|jsonl] [--jobs 2]

The store is a deterministic function of its arguments: the same arguments write byte-identical
files, which is what a "re-sync with no change" benchmark needs; a different ``--seed`` changes
names, prices, stock and images. It has the shape of the example store (a three-level category tree,
brands, Color/Size SKU specs and a Material product spec, 1-3 images per SKU, one EAN-13 per SKU,
prices with some fixed prices in trade policies 1 and 2, stock in every warehouse, customers with
addresses) and every reference resolves.

Rows are written as they are made, a chunk at a time (memory stays flat), and the files are written
in parallel by ``--jobs`` processes. Per 1,000,000 SKUs it writes about 10 million rows.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

CHUNK = 20_000

ADJECTIVES = (
    "Alpine",
    "Trail",
    "Summit",
    "Ridge",
    "Canyon",
    "Coastal",
    "Glacier",
    "Forest",
    "Desert",
    "Storm",
    "Urban",
    "Arctic",
    "Harbor",
    "Prairie",
    "Granite",
    "Cedar",
    "Falcon",
    "Meadow",
    "Lunar",
    "Tundra",
)
NOUNS = (
    "Jacket",
    "Fleece",
    "Hoodie",
    "Tee",
    "Pants",
    "Shorts",
    "Backpack",
    "Boots",
    "Cap",
    "Gloves",
    "Vest",
    "Parka",
    "Leggings",
    "Sandals",
    "Beanie",
    "Socks",
    "Duffel",
    "Tent",
    "Sleeping Bag",
    "Poncho",
)
COLORS = (
    "Black",
    "White",
    "Red",
    "Blue",
    "Green",
    "Grey",
    "Navy",
    "Olive",
    "Orange",
    "Yellow",
    "Sand",
    "Teal",
)
SIZES = ("XS", "S", "M", "L", "XL", "XXL", "36", "38")
MATERIALS = (
    "Nylon",
    "Polyester",
    "Cotton",
    "Merino Wool",
    "Gore-Tex",
    "Fleece",
    "Leather",
    "Canvas",
    "Down",
    "Ripstop",
)
DEPARTMENTS = 8
BLACK_FRIDAY = ("2025-11-28T00:00:00Z", "2025-12-01T23:59:59Z")
CATEGORIES_PER_DEPARTMENT = 6
LEAVES_PER_CATEGORY = 5
FIRST_NAMES = (
    "Ana",
    "Bruno",
    "Carla",
    "Diego",
    "Elisa",
    "Fabio",
    "Gabriela",
    "Hugo",
    "Isabel",
    "Joao",
    "Larissa",
    "Marcos",
    "Natalia",
    "Otavio",
    "Paula",
    "Rafael",
    "Sofia",
    "Tiago",
    "Vera",
    "Yuri",
)
LAST_NAMES = (
    "Silva",
    "Santos",
    "Oliveira",
    "Souza",
    "Lima",
    "Pereira",
    "Costa",
    "Almeida",
    "Ferreira",
    "Rodrigues",
    "Gomes",
    "Martins",
    "Araujo",
    "Ribeiro",
    "Carvalho",
    "Rocha",
)
CITIES = (
    ("Sao Paulo", "SP", "01310"),
    ("Rio de Janeiro", "RJ", "20040"),
    ("Belo Horizonte", "MG", "30130"),
    ("Curitiba", "PR", "80010"),
    ("Porto Alegre", "RS", "90010"),
    ("Florianopolis", "SC", "88010"),
    ("Salvador", "BA", "40020"),
    ("Recife", "PE", "50030"),
)


@dataclass(frozen=True)
class Shape:
    """The sizes of the store, all derived from the command line."""

    skus: int
    seed: int
    skus_per_product: int
    warehouses: int
    customers: int
    fmt: str

    @property
    def products(self) -> int:
        return math.ceil(self.skus / self.skus_per_product)

    @property
    def brands(self) -> int:
        return max(6, min(500, self.products // 400))

    @property
    def leaves(self) -> int:
        return DEPARTMENTS * CATEGORIES_PER_DEPARTMENT * LEAVES_PER_CATEGORY

    def table(self, salt: int) -> list[int]:
        """4096 pseudo-random 31-bit numbers from the seed and ``salt``: cheap deterministic noise."""
        rng = random.Random(self.seed * 1_000_003 + salt)
        return [rng.getrandbits(31) for _ in range(4096)]


def _noise(table: list[int], i: int) -> int:
    return table[(i * 2654435761) >> 7 & 4095] ^ (i * 40503 & 0xFFFF)


# --- one generator of rows (tuples of str) per entity ----------------------------------------------

Columns = tuple[str, ...]
Rows = Iterator[tuple[str, ...]]


def categories(s: Shape) -> Rows:
    for d in range(DEPARTMENTS):
        dk = f"D{d + 1:02d}"
        yield dk, f"Department {d + 1}", "", "true"
        for c in range(CATEGORIES_PER_DEPARTMENT):
            ck = f"{dk}-C{c + 1:02d}"
            yield ck, f"Category {d + 1}.{c + 1}", dk, "true"
            for leaf in range(LEAVES_PER_CATEGORY):
                yield f"{ck}-L{leaf + 1:02d}", f"Category {d + 1}.{c + 1}.{leaf + 1}", ck, "true"


def _leaf(i: int) -> str:
    leaf = i % LEAVES_PER_CATEGORY
    c = i // LEAVES_PER_CATEGORY % CATEGORIES_PER_DEPARTMENT
    d = i // (LEAVES_PER_CATEGORY * CATEGORIES_PER_DEPARTMENT) % DEPARTMENTS
    return f"D{d + 1:02d}-C{c + 1:02d}-L{leaf + 1:02d}"


def brands(s: Shape) -> Rows:
    t = s.table(1)
    for b in range(s.brands):
        yield f"B{b + 1:04d}", f"{ADJECTIVES[_noise(t, b) % 20]} Outfitters {b + 1}", "true"


def specification_groups(s: Shape) -> Rows:
    for d in range(DEPARTMENTS):
        yield f"G{d + 1:02d}", f"D{d + 1:02d}", "Specifications", "1"


SPEC_FIELDS = (
    ("color", "Color", "true", COLORS),
    ("size", "Size", "true", SIZES),
    ("material", "Material", "false", MATERIALS),
)


def specification_fields(s: Shape) -> Rows:
    for d in range(DEPARTMENTS):
        for pos, (code, name, is_sku, _values) in enumerate(SPEC_FIELDS):
            yield f"F{d + 1:02d}-{code}", f"G{d + 1:02d}", name, "combo", is_sku, "true", str(pos + 1)


def specification_values(s: Shape) -> Rows:
    for d in range(DEPARTMENTS):
        for code, _name, _is_sku, values in SPEC_FIELDS:
            for pos, value in enumerate(values):
                yield f"V{d + 1:02d}-{code}-{pos + 1:02d}", f"F{d + 1:02d}-{code}", value, str(pos + 1)


def _dept_of_product(p: int) -> int:
    return p // (LEAVES_PER_CATEGORY * CATEGORIES_PER_DEPARTMENT) % DEPARTMENTS + 1


def products(s: Shape) -> Rows:
    t = s.table(2)
    nb = s.brands
    for p in range(s.products):
        n = _noise(t, p)
        name = f"{ADJECTIVES[n % 20]} {NOUNS[n // 20 % 20]} {p + 1}"
        yield (
            f"P{p + 1:07d}",
            name,
            _leaf(p),
            f"B{n % nb + 1:04d}",
            f"{name.lower().replace(' ', '-')}",
            f"{name} - durable outdoor gear",
            "1;2" if n & 1 else "1",
        )


def product_specifications(s: Shape) -> Rows:
    t = s.table(3)
    for p in range(s.products):
        d = _dept_of_product(p)
        yield f"P{p + 1:07d}", f"F{d:02d}-material", f"V{d:02d}-material-{_noise(t, p) % 10 + 1:02d}"


def _product_of(s: Shape, i: int) -> int:
    return i // s.skus_per_product


def skus(s: Shape) -> Rows:
    t = s.table(4)
    k = s.skus_per_product
    for i in range(s.skus):
        n = _noise(t, i)
        p = i // k
        yield (
            f"S{i + 1:08d}",
            f"P{p + 1:07d}",
            f"Variant {i % k + 1} of product {p + 1}",
            str(5 + n % 40),
            str(10 + n // 40 % 50),
            str(10 + n // 2000 % 40),
            f"0.{100 + n % 900}",
            "true",
        )


def sku_specifications(s: Shape) -> Rows:
    k = s.skus_per_product
    t = s.table(5)
    for i in range(s.skus):
        d = _dept_of_product(i // k)
        sk = f"S{i + 1:08d}"
        yield sk, f"F{d:02d}-color", f"V{d:02d}-color-{_noise(t, i // k) % 12 + 1:02d}"
        yield sk, f"F{d:02d}-size", f"V{d:02d}-size-{i % k % 8 + 1:02d}"


def sku_images(s: Shape) -> Rows:
    t = s.table(6)
    k = s.skus_per_product
    for i in range(s.skus):
        sk = f"S{i + 1:08d}"
        base = f"https://cdn.example.com/erp/{s.seed}/P{i // k + 1:07d}/{sk}"
        for m in range(_noise(t, i) % 3 + 1):
            yield sk, f"{base}-{m + 1}.jpg", "true" if m == 0 else "false", str(m + 1)


def _ean13(n: int) -> str:
    body = f"789{n % 1_000_000_000:09d}"
    total = sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(body))
    return body + str((10 - total % 10) % 10)


def eans(s: Shape) -> Rows:
    offset = s.seed * 7_919_011 % 1_000_000_000
    for i in range(s.skus):
        yield f"S{i + 1:08d}", _ean13(offset + i)


def _money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def prices(s: Shape) -> Rows:
    t = s.table(7)
    for i in range(s.skus):
        base = 1990 + _noise(t, i) % 58000
        yield f"S{i + 1:08d}", _money(base), _money(base * 13 // 10 // 10 * 10 + 9), _money(base * 55 // 100)


def fixed_prices(s: Shape) -> Rows:
    t = s.table(7)
    for i in range(s.skus):
        n = _noise(t, i)
        base = 1990 + n % 58000
        if i % 10 == 3:
            yield f"S{i + 1:08d}", "1", _money(base * 9 // 10), "", "1", "", ""
        if i % 20 == 7:
            yield f"S{i + 1:08d}", "2", _money(base * 85 // 100), _money(base), "3", "", ""
        if i % 50 == 11:
            yield (
                f"S{i + 1:08d}",
                "1",
                _money(base * 7 // 10),
                _money(base),
                "1",
                BLACK_FRIDAY[0],
                BLACK_FRIDAY[1],
            )


def docks(s: Shape) -> Rows:
    yield "DK-SP", "Dock Sao Paulo", "1", "1.00:00:00", "1;2"
    yield "DK-RS", "Dock Porto Alegre", "2", "2.00:00:00", "1;2"


def warehouses(s: Shape) -> Rows:
    for w in range(s.warehouses):
        yield f"W{w + 1:02d}", f"Warehouse {w + 1}", str(w)


def warehouse_docks(s: Shape) -> Rows:
    for w in range(s.warehouses):
        yield f"W{w + 1:02d}", "DK-SP" if w % 2 == 0 else "DK-RS", f"{w % 3}.00:00:00", "0.00"


def inventory(s: Shape) -> Rows:
    t = s.table(8)
    for i in range(s.skus):
        sk = f"S{i + 1:08d}"
        n = _noise(t, i)
        for w in range(s.warehouses):
            yield sk, f"W{w + 1:02d}", str((n >> (w * 5)) % 40), "1.00:00:00"


def customers(s: Shape) -> Rows:
    t = s.table(9)
    for c in range(s.customers):
        n = _noise(t, c)
        first, last = FIRST_NAMES[n % 20], LAST_NAMES[n // 20 % 16]
        yield (
            f"C{c + 1:07d}",
            f"{first.lower()}.{last.lower()}.{c + 1}@example.com",
            first,
            last,
            "cpf",
            f"{n % 1_000_000_000:09d}00",
            f"+55119{n % 100_000_000:08d}",
            "true" if n & 4 else "false",
        )


def addresses(s: Shape) -> Rows:
    t = s.table(10)
    for c in range(s.customers):
        n = _noise(t, c)
        for a in range(1 + (n & 1)):
            city, state, cep = CITIES[(n + a) % len(CITIES)]
            yield (
                f"A{c + 1:07d}-{a + 1}",
                f"C{c + 1:07d}",
                f"{cep}-{n % 1000:03d}",
                f"Rua {LAST_NAMES[(n >> 3) % 16]}",
                city,
                "BRA",
                str(1 + n % 2000),
                state,
                "residential" if a == 0 else "commercial",
            )


ENTITIES: dict[str, tuple[Columns, Callable[[Shape], Rows], Callable[[Shape], int]]] = {
    "categories": (("key", "name", "parent_key", "is_active"), categories, lambda s: 300),
    "brands": (("key", "name", "is_active"), brands, lambda s: s.brands),
    "specification_groups": (("key", "category_key", "name", "position"), specification_groups, lambda s: 8),
    "specification_fields": (
        ("key", "group_key", "name", "field_type", "is_sku", "is_filter", "position"),
        specification_fields,
        lambda s: 24,
    ),
    "specification_values": (("key", "field_key", "name", "position"), specification_values, lambda s: 240),
    "products": (
        ("key", "name", "category_key", "brand_key", "link_id", "description", "trade_policies"),
        products,
        lambda s: s.products,
    ),
    "product_specifications": (
        ("product_key", "field_key", "value_keys"),
        product_specifications,
        lambda s: s.products,
    ),
    "skus": (
        (
            "key",
            "product_key",
            "name",
            "packaged_height",
            "packaged_length",
            "packaged_width",
            "packaged_weight_kg",
            "is_active",
        ),
        skus,
        lambda s: s.skus,
    ),
    "sku_specifications": (("sku_key", "field_key", "value_key"), sku_specifications, lambda s: 2 * s.skus),
    "sku_images": (("sku_key", "url", "is_main", "position"), sku_images, lambda s: 2 * s.skus),
    "eans": (("sku_key", "ean"), eans, lambda s: s.skus),
    "prices": (("sku_key", "base_price", "list_price", "cost_price"), prices, lambda s: s.skus),
    "fixed_prices": (
        ("sku_key", "trade_policy", "value", "list_price", "min_quantity", "date_from", "date_to"),
        fixed_prices,
        lambda s: s.skus // 7,
    ),
    "docks": (("key", "name", "priority", "dock_time", "trade_policies"), docks, lambda s: 2),
    "warehouses": (("key", "name", "priority"), warehouses, lambda s: s.warehouses),
    "warehouse_docks": (
        ("warehouse_key", "dock_key", "time", "cost"),
        warehouse_docks,
        lambda s: s.warehouses,
    ),
    "inventory": (
        ("sku_key", "warehouse_key", "quantity", "lead_time"),
        inventory,
        lambda s: s.skus * s.warehouses,
    ),
    "customers": (
        (
            "key",
            "email",
            "first_name",
            "last_name",
            "document_type",
            "document",
            "phone",
            "is_newsletter_opt_in",
        ),
        customers,
        lambda s: s.customers,
    ),
    "addresses": (
        (
            "key",
            "customer_key",
            "postal_code",
            "street",
            "city",
            "country",
            "number",
            "state",
            "address_type",
        ),
        addresses,
        lambda s: s.customers * 3 // 2,
    ),
}


def write_entity(out_dir: Path, name: str, s: Shape) -> tuple[str, int, float]:
    """Write one entity's file; return its name, row count and seconds taken."""
    t0 = time.perf_counter()
    columns, rows, _ = ENTITIES[name]
    path = out_dir / f"{name}.{s.fmt}"
    n = 0
    with path.open("w", encoding="utf-8", newline="") as fh:
        if s.fmt == "csv":
            fh.write(",".join(columns) + "\n")
            fmt: Callable[[tuple[str, ...]], str] = ",".join
        else:
            keys = [f'"{c}":"' for c in columns]

            def fmt(values: tuple[str, ...]) -> str:
                return "{" + ",".join(k + v + '"' for k, v in zip(keys, values, strict=True) if v) + "}"

        chunk: list[str] = []
        for values in rows(s):
            chunk.append(fmt(values))
            if len(chunk) >= CHUNK:
                n += len(chunk)
                chunk.append("")
                fh.write("\n".join(chunk))
                chunk = []
        n += len(chunk)
        if chunk:
            chunk.append("")
            fh.write("\n".join(chunk))
    return name, n, time.perf_counter() - t0


def generate(out_dir: Path, s: Shape, jobs: int) -> list[tuple[str, int, float]]:
    """Write every entity's file into ``out_dir``, the biggest first, over ``jobs`` processes."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in ENTITIES:
        for ext in ("csv", "jsonl"):
            stale = out_dir / f"{name}.{ext}"
            if ext != s.fmt and stale.exists():
                stale.unlink()
    order = sorted(ENTITIES, key=lambda n: -ENTITIES[n][2](s))
    if jobs <= 1:
        return [write_entity(out_dir, name, s) for name in order]
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(write_entity, [out_dir] * len(order), order, [s] * len(order)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--skus", type=int, required=True, help="number of SKUs")
    parser.add_argument("--seed", type=int, default=1, help="changes names, prices, stock, images")
    parser.add_argument("--skus-per-product", type=int, default=3, help="variants per product (default 3)")
    parser.add_argument("--warehouses", type=int, default=2, help="stock rows per SKU (default 2)")
    parser.add_argument("--customers", type=int, default=None, help="default: SKUs / 10, at most 100,000")
    parser.add_argument("--format", choices=("csv", "jsonl"), default="csv")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="processes writing files")
    args = parser.parse_args(argv)
    if args.skus < 1 or args.skus_per_product < 1 or args.warehouses < 1:
        parser.error("--skus, --skus-per-product and --warehouses must be at least 1")
    customers = args.customers if args.customers is not None else max(1, min(100_000, args.skus // 10))
    shape = Shape(args.skus, args.seed, args.skus_per_product, args.warehouses, customers, args.format)
    t0 = time.perf_counter()
    results = generate(args.out_dir, shape, max(1, args.jobs))
    elapsed = time.perf_counter() - t0
    total = 0
    for name, n, seconds in sorted(results, key=lambda r: list(ENTITIES).index(r[0])):
        total += n
        print(f"{name:24} {n:>12,} rows  {seconds:6.1f} s", file=sys.stderr)
    print(
        f"wrote {total:,} rows for {args.skus:,} SKUs to {args.out_dir} in {elapsed:.1f} s "
        f"({total / elapsed:,.0f} rows/s, {args.jobs} jobs)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
