"""`sas serve`: the platform's web app (the vendor-facing FHIR endpoint, the web front for
regulators and the platform team, and with `--sso-port` the SSO realm for browsers on a second
listener of the same app) under uvicorn.

With `--insecure-dev` the realm is mounted on the one listener too when its development login is
configured (`SAS_OIDC_LOGIN=local`, `SAS_OIDC_DEVELOPMENT=1`, `SAS_OIDC_DEV_PASSWORD`), so the
front logs in at the same origin; without it, the pages are served and the login says it is
unavailable.

Vendors authenticate with mutual TLS (digest §2): `--client-ca` is required with TLS, and each
`--vendor NAME:CN[:OU]` maps a certificate subject to a vendor. `--insecure-dev` serves plain
HTTP, on a loopback address only, attributing every request to the development vendor.

The access log (`sas.access`) and the security events (`sas.security`) go to stderr whatever the
verbosity: they are the server's record.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import socket
from pathlib import Path
from typing import TYPE_CHECKING

import click

from sas_core.cli.main import EXIT_USAGE

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from sas_core.plugins.host import PluginHost
    from sas_core.registry.adapters_file import AdapterDirectory
    from sas_core.settings import PlatformSettings
    from sas_web.oidc import OidcProvider

#: The realm's clients file in the data directory, unless SAS_OIDC_CLIENTS_FILE says otherwise.
CLIENTS_FILE_NAME = "oidc-clients.toml"

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
@click.option(
    "--sso-port",
    type=click.IntRange(0, 65535),
    help="Also serve the SSO realm (/realms/sas) to browsers on this port: the same app, "
    "server TLS without client certificates (SAS_OIDC_* settings).",
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
    sso_port: int | None,
) -> None:
    """Serve the platform: the vendor-facing FHIR endpoint at http(s)://HOST:PORT/fhir and the
    web front at http(s)://HOST:PORT/ (docs/web.md)."""
    from sas_core.cli.context import platform_settings, plugin_host
    from sas_core.registry.directory import RegistryDirectory
    from sas_core.scheduling.jobs import background_jobs
    from sas_core.serving import server as serving
    from sas_core.serving.server import AsgiServer, ServerTls
    from sas_core.storage import open_database
    from sas_web import CertificateAllowList, DevelopmentVendor, VendorIdentity, create_app
    from sas_web.settings import ServeSettings
    from sas_web.tls import ClientCertH11Protocol

    env = ServeSettings()
    for record in ("sas.access", "sas.security"):
        logging.getLogger(record).setLevel(logging.INFO)
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
    settings = platform_settings()
    engine = open_database(settings)
    plugins = plugin_host()
    adapters = RegistryDirectory(engine, plugins)
    realm = None
    if insecure_dev:
        # Authlib refuses OAuth over plain HTTP unless told; only ever on loopback here.
        os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"
    if sso_port is not None:
        try:
            realm = realm_of(settings, engine, plugins, adapters)
        except (ValueError, OSError) as exc:
            engine.dispose()
            raise click.UsageError(str(exc)) from None
    elif insecure_dev:
        try:
            realm = realm_of(settings, engine, plugins, adapters)
        except (ValueError, OSError) as exc:
            click.secho(f"WARNING: no login for the web front: {exc}", err=True)
    try:
        app = create_app(
            settings,
            identity=identity,
            engine=engine,
            max_body_bytes=max_body_bytes or env.max_body_bytes,
            oidc=realm,
            body_timeout_s=env.body_timeout_s,
            plugins=plugins,
            secure_cookies=not insecure_dev,
        )
    except (ValueError, RuntimeError) as exc:
        engine.dispose()
        raise click.UsageError(str(exc)) from None
    server = AsgiServer(
        app,
        host=host,
        port=port,
        tls=tls,
        http_protocol=ClientCertH11Protocol,
        limit_concurrency=env.limit_concurrency,
    )
    # Browsers never get a client-certificate request: a regulator's CPS card (an IGC-Santé
    # certificate too) would make the browser ask which certificate to send on every page.
    browsers = (
        AsgiServer(
            app,
            host=host,
            port=sso_port,
            tls=ServerTls(tls.cert_file, tls.key_file) if tls else None,
            lifespan=False,
            limit_concurrency=env.limit_concurrency,
        )
        if sso_port is not None
        else None
    )

    def ready(url: str) -> None:
        click.echo(f"serving the platform at {url}")
        if browsers is not None:
            browsers.start()
            click.echo(f"serving the SSO realm at {browsers.root_url}/realms/sas")

    # The background jobs (outbox, account retries, adapter probe, purge), once per cluster:
    # the same schedule as `sas scheduler run`, on a thread of its own.
    jobs = background_jobs(engine, plugins, adapters)
    jobs.start()
    try:
        serving.serve_forever(server, ready=ready)
    except (OSError, RuntimeError) as exc:
        click.echo(f"error: {exc}", err=True)
        raise SystemExit(EXIT_USAGE) from None
    finally:
        jobs.stop()
        if browsers is not None:
            browsers.stop()
        engine.dispose()


def realm_of(
    settings: PlatformSettings, engine: Engine, plugins: PluginHost, adapters: AdapterDirectory
) -> OidcProvider:
    """The realm from `SAS_OIDC_*`: its clients file, and account sync (INT_R02) at login."""
    from sas_web.oidc import OidcProvider, OidcSettings, account_sync_at_login, load_clients

    oidc = OidcSettings()
    clients = load_clients(oidc.clients_file or settings.data_dir.resolve() / CLIENTS_FILE_NAME)
    if not clients:
        click.secho("WARNING: no SSO client registered: the realm refuses every vendor", err=True)
    if not (oidc.issuer or oidc.allowed_hosts):
        click.secho(
            "WARNING: neither SAS_OIDC_ISSUER nor SAS_OIDC_ALLOWED_HOSTS is set: the realm "
            "answers loopback Host headers only (localhost, 127.0.0.1, [::1])",
            err=True,
        )
    if oidc.login == "local":
        click.secho(
            "WARNING: SSO realm with the DEVELOPMENT login (e-mail + shared password)",
            fg="red",
            bold=True,
            err=True,
        )
    return OidcProvider(
        engine, clients, oidc, on_login=account_sync_at_login(engine, plugins, adapters)
    )
