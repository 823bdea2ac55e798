"""`sas oidc`: the platform realm's signing keys (see `sas_web.oidc.keys`)."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from sas_web.oidc import SigningKeys


def _keys() -> SigningKeys:
    from sas_core.cli.context import platform_settings
    from sas_core.storage import open_database
    from sas_web.oidc import OidcSettings, SigningKeys

    return SigningKeys(
        open_database(platform_settings()), timedelta(seconds=OidcSettings().key_retention_s)
    )


@click.group(name="oidc")
def oidc_group() -> None:
    """The OpenID Connect realm `sas` (SSO for vendors)."""


@oidc_group.command(name="rotate-key")
def rotate_key() -> None:
    """Sign with a new key from now on; the previous one stays in the JWKS for the retention
    (SAS_OIDC_KEY_RETENTION_S, default 24 h) so the tokens it signed still verify."""
    keys = _keys()
    click.echo(f"signing with key {keys.rotate()}")
    keys.engine.dispose()


@oidc_group.command(name="keys")
def list_keys() -> None:
    """The key ids published in the JWKS, the signing one first."""
    keys = _keys()
    current = keys.current().kid
    for jwk in sorted(keys.jwks()["keys"], key=lambda k: k["kid"] != current):
        click.echo(f"{jwk['kid']}{'  (signing)' if jwk['kid'] == current else ''}")
    keys.engine.dispose()
