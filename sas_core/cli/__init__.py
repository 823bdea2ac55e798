"""The `sas` command."""

from sas_core.cli.main import main

__all__ = ["main"]
