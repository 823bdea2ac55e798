"""Secrets in adapter settings: which fields are secrets, references, and a declaration that
keeps them by reference while checking them against the plugin's schema."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel, Field, SecretStr

from sas_core.plugins.host import PluginHost
from sas_core.registry.secrets import (
    SecretError,
    SecretReference,
    parse_reference,
    redact,
    secret_fields,
)
from sas_core.registry.settings import InvalidSettings, adapter_config, declare
from sas_fhir_adapter.settings import FhirAdapterSettings
from sas_testkit.pki import Pki


@pytest.fixture(scope="module")
def host() -> PluginHost:
    return PluginHost.discover(allow=["sas-fhir"])


class Marked(BaseModel):
    token: SecretStr
    password: str | None = Field(None, json_schema_extra={"secret": True})
    key_file: Path | None = Field(None, json_schema_extra={"secret": True})
    url: str = ""


def test_secret_fields_are_marked_or_secret_types() -> None:
    assert secret_fields(Marked) == {"token": False, "password": False, "key_file": True}
    assert secret_fields(FhirAdapterSettings) == {"client_key": True}
    assert secret_fields(None) == {}


@pytest.mark.parametrize(
    ("value", "reference"),
    [
        ("env:VENDOR_KEY", SecretReference("env", "VENDOR_KEY")),
        ("file:/run/secrets/vendor.key", SecretReference("file", "/run/secrets/vendor.key")),
    ],
)
def test_references(value: str, reference: SecretReference) -> None:
    assert parse_reference(value) == reference
    assert str(reference) == value


@pytest.mark.parametrize(
    "value", ["hunter2", "env:", "env:1BAD", "env:A-B", "file:", "file:relative/key.pem", 42]
)
def test_anything_else_is_refused_without_being_quoted(value: object) -> None:
    with pytest.raises(SecretError) as caught:
        parse_reference(value)
    assert "env:NAME" in str(caught.value) and "file:PATH" in str(caught.value)
    assert str(value) not in str(caught.value).replace("env:NAME", "").replace("file:PATH", "")


def test_resolution(tmp_path: Path) -> None:
    secret = tmp_path / "token"
    secret.write_text("t0ken\n", encoding="utf-8")
    assert SecretReference("env", "X").resolve(as_path=False, environ={"X": "v"}) == "v"
    assert SecretReference("file", str(secret)).resolve(as_path=False) == "t0ken"
    assert SecretReference("file", str(secret)).resolve(as_path=True) == str(secret)
    with pytest.raises(SecretError, match="env:X is not set"):
        SecretReference("env", "X").resolve(as_path=False, environ={})
    with pytest.raises(SecretError, match=r"file:/nope cannot be read: No such file"):
        SecretReference("file", "/nope").resolve(as_path=False)


def test_redact_replaces_resolved_values_by_their_reference() -> None:
    assert redact("bad key 'abc' here", {"abc": "env:K"}) == "bad key 'env:K' here"


def test_a_declaration_keeps_the_reference_and_checks_what_it_points_to(
    host: PluginHost, sas_pki: Pki, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VENDOR_A_KEY", str(sas_pki.client_key))
    settings = {
        "base_url": "https://vendor.example/fhir/",
        "client_cert": str(sas_pki.client_cert),
        "client_key": "env:VENDOR_A_KEY",
        "max_connections": "5",
    }

    declared = declare(host, "vendor-a", "sas-fhir", settings, 3)

    assert declared.settings == {
        "base_url": "https://vendor.example/fhir",
        "client_cert": str(sas_pki.client_cert),
        "client_key": "env:VENDOR_A_KEY",
        "max_connections": 5,
    }
    config = adapter_config(host, declared)
    assert config.settings.client_key == sas_pki.client_key
    assert config.timeout_s == 3
    assert str(sas_pki.client_key) not in repr(config)

    monkeypatch.setenv("VENDOR_A_KEY", str(sas_pki.rogue_client_key))
    with pytest.raises(InvalidSettings) as caught:
        adapter_config(host, declared)
    assert "env:VENDOR_A_KEY" in str(caught.value)
    assert str(sas_pki.rogue_client_key) not in str(caught.value)


def test_every_broken_field_is_named(host: PluginHost) -> None:
    with pytest.raises(InvalidSettings) as caught:
        declare(
            host,
            "vendor-a",
            "sas-fhir",
            {"base_url": "ftp://x", "client_key": "/etc/key.pem", "verify": "maybe"},
            99,
        )
    assert caught.value.problems == [
        "timeout_s: must be a number of seconds in (0, 60]",
        "settings.client_key: holds a secret: give it by reference — env:NAME (an environment "
        "variable) or file:PATH (an absolute path) — never its value",
    ]
    with pytest.raises(InvalidSettings) as caught:
        declare(host, "vendor-a", "sas-fhir", {"base_url": "ftp://x", "verify": "maybe"}, 7)
    assert [p.split(":")[0] for p in caught.value.problems] == [
        "settings.base_url",
        "settings.verify",
    ]
