"""`sas serve`: the platform's web app (today the vendor-facing FHIR endpoint) under uvicorn.

Vendors authenticate with mutual TLS (digest §2): `--client-ca` is required with TLS, and each
`--vendor NAME:CN[:OU]` maps a certificate subject to a vendor. `--insecure-dev` serves plain
HTTP, on a loopback address only, attributing every request to the development vendor.
"""

from __future__ import annotations

import ipaddress
import socket
from pathlib import Path

import click

from sas_core.cli.main import EXIT_USAGE
from sas_core.serving import AsgiServer, ServerTls, serve_forever

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


def is_loopback(host: str) -> bool:
    """Whether every address `host` resolves to is a loopback address."""
    try:
        infos = socket.getaddrinfo(host, None)
    except socket.gaierror:
        return False
    return bool(infos) and all(ipaddress.ip_address(i[4][0]).is_loopback for i in infos)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8443, show_default=True, type=int, help="Port (0: any free).")
@click.option("--tls-cert", type=_FILE, help="Server certificate (PEM). [env SAS_SERVE_TLS_CERT]")
@click.option("--tls-key", type=_FILE, help="Server key (PEM). [env SAS_SERVE_TLS_KEY]")
@click.option(
    "--client-ca",
    type=_FILE,
    help="CA that issues vendors' client certificates (IGC-Santé). [env SAS_SERVE_CLIENT_CA]",
)
@click.option(
    "--vendor",
    "vendors",
    multiple=True,
    metavar="NAME:CN[:OU]",
    help="A vendor and the certificate subject that identifies it; repeatable. "
    "[env SAS_SERVE_VENDORS, `;`-separated]",
)
@click.option(
    "--trusted-proxy",
    "trusted_proxies",
    multiple=True,
    metavar="ADDRESS[/BITS]",
    help="A TLS-terminating proxy whose X-SSL-Client-Cert header is trusted; repeatable.",
)
@click.option(
    "--max-body-bytes", type=int, help="Largest Appointment body accepted (default 1 MiB)."
)
@click.option(
    "--insecure-dev",
    is_flag=True,
    help="Plain HTTP on a loopback address, every request from the vendor 'dev-vendor'.",
)
def serve(
    host: str,
    port: int,
    tls_cert: Path | None,
    tls_key: Path | None,
    client_ca: Path | None,
    vendors: tuple[str, ...],
    trusted_proxies: tuple[str, ...],
    max_body_bytes: int | None,
    insecure_dev: bool,
) -> None:
    """Serve the platform: the vendor-facing FHIR endpoint at http(s)://HOST:PORT/fhir."""
    from sas_core.settings import load_settings
    from sas_web import CertificateAllowList, DevelopmentVendor, VendorIdentity, create_app
    from sas_web.settings import ServeSettings
    from sas_web.tls import ClientCertH11Protocol

    env = ServeSettings()
    tls_cert, tls_key, client_ca = (
        tls_cert or env.tls_cert,
        tls_key or env.tls_key,
        client_ca or env.client_ca,
    )
    identity: VendorIdentity
    tls: ServerTls | None = None
    if insecure_dev:
        if not is_loopback(host):
            raise click.UsageError(
                f"--insecure-dev serves without TLS and is only allowed on a loopback address "
                f"(127.0.0.1, ::1, localhost), not {host!r}"
            )
        click.secho(
            "WARNING: --insecure-dev: NO TLS, NO CLIENT AUTHENTICATION; every request is "
            "attributed to the vendor 'dev-vendor'. Never use this outside development.",
            fg="red",
            bold=True,
            err=True,
        )
        identity = DevelopmentVendor()
    else:
        try:
            rules = [*env.vendor_rules(), *env.parse_rules(vendors)]
        except ValueError as exc:
            raise click.UsageError(str(exc)) from None
        proxies = [*env.trusted_proxies, *trusted_proxies]
        if tls_cert and tls_key and client_ca:
            tls = ServerTls(tls_cert, tls_key, client_ca)
        elif not proxies:
            # Behind a TLS-terminating proxy the platform may listen in plain HTTP.
            raise click.UsageError(
                "serving vendors needs --tls-cert, --tls-key and --client-ca (mutual TLS, "
                "digest §2), or --trusted-proxy behind a TLS-terminating proxy; "
                "--insecure-dev for a loopback development server"
            )
        if not rules:
            raise click.UsageError("no vendor allowed: give --vendor NAME:CN[:OU] at least once")
        identity = CertificateAllowList(rules, proxies)
    app = create_app(
        load_settings(),
        identity=identity,
        max_body_bytes=max_body_bytes or env.max_body_bytes,
    )
    server = AsgiServer(app, host=host, port=port, tls=tls, http_protocol=ClientCertH11Protocol)
    try:
        serve_forever(server, ready=lambda url: click.echo(f"serving the platform at {url}"))
    except (OSError, RuntimeError) as exc:
        click.echo(f"error: {exc}", err=True)
        raise SystemExit(EXIT_USAGE) from None
