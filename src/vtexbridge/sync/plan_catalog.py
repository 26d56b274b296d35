"""The planner's passes over the catalog: categories, brands, specifications, products and their
trade policies and specifications, SKUs (with their activation), SKU specifications, images, EANs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vtexbridge.erp.records import (
    KEY_SEPARATOR,
    Brand,
    Category,
    Ean,
    Entity,
    Product,
    ProductSpecification,
    Sku,
    SkuImage,
    SkuSpecification,
    SpecFieldType,
    SpecificationField,
    SpecificationGroup,
    SpecificationValue,
)
from vtexbridge.errors import RecordInvalid, RecordRef
from vtexbridge.state.models import IndexEntry
from vtexbridge.sync.graph import Kind, topological_order
from vtexbridge.sync.mapping import Values
from vtexbridge.sync.plan_base import (
    _LINK_HASH,
    _SEEN,
    PlannerBase,
    Refs,
    _deps,
    _held_back,
    _reserved,
)
from vtexbridge.sync.steps import Action, Parent, PlanError, Step
from vtexbridge.sync.validate import canonical_trade_policy, checker, state_key

__all__ = ["CatalogPasses"]


class CatalogPasses(PlannerBase):
    """The catalog's passes (see :mod:`vtexbridge.sync.plan` for what a pass decides)."""

    # --- categories and brands -----------------------------------------------------------------

    def _categories(self) -> None:
        kind, entity = Kind.CATEGORY, Entity.CATEGORIES
        index = self.state.index(kind.value)
        next_id = self._next_id(kind, index)
        records: dict[str, Any] = {}
        dup: set[str] = set()
        check = checker(entity)
        for r in self._records(entity, kind, Category):
            if r.key in records or r.key in dup:
                dup.add(r.key)
                records.pop(r.key, None)
                continue
            records[r.key] = r
        for key in sorted(dup):
            self._duplicate_first(kind, entity, key, "key")
        order, cyclic = topological_order(
            records, lambda k: records[k].parent_key if records[k].parent_key in records else None
        )
        for key in sorted(cyclic):
            index.pop(key, None)
            self._invalid(
                kind, entity, key, "parent_key", "the category tree has a cycle through this category"
            )
        km = self.mapper[kind]
        for key in order:
            r = records[key]
            entry = index.pop(key, None)
            if key in self.bad[kind] or self._problems(kind, entity, r, check):
                continue
            parents: Refs | None = ()
            if r.parent_key:
                parents = self._parents_or_block(kind, entity, key, ((kind, r.parent_key, "parent_key"),))
            if parents is None:
                continue
            values = self._mapped(kind, entity, key, km.values, r)
            if values is None:
                continue
            self.category_parent[key] = r.parent_key
            step = self._diff(kind, key, entry, values, parents, entity, key, active=r.is_active)
            if step is not None and step.action is Action.CREATE and step.reserved_id is None:
                step.reserved_id, next_id = next_id, next_id + 1
        self.plan.next_ids[kind] = next_id
        for key in dup:
            index.pop(key, None)
        self._deactivate_missing(kind, index)

    def _brands(self) -> None:
        kind, entity = Kind.BRAND, Entity.BRANDS
        index = self.state.index(kind.value)
        next_id = self._next_id(kind, index)
        check = checker(entity)
        km = self.mapper[kind]
        for r, key, entry in self._fresh(entity, kind, Brand, index, "key", check):
            values = self._mapped(kind, entity, key, km.values, r)
            if values is None:
                continue
            step = self._diff(kind, key, entry, values, (), entity, key, active=r.is_active)
            if step is not None and step.action is Action.CREATE and step.reserved_id is None:
                step.reserved_id, next_id = next_id, next_id + 1
        self.plan.next_ids[kind] = next_id
        self._deactivate_missing(kind, index)

    def _next_id(self, kind: Kind, index: Mapping[str, IndexEntry]) -> int:
        """One more than any id this account's state knows of (recorded, or reserved in flight)."""
        top = self.mapper.settings.first_id - 1
        for entry in index.values():
            if entry.vtex_id is not None and entry.vtex_id.isdigit():
                top = max(top, int(entry.vtex_id))
        for (k, _key), op in self.in_flight.items():
            reserved = _reserved(op)
            if k == kind.value and reserved is not None:
                top = max(top, reserved)
        return top + 1

    def _duplicate_first(self, kind: Kind, entity: Entity, key: str, field: str) -> None:
        message = (
            f"duplicate key: more than one row has {field} {key!r}; "
            "VTEX identifies the record by it, so every row with it is held back"
        )
        self._invalid(kind, entity, key, field, message)

    # --- specifications -------------------------------------------------------------------------

    def _spec_groups(self) -> None:
        kind, entity = Kind.SPEC_GROUP, Entity.SPECIFICATION_GROUPS
        index = self.state.index(kind.value)
        check = checker(entity)
        km = self.mapper[kind]
        for r, key, entry in self._fresh(entity, kind, SpecificationGroup, index, "key", check):
            parents = self._parents_or_block(
                kind, entity, key, ((Kind.CATEGORY, r.category_key, "category_key"),)
            )
            values = None if parents is None else self._mapped(kind, entity, key, km.values, r)
            if parents is None or values is None:
                continue
            self.group_category[key] = r.category_key
            self._diff(kind, key, entry, values, parents, entity, key, parent_key=r.category_key)

    def _spec_fields(self) -> None:
        kind, entity = Kind.SPEC_FIELD, Entity.SPECIFICATION_FIELDS
        index = self.state.index(kind.value)
        check = checker(entity)
        required: dict[str, tuple[set[str], set[str]]] = {}
        for r, key, entry in self._fresh(entity, kind, SpecificationField, index, "key", check):
            category = self.group_category.get(r.group_key)
            refs: list[tuple[Kind, str, str]] = [(Kind.SPEC_GROUP, r.group_key, "group_key")]
            if category is not None:
                refs.append((Kind.CATEGORY, category, "group_key"))
            parents = self._parents_or_block(kind, entity, key, refs)
            if parents is None:
                continue
            if category is None:  # the group is not managed this run: its category is unknown
                self._invalid(
                    kind, entity, key, "group_key", f"the group {r.group_key!r} is not being synced"
                )
                continue
            self.field_info[key] = r
            if r.is_required and r.is_active:
                sku_fields, product_fields = required.setdefault(category, (set(), set()))
                (sku_fields if r.is_sku else product_fields).add(key)
            values = self._mapped(kind, entity, key, self.mapper.spec_field, r, category)
            if values is None:
                continue
            self._diff(kind, key, entry, values, parents, entity, key, parent_key=r.group_key)
        self.required = {c: (frozenset(s), frozenset(p)) for c, (s, p) in required.items()}
        self._deactivate_missing(kind, index)  # VTEX keeps a field's history: switch it off

    def _spec_values(self) -> None:
        kind, entity = Kind.SPEC_VALUE, Entity.SPECIFICATION_VALUES
        index = self.state.index(kind.value)
        check = checker(entity)
        km = self.mapper[kind]
        for r, key, entry in self._fresh(entity, kind, SpecificationValue, index, "key", check):
            parents = self._parents_or_block(
                kind, entity, key, ((Kind.SPEC_FIELD, r.field_key, "field_key"),)
            )
            if parents is None:
                continue
            info = self.field_info.get(r.field_key)
            if info is not None and not SpecFieldType(info.field_type).has_values:
                self._invalid(
                    kind, entity, key, "field_key",
                    f"the field {r.field_key!r} is of type {info.field_type}: it takes free text, not values",
                )  # fmt: skip
                continue
            values = self._mapped(kind, entity, key, km.values, r)
            if values is None:
                continue
            self.value_field[key] = r.field_key
            self._diff(kind, key, entry, values, parents, entity, key, parent_key=r.field_key)
        self._deactivate_missing(kind, index)

    def _spec_link_problem(
        self, field_key: str, value_keys: tuple[str, ...], text: str | None, *, sku: bool
    ) -> tuple[str, str] | None:
        """Why a product/SKU specification row does not fit its field, or None."""
        info = self.field_info.get(field_key)
        if info is None:
            return None  # the field is not managed this run (taken from the state as it is)
        if info.is_sku != sku:
            where = "sku_specifications" if info.is_sku else "product_specifications"
            return (
                "field_key",
                f"{field_key!r} is a {'SKU' if info.is_sku else 'product'} field: give it in {where}",
            )
        has_values = SpecFieldType(info.field_type).has_values
        if has_values and not value_keys:
            return "value_keys", f"the field {field_key!r} ({info.field_type}) takes predefined values"
        if not has_values and text is None:
            return "value_text", f"the field {field_key!r} ({info.field_type}) takes free text"
        if len(value_keys) > 1 and info.field_type is not SpecFieldType.CHECKBOX:
            return "value_keys", f"the field {field_key!r} ({info.field_type}) takes one value"
        for v in value_keys:
            owner = self.value_field.get(v)
            if owner is not None and owner != field_key:
                return "value_keys" if not sku else "value_key", f"the value {v!r} belongs to field {owner!r}"
        return None

    # --- products and their trade policies -------------------------------------------------------

    def _required_of(self, category: str) -> tuple[frozenset[str], frozenset[str]]:
        """The required (SKU fields, product fields) of a category: its own and its ancestors'."""
        sku: set[str] = set()
        product: set[str] = set()
        node: str | None = category
        seen: set[str] = set()
        while node is not None and node not in seen:
            seen.add(node)
            s, p = self.required.get(node, (frozenset(), frozenset()))
            sku |= s
            product |= p
            node = self.category_parent.get(node)
        return frozenset(sku), frozenset(product)

    def _products(self) -> None:
        kind, entity = Kind.PRODUCT, Entity.PRODUCTS
        index = self.state.index(kind.value)
        links = self.state.index(Kind.TRADE_POLICY.value) if Kind.TRADE_POLICY in self.managed else None
        check = checker(entity, weight_unit=self.weight_unit)
        km = self.mapper[kind]

        def hold_links(r: Product) -> None:
            if links is not None:
                self._hold_trade_policies(r, links)

        for r, key, entry in self._fresh(entity, kind, Product, index, "key", check, skipped=hold_links):
            parents = self._parents_or_block(
                kind,
                entity,
                key,
                ((Kind.CATEGORY, r.category_key, "category_key"), (Kind.BRAND, r.brand_key, "brand_key")),
            )
            if parents is None:
                hold_links(r)
                continue
            if self.required:
                self.product_category[key] = r.category_key
                _sku_fields, product_fields = self._required_of(r.category_key)
                if product_fields:
                    self.pending_product_specs[key] = set(product_fields)
            values = self._mapped(kind, entity, key, km.values, r)
            if values is None:
                hold_links(r)
                continue
            step = self._diff(kind, key, entry, values, parents, entity, key, active=r.is_active)
            if links is not None:
                self._trade_policies(r, links, step)
        self._deactivate_missing(kind, index)
        if links is not None:
            for lkey, _entry in self._missing(links):
                product_id = self._owner_present(kind, lkey)
                if product_id is None or not self._can_remove(Kind.TRADE_POLICY, lkey):
                    continue
                product_key = lkey.split(KEY_SEPARATOR, 1)[0]
                parent = Parent(kind.value, product_key, product_id, None)
                self._remove(Kind.TRADE_POLICY, lkey, Action.UNLINK, (parent,), parent_key=product_key)

    def _hold_trade_policies(self, r: Product, links: dict[str, Any]) -> None:
        """The trade-policy links of a product held back: each reported, like every other dependent.

        A link already seen (the first row of a duplicated key planned it) is not reported twice: its
        step is held back, and reported, when the plan ends.
        """
        cause = self.bad[Kind.PRODUCT].get(state_key(r.key))
        if cause is None:
            return
        ref = self._ref(Entity.PRODUCTS, r.key)
        for policy in r.trade_policies:
            lkey = f"{r.key}{KEY_SEPARATOR}{canonical_trade_policy(policy)}"
            if links.get(lkey) is _SEEN:
                continue
            links[lkey] = _SEEN
            self._block(
                Kind.TRADE_POLICY, lkey, _held_back(Kind.PRODUCT, r.key, cause, ref, "trade_policies")
            )

    def _trade_policies(self, r: Product, links: dict[str, Any], product_step: Step | None) -> None:
        digest = _LINK_HASH[Kind.TRADE_POLICY]
        for policy in r.trade_policies:
            lkey = f"{r.key}{KEY_SEPARATOR}{canonical_trade_policy(policy)}"
            entry = links.get(lkey)
            links[lkey] = _SEEN
            if entry is None:
                parents = self._build(((Kind.PRODUCT, r.key, "trade_policies"),))
                step = Step(
                    Kind.TRADE_POLICY, lkey, Action.LINK, (), digest, None, parents, _deps(parents),
                    r.key, ref=self._ref(Entity.PRODUCTS, r.key),
                )  # fmt: skip
                self._emit(step)
            elif entry is not _SEEN:
                self._unchanged(Kind.TRADE_POLICY, lkey)

    def _product_specs(self) -> None:
        kind, entity = Kind.PRODUCT_SPEC, Entity.PRODUCT_SPECIFICATIONS
        index = self.state.index(kind.value)
        pending = self.pending_product_specs
        check = checker(entity)
        for r, key, entry in self._fresh(entity, kind, ProductSpecification, index, "field_key", check):
            problem = self._spec_link_problem(r.field_key, r.value_keys, r.value_text, sku=False)
            if problem is not None:
                self._invalid(kind, entity, key, problem[0], problem[1])
                continue
            refs = [(Kind.PRODUCT, r.product_key, "product_key"), (Kind.SPEC_FIELD, r.field_key, "field_key")]
            refs += [(Kind.SPEC_VALUE, v, "value_keys") for v in r.value_keys]
            parents = self._parents_or_block(kind, entity, key, refs)
            if parents is None:
                continue
            waiting = pending.get(r.product_key)
            if waiting:
                waiting.discard(r.field_key)
            values = self._mapped(kind, entity, key, self.mapper.product_spec, r)
            if values is None:
                continue
            self._diff(
                kind, key, entry, values, parents, entity, key,
                parent_key=r.product_key, create=Action.LINK,
            )  # fmt: skip
        for product, fields in pending.items():
            if fields:
                self._missing_required(
                    Kind.PRODUCT, Entity.PRODUCTS, product, fields, "product_specifications"
                )
        for key, _entry in self._missing(index):
            product_id = self._owner_present(Kind.PRODUCT, key)
            field_key = key.split(KEY_SEPARATOR, 1)[1]
            field_id = self.known[Kind.SPEC_FIELD].get(field_key)
            if product_id is None or field_id is None or not self._can_remove(kind, key):
                continue
            product_key = key.split(KEY_SEPARATOR, 1)[0]
            removal = (
                Parent(Kind.PRODUCT.value, product_key, product_id, None),
                Parent(Kind.SPEC_FIELD.value, field_key, field_id, None),
            )
            self._remove(kind, key, Action.UNLINK, removal, parent_key=product_key)

    def _missing_required(self, kind: Kind, entity: Entity, key: str, fields: set[str], where: str) -> None:
        names = ", ".join(sorted(fields))
        error = RecordInvalid(
            f"required specification(s) {names} not given in {where}: VTEX will not activate it",
            record=self._ref(entity, key),
            field=sorted(fields)[0],
        )
        if key not in self.bad[kind]:
            self.bad[kind][key] = error
            if key in self.step_of[kind]:
                self._drop(kind, key)
            else:
                self.known[kind].pop(key, None)
                self.unchanged[kind] -= 1
                self._count(kind, Action.BLOCKED)
                self.retro.add((kind.value, key))
        self.plan.errors.append(PlanError(kind, key, error))

    # --- SKUs and what hangs off them -----------------------------------------------------------

    def _skus(self) -> None:
        kind, entity = Kind.SKU, Entity.SKUS
        index = self.state.index(kind.value)
        check = checker(entity, weight_unit=self.weight_unit)
        km = self.mapper[kind]
        product_steps = self.step_of[Kind.PRODUCT]
        for r, key, entry in self._fresh(entity, kind, Sku, index, "key", check):
            parents = self._parents_or_block(
                kind, entity, key, ((Kind.PRODUCT, r.product_key, "product_key"),)
            )
            if parents is None:
                continue
            if self.required:
                self._expect_sku_specs(key, r.product_key)
            values = self._mapped(kind, entity, key, km.values, r)
            if values is None:
                continue
            digest = km.hash(values)
            want = r.is_active
            if (
                entry is not None
                and entry.vtex_id is not None
                and entry.payload_hash == digest
                and entry.active == want
            ):
                self.known[kind][key] = entry.vtex_id
                self._unchanged(kind, key)
                continue
            built = self._build(parents)
            ref = self._ref(entity, key)
            product_step = product_steps.get(r.product_key)
            if entry is None or entry.vtex_id is None:
                op = self.in_flight.get((kind.value, key))
                step = Step(
                    kind, key, Action.CREATE, values, digest, None, built, _deps(built),
                    r.product_key, False, False, op is not None, ref=ref,
                )  # fmt: skip
                self._keep(step)
                self.known[kind][key] = None
                if want:
                    self._activation(step, values, digest, built, product_step, ref)
                continue
            self.known[kind][key] = entry.vtex_id
            if entry.payload_hash != digest:
                live = want and entry.active
                step = Step(
                    kind, key, Action.UPDATE, values, digest, entry.vtex_id, built, _deps(built),
                    r.product_key, live, live, ref=ref,
                )  # fmt: skip
                self._keep(step)
                if want and not entry.active:
                    self._activation(step, values, digest, built, product_step, ref)
            elif want:
                self._activation(None, values, digest, built, product_step, ref, vtex_id=entry.vtex_id)
            else:
                step = Step(
                    kind, key, Action.DEACTIVATE, values, digest, entry.vtex_id, built, _deps(built),
                    r.product_key, False, False, ref=ref,
                )  # fmt: skip
                self._keep(step)
        self._deactivate_missing(kind, index)

    def _expect_sku_specs(self, sku_key: str, product_key: str) -> None:
        """Note the required SKU fields of the product's category: the SKU must give each one."""
        category = self.product_category.get(product_key)
        if category is not None:
            sku_fields, _product_fields = self._required_of(category)
            if sku_fields:
                self.pending_sku_specs[sku_key] = set(sku_fields)

    def _activation(
        self,
        after: Step | None,
        values: Values,
        digest: bytes,
        parents: tuple[Parent, ...],
        product_step: Step | None,
        ref: RecordRef,
        *,
        vtex_id: str | None = None,
    ) -> None:
        key = ref.key or ""
        deps = [s for s in (after, product_step) if s is not None]
        step = Step(
            Kind.SKU, key, Action.ACTIVATE, values, digest, vtex_id, parents, deps,
            parents[0].key, True, True, ref=ref,
        )  # fmt: skip
        if after is not None:
            step.parents = (*parents, Parent(Kind.SKU.value, key, None, after))
            step.main, after.follow = after, step
        self._emit(step)
        self.activation[key] = step
        if after is None:
            self.step_of[Kind.SKU][key] = step

    def _sku_child(self, step: Step | None, sku_key: str) -> None:
        """A SKU's activation waits for the writes to its specifications, images and EANs."""
        if step is not None:
            activation = self.activation.get(sku_key)
            if activation is not None:
                activation.deps.append(step)

    def _sku_specs(self) -> None:
        kind, entity = Kind.SKU_SPEC, Entity.SKU_SPECIFICATIONS
        index = self.state.index(kind.value)
        pending = self.pending_sku_specs
        for r, key, entry in self._fresh(entity, kind, SkuSpecification, index, "field_key"):
            problem = self._spec_link_problem(r.field_key, (r.value_key,), None, sku=True)
            if problem is not None:
                self._invalid(kind, entity, key, problem[0], problem[1])
                continue
            parents = self._parents_or_block(
                kind, entity, key, (
                    (Kind.SKU, r.sku_key, "sku_key"),
                    (Kind.SPEC_FIELD, r.field_key, "field_key"),
                    (Kind.SPEC_VALUE, r.value_key, "value_key"),
                ),
            )  # fmt: skip
            if parents is None:
                continue
            waiting = pending.get(r.sku_key)
            if waiting:
                waiting.discard(r.field_key)
            values = self._mapped(kind, entity, key, self.mapper.sku_spec, r)
            if values is None:
                continue
            step = self._diff(
                kind,
                key,
                entry,
                values,
                parents,
                entity,
                key,
                parent_key=r.sku_key,
                create=Action.LINK,
            )
            self._sku_child(step, r.sku_key)
        for sku, fields in pending.items():
            if fields:
                self._missing_required(Kind.SKU, Entity.SKUS, sku, fields, "sku_specifications")
        for key, entry in self._missing(index):
            sku_id = self._owner_present(Kind.SKU, key)
            if sku_id is None or entry.vtex_id is None or not self._can_remove(kind, key):
                continue
            sku_key = key.split(KEY_SEPARATOR, 1)[0]
            parent = Parent(Kind.SKU.value, sku_key, sku_id, None)
            self._remove(kind, key, Action.UNLINK, (parent,), vtex_id=entry.vtex_id, parent_key=sku_key)

    def _images(self) -> None:
        kind, entity = Kind.IMAGE, Entity.SKU_IMAGES
        index = self.state.index(kind.value)
        check = checker(entity)
        km = self.mapper[kind]
        for r, key, entry in self._fresh(entity, kind, SkuImage, index, "url", check, state_keyed=True):
            parents = self._parents_or_block(
                kind, entity, key, ((Kind.SKU, r.sku_key, "sku_key"),), raw_key=r.key
            )
            values = None if parents is None else self._mapped(kind, entity, r.key, km.values, r)
            if parents is None or values is None:
                continue
            step = self._diff(
                kind,
                key,
                entry,
                values,
                parents,
                entity,
                r.key,
                parent_key=r.sku_key,
                create=Action.LINK,
            )
            self._sku_child(step, r.sku_key)
        self._unlink_missing(kind, index, need_id=True)

    def _unlink_missing(self, kind: Kind, index: dict[str, Any], *, need_id: bool) -> None:
        for key, entry in self._missing(index):
            sku_id = self._owner_present(Kind.SKU, key)
            if sku_id is None or (need_id and entry.vtex_id is None) or not self._can_remove(kind, key):
                continue
            sku_key = key.split(KEY_SEPARATOR, 1)[0]
            parent = Parent(Kind.SKU.value, sku_key, sku_id, None)
            step = self._remove(
                kind, key, Action.UNLINK, (parent,), vtex_id=entry.vtex_id, parent_key=sku_key
            )
            self._sku_child(step, sku_key)

    def _eans(self) -> None:
        kind, entity = Kind.EAN, Entity.EANS
        index = self.state.index(kind.value)
        owners: dict[str, str] = {}
        digest = _LINK_HASH[kind]
        for r, key, entry in self._fresh(entity, kind, Ean, index, "ean"):
            first = owners.setdefault(r.ean, r.sku_key)
            if first != r.sku_key:
                self._invalid(
                    kind, entity, key, "ean",
                    f"the EAN {r.ean} is also given to SKU {first!r}; VTEX allows an EAN on one SKU only",
                )  # fmt: skip
                continue
            parents = self._parents_or_block(kind, entity, key, ((Kind.SKU, r.sku_key, "sku_key"),))
            if parents is None:
                continue
            if entry is None:
                built = self._build(parents)
                ref = self._ref(entity, key)
                step = Step(kind, key, Action.LINK, (), digest, None, built, _deps(built), r.sku_key, ref=ref)
                self._sku_child(self._keep(step), r.sku_key)
            else:
                self._unchanged(kind, key)
        self._unlink_missing(kind, index, need_id=False)
