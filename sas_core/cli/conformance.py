"""`sas conformance --base URL` and `sas conformance appointment FILE`: the checker of a vendor
endpoint and of an Appointment about to be reported; the checks live in `sas_core.conformance`.

Exit codes: 0 when every check that ran passed, 1 when one failed, 2 for bad input.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click

from sas_core.conformance import (
    DEFAULT_DEADLINE_S,
    DEFAULT_RPPS,
    DEFAULT_SIRET,
    DEFAULT_TIMEOUT_S,
    MODES,
    ClientTls,
    RefusalCerts,
    Report,
    as_json,
    as_junit,
    as_text,
    association_id,
    check_appointment,
    practitioner_id,
    run,
)

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)
_RENDER: dict[str, Callable[[Report], str]] = {"text": as_text, "json": as_json, "junit": as_junit}
_FORMAT = click.option(
    "--format",
    "output",
    type=click.Choice(tuple(_RENDER)),
    default="text",
    show_default=True,
    help="text: one line per check, last line `N passed, N failed`; json; junit (XML for CI).",
)


def _identifiers(
    parse: Callable[[str], str],
) -> Callable[[click.Context, click.Parameter, tuple[str, ...]], tuple[str, ...]]:
    def convert(
        _: click.Context, param: click.Parameter, values: tuple[str, ...]
    ) -> tuple[str, ...]:
        try:
            return tuple(parse(v) for value in values for v in value.split(",") if v.strip())
        except ValueError as exc:
            raise click.BadParameter(str(exc), param=param) from None

    return convert


def _finish(report: Report, output: str) -> None:
    click.echo(_RENDER[output](report))
    raise SystemExit(0 if report.ok else 1)


@click.group(invoke_without_command=True, short_help="Check a vendor endpoint against the SAS IG.")
@click.option("--base", metavar="URL", help="The vendor's FHIR base URL (https://…/fhir).")
@click.option(
    "--mode",
    type=click.Choice(MODES),
    default="ps",
    show_default=True,
    help="Use case: ps (INT_R01), cpts (INT_R04) or sos (SOS Médecins).",
)
@click.option("--cert", type=_FILE, help="Client certificate (PEM) the platform presents (mTLS).")
@click.option("--key", type=_FILE, help="Its private key (PEM), if not in --cert.")
@click.option("--ca", type=_FILE, help="CA bundle that signs the vendor's server certificate.")
@click.option(
    "--rpps",
    multiple=True,
    callback=_identifiers(practitioner_id),
    metavar="RPPS",
    help="Test practitioner (RPPS or ADELI, prefixed or not); repeat or separate by "
    "commas. Default: the acceptance practitioners (docs/conformance.md).",
)
@click.option(
    "--siret",
    multiple=True,
    callback=_identifiers(association_id),
    metavar="SIRET",
    help="Test SOS association (SIRET, prefixed or not). Default: the acceptance one.",
)
@click.option(
    "--wrong-cn-cert",
    type=_FILE,
    help="PEM (certificate and key) with a wrong CN: must be refused.",
)
@click.option(
    "--wrong-ou-cert",
    type=_FILE,
    help="PEM (certificate and key) with a wrong OU: must be refused.",
)
@click.option(
    "--revoked-cert",
    type=_FILE,
    help="PEM (certificate and key) revoked by the CA: must be refused.",
)
@click.option(
    "--sso-issuer",
    metavar="URL",
    help="The platform's realm: booking URLs with origin must redirect there.",
)
@click.option(
    "--check", "only", multiple=True, metavar="ID", help="Run only this check (repeatable)."
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.1),
    default=DEFAULT_TIMEOUT_S,
    show_default=True,
    help="Seconds one request may take.",
)
@click.option(
    "--deadline",
    type=click.FloatRange(min=1),
    default=DEFAULT_DEADLINE_S,
    show_default=True,
    help="Seconds the whole run may take; checks left then fail.",
)
@_FORMAT
@click.pass_context
def conformance(
    ctx: click.Context,
    base: str | None,
    mode: str,
    cert: Path | None,
    key: Path | None,
    ca: Path | None,
    rpps: tuple[str, ...],
    siret: tuple[str, ...],
    wrong_cn_cert: Path | None,
    wrong_ou_cert: Path | None,
    revoked_cert: Path | None,
    sso_issuer: str | None,
    only: tuple[str, ...],
    timeout: float,
    deadline: float,
    output: str,
) -> None:
    """Check a vendor FHIR endpoint the way ANS's connected acceptance does: one line per check
    with its id, a fix hint for every failure, then `N passed, N failed`."""
    if ctx.invoked_subcommand is not None:
        return
    if base is None:
        raise click.UsageError("give --base URL (or the subcommand appointment FILE)")
    if key is not None and cert is None:
        raise click.UsageError("--key needs --cert")
    try:
        report = run(
            base,
            mode,  # type: ignore[arg-type]  # click.Choice(MODES)
            tls=ClientTls(cert, key, ca),
            rpps=rpps or DEFAULT_RPPS,
            siret=siret or DEFAULT_SIRET,
            refusal=RefusalCerts(wrong_cn_cert, wrong_ou_cert, revoked_cert),
            sso_issuer=sso_issuer,
            timeout_s=timeout,
            deadline_s=deadline,
            only=only or None,
        )
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    _finish(report, output)


@conformance.command()
@click.argument("file", type=_FILE)
@_FORMAT
def appointment(file: Path, output: str) -> None:
    """Check an Appointment (INT_R03) before reporting it, by the platform's own intake rules."""
    try:
        body = file.read_bytes()
    except OSError as exc:
        raise click.UsageError(f"cannot read {file}: {exc}") from None
    _finish(check_appointment(body, str(file)), output)
