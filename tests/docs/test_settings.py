"""Every `SAS_*` environment variable the code reads is documented, and only those are."""

from __future__ import annotations

import ast
import importlib.util
import re
import sys
from functools import cache
from pathlib import Path
from types import ModuleType

import click
from pydantic_settings import BaseSettings

from .commands import walk
from .pages import DOCS, REPO, written_text

#: Where the code that reads the environment lives (the tests read some too).
SOURCES = ("sas_core", "simulator", "web", "plugins", "bench", "tests")
#: A whole variable name; `SAS_OIDC_*` and `SAS_SERVE_` are prefixes, not names.
ENV_NAME = re.compile(r"SAS_[A-Z0-9_]*[A-Z0-9](?![A-Z0-9_*])")


@cache
def generator() -> ModuleType:
    """docs/generators/settings_reference.py, the MkDocs hook that writes the settings reference."""
    path = DOCS / "generators" / "settings_reference.py"
    spec = importlib.util.spec_from_file_location("settings_reference", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, module)
    spec.loader.exec_module(module)
    return module


@cache
def python_files() -> tuple[tuple[Path, ast.Module], ...]:
    """Every Python file of SOURCES, parsed."""
    return tuple(
        (path, ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
        for top in SOURCES
        for path in sorted((REPO / top).rglob("*.py"))
        if not {"__pycache__", ".venv"} & set(path.parts)
    )


def _is_environ(node: ast.expr) -> bool:
    return (isinstance(node, ast.Attribute) and node.attr == "environ") or (
        isinstance(node, ast.Name) and node.id == "environ"
    )


def env_reads(tree: ast.Module) -> set[str]:
    """`SAS_*` names a module reads or sets in the environment: `os.environ[...]`,
    `os.environ.get(...)`, `os.getenv(...)`, by literal or by a module constant."""
    constants = {
        target.id: node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign | ast.AnnAssign)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
        for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
        if isinstance(target, ast.Name)
    }

    def value(node: ast.expr) -> str | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.Name):
            return constants.get(node.id)
        return None

    keys: list[ast.expr] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript) and _is_environ(node.value):
            keys.append(node.slice)
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            on_environ = isinstance(func, ast.Attribute) and _is_environ(func.value)
            getenv = isinstance(func, ast.Attribute | ast.Name) and (
                getattr(func, "attr", None) == "getenv" or getattr(func, "id", None) == "getenv"
            )
            if on_environ or getenv:
                keys.append(node.args[0])
    return {v for v in map(value, keys) if v is not None and ENV_NAME.fullmatch(v)}


@cache
def read_in_code() -> dict[str, Path]:
    found = {name: path for path, tree in python_files() for name in env_reads(tree)}
    for path, command in walk():  # click options bound to the environment
        for param in command.params:
            envvars = param.envvar if isinstance(param.envvar, list | tuple) else [param.envvar]
            for name in filter(None, envvars):
                found[str(name)] = REPO / " ".join(path)
    return found


def model_env_names(model: type[BaseSettings]) -> dict[str, str | None]:
    """The variable of each field, with the field's description."""
    prefix = model.model_config.get("env_prefix", "")
    return {
        f"{prefix}{name}".upper(): field.description for name, field in model.model_fields.items()
    }


def test_the_scan_finds_environment_reads_outside_the_models() -> None:
    found = read_in_code()
    assert {"SAS_TRACE_HOOKS", "SAS_SHARED_DIR", "SAS_DATA_DIR", "SAS_PLUGINS"} <= set(found)


def test_every_variable_read_in_code_is_documented() -> None:
    documented = written_text() + generator().render()
    missing = {
        name: str(path.relative_to(REPO))
        for name, path in read_in_code().items()
        if name not in documented
    }
    assert not missing, f"undocumented environment variables: {missing}"


def test_the_settings_reference_covers_every_model_and_field() -> None:
    reference = generator()
    models = reference.settings_models()
    assert {m.__name__ for m in models} >= {"PlatformSettings", "ServeSettings", "OidcSettings"}
    rendered = reference.render()
    for model in models:
        for name, description in model_env_names(model).items():
            assert description, f"{model.__name__}: {name} has no description (a docstring)"
            assert f"`{name}`" in rendered, f"{name} is missing from the settings reference"


def test_the_docs_name_no_variable_that_does_not_exist() -> None:
    """A renamed or removed variable cannot linger in the docs. Names the code uses for other
    things than the environment (the SSO cookie `SAS_SESSION`) are string literals in it."""
    known = set(read_in_code())
    for model in generator().settings_models():
        known |= set(model_env_names(model))
    literals = {
        node.value
        for _, tree in python_files()
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    }
    stale = {
        name
        for name in ENV_NAME.findall(written_text())
        if name not in known and name not in literals
    }
    assert not stale, f"the docs name variables the code does not know: {sorted(stale)}"


def test_click_options_read_the_documented_names() -> None:
    """`sas` options that take their default from the environment say so in their help."""
    for path, command in walk():
        for param in command.params:
            if isinstance(param, click.Option) and param.envvar:
                assert param.show_envvar or "SAS_" in (param.help or ""), " ".join(path)
