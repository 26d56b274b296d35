"""The one plugin loader: every kind of plugin is found, built and refused the same way, and the
error says which plugin, which entry point group, and why."""

from __future__ import annotations

import pytest

from vtexbridge.errors import ConfigError
from vtexbridge.marketplace.seller.payment import ENTRY_POINT_GROUP, load_payment_handler
from vtexbridge.plugins import build_plugin, load_factory, load_object

NOT_CALLABLE = 42


class Handler:
    async def handle(self, event: object) -> None:
        return None


def broken_factory() -> Handler:
    raise RuntimeError("the gateway is down")


def test_module_attribute_and_its_problems() -> None:
    assert load_factory("vtexbridge.test", f"{__name__}:Handler", "thing") is Handler
    assert load_object("vtexbridge.test", f"{__name__}:NOT_CALLABLE", "thing") == 42
    with pytest.raises(ConfigError, match=f"the thing '{__name__}:NOT_CALLABLE' is not callable"):
        load_factory("vtexbridge.test", f"{__name__}:NOT_CALLABLE", "thing")
    with pytest.raises(
        ConfigError, match="cannot load the thing 'no_such_module_xyz:X': ModuleNotFoundError"
    ):
        load_object("vtexbridge.test", "no_such_module_xyz:X", "thing")
    with pytest.raises(ConfigError, match=r"thing plugin '.*:broken_factory' failed to start: RuntimeError"):
        build_plugin("vtexbridge.test", f"{__name__}:broken_factory", "thing")


def test_unknown_entry_point_names_the_group() -> None:
    with pytest.raises(ConfigError) as info:
        load_object("vtexbridge.nothing_here", "acme", "thing")
    assert str(info.value).startswith(
        "no thing plugin named 'acme' in entry point group vtexbridge.nothing_here "
        "(available: none is installed)"
    )


def test_payment_handlers_load_through_the_same_loader() -> None:
    assert isinstance(load_payment_handler(f"{__name__}:Handler"), Handler)
    with pytest.raises(
        ConfigError, match=f"no payment handler plugin named 'nope' in entry point group {ENTRY_POINT_GROUP}"
    ):
        load_payment_handler("nope")
    with pytest.raises(
        ConfigError, match=r"payment handler plugin .* failed to start: RuntimeError: the gateway"
    ):
        load_payment_handler(f"{__name__}:broken_factory")
    with pytest.raises(ConfigError, match="has no async handle"):
        load_payment_handler(f"{__name__}:NOT_CALLABLE")
