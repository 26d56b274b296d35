from __future__ import annotations

import json
import logging

import pytest

import vtexbridge
from vtexbridge.errors import ConfigError, RecordInvalid, RecordRef, VtexbridgeError
from vtexbridge.log import JsonFormatter, RedactingFilter, RedactingFormatter, redact, register_secret


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


def _record_with_traceback(secret: str, extra: dict[str, object]) -> logging.LogRecord:
    try:
        raise RuntimeError(f"sink https://erp:{secret}@erp.example/orders refused")
    except RuntimeError:
        import sys

        exc_info = sys.exc_info()
    record = logging.LogRecord("vtexbridge.t", logging.ERROR, __file__, 1, "failed: %s", ("x",), exc_info)
    record.__dict__.update(extra)
    return record


def test_text_tracebacks_are_redacted() -> None:
    """The text formatter prints the traceback itself (after every filter ran): it redacts too."""
    register_secret("tb-secret-in-a-traceback")
    record = _record_with_traceback("url-password-1", {})
    record.msg, record.args = "failed with tb-secret-in-a-traceback", ()
    line = RedactingFormatter("%(levelname)s %(name)s: %(message)s").format(record)
    assert "Traceback" in line and "RuntimeError" in line
    assert "url-password-1" not in line and "tb-secret-in-a-traceback" not in line
    assert "https://erp:***@erp.example/orders" in line


def test_json_logs_redact_nested_and_non_string_extras() -> None:
    register_secret("nested-secret-value-7")

    class Holder:
        def __str__(self) -> str:
            return "holder of nested-secret-value-7"

    record = _record_with_traceback(
        "url-password-2",
        {
            "request": {"headers": {"x-vtex-api-apptoken": "nested-secret-value-7"}, "n": 1},
            "attempts": ["ok", "nested-secret-value-7"],
            "obj": Holder(),
        },
    )
    line = JsonFormatter().format(record)
    assert "nested-secret-value-7" not in line and "url-password-2" not in line
    parsed = json.loads(line)
    assert parsed["request"]["headers"]["x-vtex-api-apptoken"] == "***" and parsed["request"]["n"] == 1
    assert parsed["attempts"] == ["ok", "***"] and parsed["obj"] == "holder of ***"


def test_url_passwords_and_credential_parameters_are_redacted_without_registration() -> None:
    assert (
        redact("POST https://user:p4ss@erp.example/x failed") == "POST https://user:***@erp.example/x failed"
    )
    assert redact("postgresql://vb:dbpw@db/state") == "postgresql://vb:***@db/state"
    assert redact("https://b.example/services?token=abc123&x=1") == "https://b.example/services?token=***&x=1"
    assert redact("Authorization: Bearer abc.def") == "Authorization: Bearer ***"
    assert redact("no secret here: 2024-05-01T10:00:00Z") == "no secret here: 2024-05-01T10:00:00Z"
