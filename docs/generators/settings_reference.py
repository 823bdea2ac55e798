"""MkDocs hook: the settings reference, generated from the `BaseSettings` models.

Every `pydantic-settings` model in the project's sources is found (by reading the sources, so a
new model cannot be forgotten) and rendered by pydantic-settings-export: each `SAS_*` variable
with its type, default and description (the field's docstring). The page
`docs/reference/settings.md` holds the marker the table replaces.
"""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path
from typing import Any

from pydantic_settings import BaseSettings
from pydantic_settings_export import MarkdownGenerator, PSESettings, SettingsInfoModel

REPO = Path(__file__).resolve().parents[2]
#: Where importable packages live: the root distribution (and its web/ folder) and each plugin.
SOURCE_ROOTS = (REPO, REPO / "web", *sorted(p for p in (REPO / "plugins").iterdir() if p.is_dir()))
PACKAGES = ("sas_core", "sas_simulator", "sas_web")
MARKER = "<!-- settings-reference -->"


def _package_dirs() -> list[tuple[Path, Path]]:
    """(source root, package directory) of every first-party package."""
    found = []
    for root in SOURCE_ROOTS:
        for child in sorted(root.iterdir()):
            is_package = (child / "__init__.py").is_file() and child.name != "tests"
            if is_package and (child.name in PACKAGES or root.parent.name == "plugins"):
                found.append((root, child))
    return found


def _defines_settings(path: Path) -> list[str]:
    """Names of the classes in `path` that subclass `BaseSettings` directly."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            for base in node.bases:
                name = base.attr if isinstance(base, ast.Attribute) else getattr(base, "id", "")
                if name == "BaseSettings":
                    names.append(node.name)
    return names


def settings_models() -> list[type[BaseSettings]]:
    """Every `BaseSettings` subclass defined in the project's packages, in source order."""
    models: list[type[BaseSettings]] = []
    for root, package in _package_dirs():
        for path in sorted(package.rglob("*.py")):
            names = _defines_settings(path)
            if not names:
                continue
            module = ".".join(path.relative_to(root).with_suffix("").parts)
            loaded = importlib.import_module(module)
            models.extend(getattr(loaded, name) for name in names)
    return models


def render() -> str:
    """The Markdown of the settings reference: one section per settings model."""
    generator = MarkdownGenerator(
        PSESettings(),
        MarkdownGenerator.config(
            paths=[], table_only=True, table_headers=["Name", "Type", "Default", "Description"]
        ),
    )
    sections = []
    for model in settings_models():
        info = SettingsInfoModel.from_settings_model(model)
        for field in info.fields:
            # A docstring wraps its lines; a table cell cannot.
            field.description = " ".join((field.description or "").split())
        summary = (inspect.getdoc(model) or "").split("\n\n", 1)[0].replace("\n", " ")
        prefix = model.model_config.get("env_prefix", "")
        sections.append(
            f"## {model.__name__} (`{prefix}…`)\n\n{summary} Read by "
            f"`{model.__module__}.{model.__qualname__}`.\n\n"
            f"{generator.generate_single(info).strip()}\n"
        )
    return "\n".join(sections)


def on_page_markdown(markdown: str, /, **_: Any) -> str:
    """Replace the marker, on whichever page holds it, by the generated reference."""
    if MARKER not in markdown:
        return markdown
    return markdown.replace(MARKER, render())
