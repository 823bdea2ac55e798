"""Resolving references inside a search bundle."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

Resource = Mapping[str, Any]


class ResourceIndex:
    """The resources of one bundle, findable by `Type/id` and by their entry's `fullUrl`.

    Digest §15.2: Slot.schedule, Schedule.actor, PractitionerRole.practitioner, … must resolve
    inside the bundle. Vendors write either form, so both are indexed; an absolute reference whose
    base differs from the entry's fullUrl (or a versioned `…/_history/n` one) still resolves by its
    trailing `Type/id` — a vendor would expect its own server's URL variants to work.
    When two entries claim the same key, the first wins.
    """

    __slots__ = ("_by_key",)

    def __init__(self) -> None:
        self._by_key: dict[str, Resource] = {}

    def add(self, resource: Resource, full_url: str | None = None) -> None:
        rtype = resource.get("resourceType")
        rid = resource.get("id")
        if isinstance(rtype, str) and isinstance(rid, str):
            self._by_key.setdefault(f"{rtype}/{rid}", resource)
        if full_url:
            self._by_key.setdefault(full_url, resource)

    def resolve(self, reference: str, rtype: str | None = None) -> Resource | None:
        """The resource `reference` points to (of type `rtype` when given), or None."""
        found = self._by_key.get(reference)
        if found is None and "/" in reference:
            parts = reference.split("/_history/", 1)[0].rstrip("/").rsplit("/", 2)
            if len(parts) >= 2:
                found = self._by_key.get(f"{parts[-2]}/{parts[-1]}")
        if found is not None and rtype is not None and found.get("resourceType") != rtype:
            return None
        return found


def label(resource: Resource) -> str:
    """`Type/id` of a resource, as BundleIssue names it."""
    return f"{resource.get('resourceType', '?')}/{resource.get('id', '?')}"
