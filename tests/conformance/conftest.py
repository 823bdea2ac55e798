"""Fixtures of the conformance tests: the simulator over HTTP (the test kit's `sas_vendor`) and
`sas conformance` run in-process through the assembled CLI."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from click.testing import CliRunner, Result

from sas_core.cli.main import cli

Conformance = Callable[..., Result]


@pytest.fixture
def conformance() -> Conformance:
    """`sas conformance ARGS…` in-process; the Result has `exit_code` and `output`."""

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(cli, ["conformance", *args])

    return invoke


def last_line(result: Result) -> str:
    return result.output.strip().splitlines()[-1]
