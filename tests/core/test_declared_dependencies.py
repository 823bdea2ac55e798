"""Every third-party package the `sas-connect` distribution (`sas_core`, `sas_web`) imports is
one its pyproject.toml declares: a package that only comes along with another (joserfc with
Authlib, anyio with Litestar) may leave in any release of the one that brings it."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
#: The packages the root distribution ships.
SHIPPED = (REPO / "sas_core", REPO / "web" / "sas_web")
FIRST_PARTY = frozenset({"sas_core", "sas_web", "__future__"})


def _normalised(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def declared() -> set[str]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    names = (re.match(r"[A-Za-z0-9._-]+", r) for r in project["dependencies"])
    return {_normalised(m.group()) for m in names if m is not None}


def imported() -> dict[str, Path]:
    """Top-level third-party module → a file that imports it."""
    found: dict[str, Path] = {}
    for package in SHIPPED:
        for path in sorted(package.rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    modules = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    modules = [node.module]
                else:
                    continue
                for module in modules:
                    top = module.split(".")[0]
                    if top not in sys.stdlib_module_names and top not in FIRST_PARTY:
                        found.setdefault(top, path)
    return found


def test_every_imported_package_is_declared() -> None:
    distributions = packages_distributions()
    wanted = declared()
    missing = {
        module: str(path.relative_to(REPO))
        for module, path in imported().items()
        if not {_normalised(d) for d in distributions.get(module, [module])} & wanted
    }
    assert not missing, f"imported but not in [project] dependencies: {missing}"
