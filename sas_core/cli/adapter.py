"""`sas adapter new`: a new vendor adapter distribution, rendered from `adapters_template/`.

The template is a copier template (not string substitution): questions with validators,
conditional files, and the answers kept in the generated `.copier-answers.yml`.
"""

from __future__ import annotations

import re
from importlib.metadata import PackageNotFoundError, distribution, entry_points
from pathlib import Path
from typing import NoReturn

import click

from sas_core.cli.main import EXIT_FAILED, EXIT_USAGE
from sas_core.plugins.host import ENTRY_POINT_GROUP

#: Where the template lives: beside the packages, in the repository (an editable install).
TEMPLATE = Path(__file__).resolve().parents[2] / "adapters_template"

#: The flows a generated adapter can implement, in the hook specifications' order.
USE_CASES = ("slots", "accounts", "sso", "appointments")
DEFAULT_USE_CASES = ("slots", "accounts")

#: PEP 508's distribution name; the name is also the plugin's entry-point name.
PEP_508_NAME = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.IGNORECASE)


def normalised(name: str) -> str:
    """PEP 503's normal form: lowercase, runs of `-`, `_`, `.` as one `-`."""
    return re.sub(r"[-_.]+", "-", name).lower()


def name_problem(name: str) -> str | None:
    """Why `name` cannot name a new adapter, or None when it can."""
    if not PEP_508_NAME.match(name):
        return (
            f"{name!r} is not a valid distribution name (PEP 508): letters, digits, '-', '_' "
            "and '.', starting and ending with a letter or a digit"
        )
    if name != normalised(name):
        return f"write the name in its normalised form (PEP 503): {normalised(name)!r}"
    if not name[0].isalpha():
        return f"{name!r} must start with a letter: its Python package is named after it"
    try:
        distribution(name)
    except PackageNotFoundError:
        pass
    else:
        return f"a distribution named {name!r} is already installed: choose another name"
    if any(e.name == name for e in entry_points(group=ENTRY_POINT_GROUP)):
        return f"a plugin named {name!r} is already installed: choose another name"
    return None


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    click.echo(f"sas adapter: {message}", err=True)
    raise SystemExit(code)


@click.group("adapter")
def adapter_group() -> None:
    """Start a new vendor adapter from the platform's template."""


@adapter_group.command("new")
@click.argument("name")
@click.option(
    "--use-case",
    "use_cases",
    multiple=True,
    type=click.Choice(USE_CASES),
    help="A flow the vendor serves (repeatable). Default: slots and accounts.",
)
@click.option(
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    help="The folder to create (default: ./NAME); it must not exist.",
)
@click.option("--vendor", help="The vendor's name as people read it (default: NAME).")
def new(name: str, use_cases: tuple[str, ...], output: Path | None, vendor: str | None) -> None:
    """Generate an installable adapter distribution NAME (also its plugin name).

    It holds the plugin's entry point, a hook module for the chosen flows, a settings schema, a
    README and tests on the platform's test kit (simulated vendor, cassettes, the transport
    contract, a conformance run). Install it next to the platform (`uv pip install -e DIR`)
    and run its tests with pytest.
    """
    problem = name_problem(name)
    if problem is not None:
        fail(problem)
    target = output if output is not None else Path(name)
    if target.exists():
        fail(f"{target} already exists: give --output a folder that does not exist yet")
    if not (TEMPLATE / "copier.yml").is_file():
        fail(f"the adapter template is not installed ({TEMPLATE})", EXIT_FAILED)
    chosen = [u for u in USE_CASES if u in (use_cases or DEFAULT_USE_CASES)]
    import copier  # only this command pays for copier's import

    copier.run_copy(
        str(TEMPLATE),
        str(target),
        data={"name": name, "vendor": vendor or name, "use_cases": chosen},
        defaults=True,
        quiet=True,
    )
    click.echo(f"{name}: {', '.join(chosen)} in {target}")
    click.echo(f"next: uv pip install -e {target} && (cd {target} && pytest)")
