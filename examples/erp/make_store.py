"""Regenerate the example store in this folder: ``python examples/erp/make_store.py``.

The store is "Trilha Outdoor", a Brazilian outdoor and apparel shop selling in BRL: a three-level
category tree, six brands, Color/Size as SKU specifications and Material/Capacity as product
specifications, 50 products with 150 SKUs, 1-3 images per SKU, one EAN-13 per SKU, prices with
fixed prices in trade policy 1 (a dated promotion) and 2 (a B2B channel with minimum quantities),
two warehouses with docks, stock for every SKU in both, and 20 customers with addresses.

Most files are CSV; ``product_specifications`` and ``customers`` are JSON Lines, to show both. The
output is deterministic (fixed seed), so the files only change when this script does.
"""

from __future__ import annotations

import csv
import json
import random
from collections.abc import Mapping, Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
rng = random.Random(20250301)

# --- catalog tree -----------------------------------------------------------------------------------

TREE = {
    "apparel": (
        "Apparel",
        {
            "jackets": ("Jackets", ["rain-jackets:Rain Jackets", "insulated-jackets:Insulated Jackets"]),
            "tops": ("Tops", ["t-shirts:T-Shirts", "fleece:Fleece"]),
            "bottoms": ("Bottoms", ["hiking-pants:Hiking Pants", "shorts:Shorts"]),
        },
    ),
    "footwear": (
        "Footwear",
        {
            "boots": ("Boots", ["hiking-boots:Hiking Boots"]),
            "shoes": ("Shoes", ["trail-running:Trail Running Shoes", "sandals:Sandals"]),
        },
    ),
    "equipment": (
        "Equipment",
        {
            "backpacks": ("Backpacks", ["daypacks:Daypacks", "trekking-packs:Trekking Packs"]),
            "camping": ("Camping", ["tents:Tents", "sleeping-bags:Sleeping Bags"]),
        },
    ),
    "accessories": (
        "Accessories",
        {
            "headwear": ("Headwear", ["caps:Caps", "beanies:Beanies"]),
            "handwear": ("Gloves & Socks", ["gloves:Gloves", "socks:Socks"]),
        },
    ),
}

BRANDS = [
    ("serra-alta", "Serra Alta", "Technical mountain apparel from the Serra da Mantiqueira."),
    ("patagon-works", "Patagon Works", "Durable gear for long treks."),
    ("trilha-norte", "Trilha Norte", "Lightweight trail running shoes and apparel."),
    ("granite-peak", "Granite Peak", "Backpacks and camping equipment."),
    ("aurora", "Aurora Outdoor", "Insulation and sleeping systems."),
    ("mata-atlantica", "Mata Atlântica Co.", "Organic cotton basics, made in Brazil."),
]

COLORS = ["Black", "Red", "Blue", "Green", "Grey", "Orange", "Sand"]
APPAREL_SIZES = ["S", "M", "L", "XL"]
SHOE_SIZES = ["38", "39", "40", "41", "42", "43"]
MATERIALS = [
    "Nylon",
    "Polyester",
    "Organic Cotton",
    "Merino Wool",
    "Recycled Polyester",
    "Leather",
    "Ripstop",
]

# (department, leaf, brand, base name, material or capacity, price range)
PRODUCTS = [
    ("apparel", "rain-jackets", "serra-alta", "Aguaceiro 2.5L Rain Jacket", "Nylon", (599, 899)),
    ("apparel", "rain-jackets", "patagon-works", "Torrent Shell Jacket", "Recycled Polyester", (699, 999)),
    ("apparel", "rain-jackets", "trilha-norte", "Featherlight Running Jacket", "Ripstop", (349, 499)),
    ("apparel", "rain-jackets", "serra-alta", "Garoa Packable Poncho", "Nylon", (149, 229)),
    ("apparel", "insulated-jackets", "aurora", "Aurora Down Jacket 800", "Nylon", (1199, 1599)),
    ("apparel", "insulated-jackets", "serra-alta", "Pico Synthetic Vest", "Polyester", (399, 549)),
    (
        "apparel",
        "insulated-jackets",
        "patagon-works",
        "Nano Hooded Insulator",
        "Recycled Polyester",
        (899, 1199),
    ),
    ("apparel", "t-shirts", "mata-atlantica", "Ipê Organic Tee", "Organic Cotton", (89, 129)),
    ("apparel", "t-shirts", "mata-atlantica", "Capivara Graphic Tee", "Organic Cotton", (99, 139)),
    ("apparel", "t-shirts", "trilha-norte", "Tempo Running Tee", "Polyester", (119, 169)),
    ("apparel", "t-shirts", "serra-alta", "Merino 150 Base Layer", "Merino Wool", (299, 399)),
    ("apparel", "fleece", "serra-alta", "Altitude Grid Fleece", "Polyester", (349, 449)),
    ("apparel", "fleece", "patagon-works", "Classic Snap Pullover", "Recycled Polyester", (449, 599)),
    ("apparel", "fleece", "mata-atlantica", "Sereno Fleece Hoodie", "Recycled Polyester", (279, 359)),
    ("apparel", "hiking-pants", "serra-alta", "Convertible Trek Pants", "Nylon", (329, 429)),
    ("apparel", "hiking-pants", "patagon-works", "Quandary Softshell Pants", "Nylon", (479, 599)),
    ("apparel", "hiking-pants", "trilha-norte", "Trail Tights", "Polyester", (219, 289)),
    ("apparel", "shorts", "trilha-norte", "Strider 5in Running Shorts", "Polyester", (149, 199)),
    ("apparel", "shorts", "mata-atlantica", "Canoa Cotton Shorts", "Organic Cotton", (129, 179)),
    ("apparel", "shorts", "serra-alta", "Cascata Hiking Shorts", "Ripstop", (199, 259)),
    ("footwear", "hiking-boots", "serra-alta", "Itatiaia Mid GTX Boot", "Leather", (899, 1199)),
    ("footwear", "hiking-boots", "patagon-works", "Fitz Leather Boot", "Leather", (999, 1399)),
    ("footwear", "hiking-boots", "granite-peak", "Canyon Low Hiker", "Ripstop", (599, 799)),
    ("footwear", "trail-running", "trilha-norte", "Veloz Trail 3", "Ripstop", (549, 749)),
    ("footwear", "trail-running", "trilha-norte", "Serrana Ultra", "Ripstop", (699, 899)),
    ("footwear", "trail-running", "patagon-works", "Terrebonne Runner", "Recycled Polyester", (649, 849)),
    ("footwear", "sandals", "mata-atlantica", "Praia Sport Sandal", "Recycled Polyester", (149, 219)),
    ("footwear", "sandals", "trilha-norte", "Recovery Slide", "Polyester", (119, 169)),
    ("equipment", "daypacks", "granite-peak", "Cume 22 Daypack", "22 L", (299, 399)),
    ("equipment", "daypacks", "granite-peak", "Urban Commuter 18", "18 L", (249, 329)),
    ("equipment", "daypacks", "trilha-norte", "Hydro Vest 8", "8 L", (399, 499)),
    ("equipment", "daypacks", "patagon-works", "Black Hole Pack 25", "25 L", (549, 699)),
    ("equipment", "trekking-packs", "granite-peak", "Travessia 55+10", "65 L", (899, 1199)),
    ("equipment", "trekking-packs", "granite-peak", "Expedição 70", "70 L", (1099, 1399)),
    ("equipment", "trekking-packs", "serra-alta", "Mantiqueira 40", "40 L", (649, 849)),
    ("equipment", "tents", "granite-peak", "Refúgio 2P Tent", "2 people", (1299, 1699)),
    ("equipment", "tents", "granite-peak", "Base Camp 4P Tent", "4 people", (1899, 2399)),
    ("equipment", "tents", "aurora", "Solo Ultralight Tent", "1 person", (1599, 1999)),
    ("equipment", "sleeping-bags", "aurora", "Aurora -5°C Down Bag", "-5 °C", (1399, 1799)),
    ("equipment", "sleeping-bags", "aurora", "Verão +10°C Bag", "+10 °C", (399, 549)),
    ("equipment", "sleeping-bags", "granite-peak", "Trekker 0°C Synthetic", "0 °C", (699, 899)),
    ("accessories", "caps", "trilha-norte", "Run Cap", "Polyester", (89, 119)),
    ("accessories", "caps", "mata-atlantica", "Trucker Cap Tucano", "Organic Cotton", (99, 129)),
    ("accessories", "caps", "serra-alta", "Sun Hat UPF50", "Nylon", (129, 169)),
    ("accessories", "beanies", "serra-alta", "Merino Beanie", "Merino Wool", (119, 159)),
    ("accessories", "beanies", "patagon-works", "Fisherman Rolled Beanie", "Recycled Polyester", (149, 189)),
    ("accessories", "gloves", "serra-alta", "Liner Gloves", "Merino Wool", (129, 169)),
    ("accessories", "gloves", "aurora", "Summit Insulated Gloves", "Polyester", (299, 399)),
    ("accessories", "socks", "trilha-norte", "Trail Socks 3-Pack", "Merino Wool", (99, 139)),
    ("accessories", "socks", "serra-alta", "Trek Crew Socks", "Merino Wool", (79, 109)),
]

FIRST = [
    "Ana",
    "Bruno",
    "Camila",
    "Diego",
    "Eduarda",
    "Felipe",
    "Gabriela",
    "Henrique",
    "Isabela",
    "João",
    "Larissa",
    "Mateus",
    "Natália",
    "Otávio",
    "Paula",
    "Rafael",
    "Sofia",
    "Thiago",
    "Vitória",
    "Wagner",
]
LAST = [
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
    "Araújo",
    "Ribeiro",
    "Carvalho",
    "Rocha",
    "Barbosa",
    "Mendes",
    "Cardoso",
    "Teixeira",
]
PLACES = [
    ("São Paulo", "SP", "Pinheiros", "Rua dos Pinheiros", "05422"),
    ("São Paulo", "SP", "Vila Mariana", "Rua Domingos de Morais", "04010"),
    ("Rio de Janeiro", "RJ", "Botafogo", "Rua Voluntários da Pátria", "22270"),
    ("Belo Horizonte", "MG", "Savassi", "Rua Pernambuco", "30130"),
    ("Curitiba", "PR", "Batel", "Avenida do Batel", "80420"),
    ("Florianópolis", "SC", "Lagoa da Conceição", "Avenida das Rendeiras", "88062"),
    ("Porto Alegre", "RS", "Moinhos de Vento", "Rua Padre Chagas", "90570"),
    ("Campinas", "SP", "Cambuí", "Rua Coronel Quirino", "13025"),
]


def ean13(n: int) -> str:
    body = f"789{n:09d}"
    total = sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(body))
    return body + str((10 - total % 10) % 10)


def cpf(n: int) -> str:
    digits = [int(c) for c in f"{n:09d}"]
    for weight in (10, 11):
        total = sum(d * w for d, w in zip(digits, range(weight, 1, -1), strict=False))
        digits.append(0 if total % 11 < 2 else 11 - total % 11)
    return "".join(map(str, digits))


def cnpj(n: int) -> str:
    digits = [int(c) for c in f"{n:08d}0001"]
    for weights in ([5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2], [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]):
        total = sum(d * w for d, w in zip(digits, weights, strict=True))
        digits.append(0 if total % 11 < 2 else 11 - total % 11)
    return "".join(map(str, digits))


def slug(s: str) -> str:
    out = "".join(c.lower() if c.isalnum() else "-" for c in s)
    return "-".join(p for p in out.split("-") if p)


def write_csv(name: str, columns: list[str], rows: Sequence[Sequence[object]]) -> None:
    with (HERE / f"{name}.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(columns)
        w.writerows([["" if v is None else v for v in row] for row in rows])


def write_jsonl(name: str, rows: Sequence[Mapping[str, object]]) -> None:
    with (HERE / f"{name}.jsonl").open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps({k: v for k, v in row.items() if v is not None}, ensure_ascii=False) + "\n")


def money(x: float) -> str:
    return f"{x:.2f}"


def main() -> None:
    # categories
    cats: list[list[object]] = []
    for dk, (dname, children) in TREE.items():
        cats.append([dk, dname, None, dname, f"{dname} for hiking, running and camping", "", "true"])
        for ck, (cname, leaves) in children.items():
            cats.append([ck, cname, dk, f"{cname} | Trilha Outdoor", None, cname.lower(), "true"])
            for leaf in leaves:
                lk, lname = leaf.split(":")
                cats.append(
                    [
                        lk,
                        lname,
                        ck,
                        f"{lname} | Trilha Outdoor",
                        None,
                        f"{lname.lower()};{cname.lower()}",
                        "true",
                    ]
                )
    write_csv(
        "categories", ["key", "name", "parent_key", "title", "description", "keywords", "is_active"], cats
    )
    write_csv(
        "brands",
        ["key", "name", "description", "site_title", "is_active"],
        [[k, n, d, f"{n} | Trilha Outdoor", "true"] for k, n, d in BRANDS],
    )

    # specifications: one group per department
    groups: list[list[object]] = []
    fields: list[list[object]] = []
    values: list[list[object]] = []
    value_keys: dict[tuple[str, str], str] = {}

    def add_field(dept: str, code: str, name: str, ftype: str, is_sku: bool, vals: list[str]) -> None:
        fk = f"{dept}-{code}"
        fields.append([fk, f"grp-{dept}", name, ftype, str(is_sku).lower(), "true", len(fields) + 1])
        for pos, v in enumerate(vals, 1):
            vk = f"{fk}-{slug(v)}"
            value_keys[(fk, v)] = vk
            values.append([vk, fk, v, pos])

    for dept in TREE:
        groups.append([f"grp-{dept}", dept, f"{TREE[dept][0]} specifications", len(groups) + 1])
        add_field(dept, "color", "Color", "combo", True, COLORS)
        if dept == "footwear":
            add_field(dept, "size", "Size", "combo", True, SHOE_SIZES)
        elif dept in ("apparel", "accessories"):
            add_field(dept, "size", "Size", "combo", True, APPAREL_SIZES)
        if dept == "equipment":
            add_field(dept, "capacity", "Capacity", "text", False, [])
        else:
            add_field(dept, "material", "Material", "checkbox", False, MATERIALS)
    write_csv("specification_groups", ["key", "category_key", "name", "position"], groups)
    write_csv(
        "specification_fields",
        ["key", "group_key", "name", "field_type", "is_sku", "is_filter", "position"],
        fields,
    )
    write_csv("specification_values", ["key", "field_key", "name", "position"], values)

    products: list[list[object]] = []
    pspecs: list[dict[str, object]] = []
    skus: list[list[object]] = []
    sspecs: list[list[object]] = []
    images: list[list[object]] = []
    eans: list[list[object]] = []
    prices: list[list[object]] = []
    fixed: list[list[object]] = []
    stock, n_ean = [], 1_234_500
    for p, (dept, leaf, brand, name, material, (lo, hi)) in enumerate(PRODUCTS, 1):
        pk = f"P{p:04d}"
        products.append(
            [
                pk,
                name,
                leaf,
                brand,
                slug(name),
                f"{name} | Trilha Outdoor",
                f"<p>{name} by {dict((b[0], b[1]) for b in BRANDS)[brand]}. Built for Brazilian trails.</p>",
                f"{name}.",
                f"{leaf.replace('-', ' ')};{brand.replace('-', ' ')}",
                f"2024-0{1 + p % 9}-15",
                "1;2" if p % 3 else "1",
            ]
        )
        if dept == "equipment":
            pspecs.append({"product_key": pk, "field_key": "equipment-capacity", "value_text": material})
        else:
            mats = [material] + (
                ["Recycled Polyester"] if p % 7 == 0 and material != "Recycled Polyester" else []
            )
            pspecs.append(
                {
                    "product_key": pk,
                    "field_key": f"{dept}-material",
                    "value_keys": [value_keys[(f"{dept}-material", m)] for m in mats],
                }
            )
        colors = rng.sample(COLORS, 2 if dept != "equipment" else 3)
        sizes = {"footwear": SHOE_SIZES, "apparel": APPAREL_SIZES, "accessories": APPAREL_SIZES}.get(dept, [])
        combos = [(c, s) for c in colors for s in (rng.sample(sizes, 2) if sizes else [None])]
        combos = combos[:3]
        base = rng.randint(lo, hi) + 0.9
        for v, (color, size) in enumerate(combos, 1):
            sk = f"{pk}-{v:02d}"
            label = f"{color}" + (f" / {size}" if size else "")
            weight = {"apparel": 0.45, "footwear": 1.1, "equipment": 2.4, "accessories": 0.12}[dept]
            skus.append(
                [
                    sk,
                    pk,
                    f"{name} - {label}",
                    8 if dept != "equipment" else 25,
                    30,
                    25,
                    f"{weight + v * 0.01:.3f}",
                    "true",
                    f"{brand[:3].upper()}-{p:03d}{v:02d}",
                ]
            )
            sspecs.append([sk, f"{dept}-color", value_keys[(f"{dept}-color", color)]])
            if size:
                sspecs.append([sk, f"{dept}-size", value_keys[(f"{dept}-size", size)]])
            for m in range(1 + (p + v) % 3):
                images.append(
                    [
                        sk,
                        f"https://cdn.example.com/trilha/products/{pk}/{sk}-{m + 1}.jpg",
                        f"{name} {label} {m + 1}",
                        "true" if m == 0 else "false",
                        m + 1,
                    ]
                )
            n_ean += 7
            eans.append([sk, ean13(n_ean)])
            price = base + (20 if size in ("XL", "43") else 0)
            prices.append([sk, money(price), money(round(price * 1.25) - 0.1), money(price * 0.48)])
            if p % 4 == 0:  # Black Friday promotion on the main trade policy
                fixed.append(
                    [
                        sk,
                        "1",
                        money(price * 0.8),
                        money(price),
                        1,
                        "2025-11-28T00:00:00-03:00",
                        "2025-12-01T23:59:59-03:00",
                    ]
                )
            if p % 3 != 0:  # B2B trade policy 2: price breaks by quantity
                fixed.append([sk, "2", money(price * 0.7), money(price), 5, None, None])
                fixed.append([sk, "2", money(price * 0.6), money(price), 20, None, None])
            stock.append([sk, "cd-sao-paulo", rng.choice([0, 2, 5, 8, 12, 20, 35, 60]), False, "0.00:00:00"])
            stock.append([sk, "cd-curitiba", rng.choice([0, 0, 1, 3, 6, 10, 15]), False, "2.00:00:00"])

    write_csv(
        "products",
        [
            "key",
            "name",
            "category_key",
            "brand_key",
            "link_id",
            "title",
            "description",
            "description_short",
            "keywords",
            "release_date",
            "trade_policies",
        ],
        products,
    )
    write_jsonl("product_specifications", pspecs)
    write_csv(
        "skus",
        [
            "key",
            "product_key",
            "name",
            "packaged_height",
            "packaged_length",
            "packaged_width",
            "packaged_weight_kg",
            "is_active",
            "manufacturer_code",
        ],
        skus,
    )
    write_csv("sku_specifications", ["sku_key", "field_key", "value_key"], sspecs)
    write_csv("sku_images", ["sku_key", "url", "label", "is_main", "position"], images)
    write_csv("eans", ["sku_key", "ean"], eans)
    write_csv("prices", ["sku_key", "base_price", "list_price", "cost_price"], prices)
    write_csv(
        "fixed_prices",
        ["sku_key", "trade_policy", "value", "list_price", "min_quantity", "date_from", "date_to"],
        fixed,
    )
    write_csv(
        "docks",
        [
            "key",
            "name",
            "priority",
            "dock_time",
            "trade_policies",
            "postal_code",
            "country",
            "state",
            "city",
            "street",
            "number",
        ],
        [
            [
                "dock-sp",
                "Doca São Paulo",
                1,
                "0.04:00:00",
                "1;2",
                "07232-151",
                "BRA",
                "SP",
                "Guarulhos",
                "Rodovia Presidente Dutra",
                "225",
            ],
            [
                "dock-pr",
                "Doca Curitiba",
                2,
                "0.06:00:00",
                "1;2",
                "83707-000",
                "BRA",
                "PR",
                "Araucária",
                "Rodovia do Xisto",
                "1500",
            ],
        ],
    )
    write_csv(
        "warehouses",
        ["key", "name", "priority", "is_active"],
        [["cd-sao-paulo", "CD São Paulo", 1, "true"], ["cd-curitiba", "CD Curitiba", 2, "true"]],
    )
    write_csv(
        "warehouse_docks",
        ["warehouse_key", "dock_key", "time", "cost"],
        [
            ["cd-sao-paulo", "dock-sp", "0.12:00:00", "0.00"],
            ["cd-curitiba", "dock-pr", "1.00:00:00", "0.00"],
            ["cd-curitiba", "dock-sp", "2.00:00:00", "15.00"],
        ],
    )
    write_csv(
        "inventory",
        ["sku_key", "warehouse_key", "quantity", "unlimited", "lead_time"],
        [[a, b, q, str(u).lower(), lt] for a, b, q, u, lt in stock],
    )

    customers, addresses = [], []
    for c in range(1, 21):
        first, last = FIRST[c - 1], LAST[(c * 7) % 20]
        corporate = c in (7, 15)
        customers.append(
            {
                "key": f"CUST-{c:05d}",
                "email": f"{slug(first)}.{slug(last)}{c}@example.com",
                "first_name": first,
                "last_name": last,
                "document_type": "cpf",
                "document": cpf(123_456_000 + c * 97),
                "phone": f"+55{11 + c % 40}9{rng.randint(10_000_000, 99_999_999)}",
                "is_corporate": corporate,
                "corporate_name": f"{last} Aventura Ltda." if corporate else None,
                "trade_name": f"{last} Aventura" if corporate else None,
                "corporate_document": cnpj(12_345_000 + c) if corporate else None,
                "is_newsletter_opt_in": c % 3 == 0,
                "locale": "pt-BR",
                "price_tables": ["b2b"] if corporate else None,
            }
        )
        for a in range(1 + (c % 3 == 1)):
            city, state, hood, street, cep = PLACES[(c + a * 3) % len(PLACES)]
            addresses.append(
                [
                    f"ADDR-{c:05d}-{a + 1}",
                    f"CUST-{c:05d}",
                    f"{cep}-{rng.randint(0, 999):03d}",
                    street,
                    city,
                    "BRA",
                    str(rng.randint(10, 2500)),
                    "Apto 12" if a == 0 and c % 2 else None,
                    hood,
                    state,
                    "Casa" if a == 0 else "Trabalho",
                    "residential" if a == 0 else "commercial",
                    f"{first} {last}",
                ]
            )
    write_jsonl("customers", customers)
    write_csv(
        "addresses",
        [
            "key",
            "customer_key",
            "postal_code",
            "street",
            "city",
            "country",
            "number",
            "complement",
            "neighborhood",
            "state",
            "address_name",
            "address_type",
            "receiver_name",
        ],
        addresses,
    )


if __name__ == "__main__":
    main()
