"""SQL is written only in `sas_core.storage` (docs/architecture.md): the flow services listed
here build no statement and open no session of their own; they call the repositories.

import-linter cannot say this (it sees `sqlalchemy` as one package, and a service may still name
an `Engine` or catch an `IntegrityError`), so the test reads the imports. A module joins
`CLEAN` once its statements have moved to storage.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
#: Flow-service modules whose SQL lives in `sas_core/storage/`; a package named whole is clean
#: whole, so a module added to it later is covered too.
CLEAN = (
    *(
        p.relative_to(REPO).as_posix()
        for package in ("accounts", "offer", "search")
        for p in sorted((REPO / "sas_core" / package).glob("*.py"))
    ),
    "sas_core/appointments/intake.py",
    "sas_core/appointments/parties.py",
    "sas_core/appointments/outbox.py",
    "sas_core/registry/search_radius.py",
    "sas_core/appointments/forwarding.py",
    "sas_core/appointments/figures.py",
    "sas_core/registry/lrms.py",
    "plugins/sas-lrm/sas_lrm/plugin.py",
    "plugins/sas-lrm/sas_lrm/snapshots.py",
    "plugins/sas-lrm/sas_lrm/forwarder.py",
    "plugins/sas-lrm/sas_lrm/commands.py",
)
#: What writes SQL or runs it: statement builders, raw text, sessions and their makers.
SQL_NAMES = frozenset(
    {"select", "insert", "update", "delete", "exists", "text", "func", "Session", "sessionmaker"}
)


def _sql_imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy"):
            found += [f"{node.module}.{a.name}" for a in node.names if a.name in SQL_NAMES]
        elif isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.startswith("sqlalchemy.sql")]
            found += [a.name for a in node.names if a.name in ("sqlalchemy", "sqlalchemy.orm")]
    return found


@pytest.mark.parametrize("module", CLEAN)
def test_the_flow_service_imports_no_statement_builder(module: str) -> None:
    assert _sql_imports(REPO / module) == []
