"""A search Bundle as the checks read it: entries by `Type/id` and by fullUrl, references
resolved the way the platform resolves them, and every element walked with its path."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Entry:
    index: int
    full_url: str | None
    resource: dict[str, Any]
    mode: str | None

    @property
    def kind(self) -> str:
        return str(self.resource.get("resourceType"))

    @property
    def key(self) -> str:
        return f"{self.kind}/{self.resource.get('id')}"

    @property
    def path(self) -> str:
        return f"Bundle.entry[{self.index}].resource({self.key})"


class BundleView:
    def __init__(self, bundle: dict[str, Any]) -> None:
        self.bundle = bundle
        raw = bundle.get("entry")
        self.entries: list[Entry] = []
        for index, item in enumerate(raw if isinstance(raw, list) else []):
            if not isinstance(item, dict) or not isinstance(item.get("resource"), dict):
                continue
            search = item.get("search")
            self.entries.append(
                Entry(
                    index,
                    item.get("fullUrl") if isinstance(item.get("fullUrl"), str) else None,
                    item["resource"],
                    search.get("mode") if isinstance(search, dict) else None,
                )
            )
        self.by_key = {e.key: e for e in self.entries}
        self.by_url = {e.full_url: e for e in self.entries if e.full_url}

    def of(self, kind: str) -> list[Entry]:
        return [e for e in self.entries if e.kind == kind]

    def resolve(self, reference: object) -> Entry | None:
        """The entry a `Reference` points to: relative `Type/id` or an absolute fullUrl."""
        if not isinstance(reference, dict):
            return None
        target = reference.get("reference")
        if not isinstance(target, str):
            return None
        if target in self.by_url:
            return self.by_url[target]
        parts = target.rstrip("/").split("/")
        return self.by_key.get("/".join(parts[-2:])) if len(parts) >= 2 else None


def contained(resource: dict[str, Any], reference: object) -> dict[str, Any] | None:
    """The contained resource a `#id` reference names."""
    if not isinstance(reference, dict):
        return None
    target = reference.get("reference")
    if not isinstance(target, str) or not target.startswith("#"):
        return None
    for item in resource.get("contained") or []:
        if isinstance(item, dict) and item.get("id") == target[1:]:
            return item
    return None


def walk(value: Any, path: str) -> Iterator[tuple[str, Any]]:
    """Every element under `value` with its FHIRPath-like path, `value` itself first."""
    yield path, value
    if isinstance(value, dict):
        for key, item in value.items():
            yield from walk(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from walk(item, f"{path}[{index}]")


def resources(view: BundleView) -> Iterator[tuple[str, dict[str, Any]]]:
    """Each resource of the Bundle with its path, contained ones included."""
    for entry in view.entries:
        yield entry.path, entry.resource
        for index, item in enumerate(entry.resource.get("contained") or []):
            if isinstance(item, dict):
                yield f"{entry.path}.contained[{index}]", item


def codings(concept: object) -> list[dict[str, Any]]:
    if not isinstance(concept, dict):
        return []
    found = concept.get("coding")
    return [c for c in found if isinstance(c, dict)] if isinstance(found, list) else []


def as_list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []
