"""Entry point of the `sas` command: the group and its exit codes."""

from __future__ import annotations

import click


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="sas-connect")
def cli() -> None:
    """SAS Connect: aggregate vendors' slots for the SAS platform."""


def main() -> None:
    cli()
