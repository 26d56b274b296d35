from __future__ import annotations

import json
import logging

import pytest

import vtexbridge
from vtexbridge.errors import ConfigError, RecordInvalid, RecordRef, VtexbridgeError
from vtexbridge.log import JsonFormatter, RedactingFilter, redact, register_secret


def test_public_surface_is_pinned() -> None:
    assert vtexbridge.__all__ == sorted(vtexbridge.__all__)
    assert set(vtexbridge.__all__) == {
        "ConfigError",
        "RecordError",
        "Settings",
        "VtexbridgeError",
        "__version__",
        "load_settings",
    }


def test_record_error_names_file_row_key_and_field() -> None:
    ref = RecordRef("sku", key="SKU-1", source="skus.csv", row=12)
    err = RecordInvalid("must be > 0", record=ref, field="PackagedWeightKg")
    assert str(err) == "skus.csv:12 (sku SKU-1) field 'PackagedWeightKg': must be > 0"
    assert err.category == "record" and not err.retryable


def test_config_error_lists_problems_and_exits_2() -> None:
    err = ConfigError("invalid configuration", problems=["a: bad", "b: worse"])
    assert str(err) == "invalid configuration\n  - a: bad\n  - b: worse"
    assert err.exit_code == 2 and isinstance(err, VtexbridgeError)


def test_registered_secret_and_auth_headers_are_redacted() -> None:
    register_secret("super-secret-token-42")
    assert redact("token super-secret-token-42 leaked") == "token *** leaked"
    assert redact("X-VTEX-API-AppToken: abcdef") == "X-VTEX-API-AppToken: ***"
    assert redact("{'x-vtex-api-appkey': 'vtexappkey-a-b'}") == "{'x-vtex-api-appkey': '***'}"


def test_every_log_line_is_redacted(caplog: pytest.LogCaptureFixture) -> None:
    register_secret("hunter2-long-secret")
    logger = logging.getLogger("vtexbridge.test")
    caplog.handler.addFilter(RedactingFilter())
    with caplog.at_level(logging.INFO, logger="vtexbridge.test"):
        logger.info("calling with %s", "hunter2-long-secret", extra={"header": "hunter2-long-secret"})
    record = caplog.records[-1]
    assert "hunter2" not in record.getMessage()
    line = JsonFormatter().format(record)
    assert "hunter2" not in line
    assert json.loads(line)["header"] == "***"
