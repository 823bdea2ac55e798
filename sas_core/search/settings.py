"""The search's `SAS_SEARCH_*` settings: how long a vendor's answer is reused, how far ahead the
lots load."""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class SearchSettings(BaseSettings):
    """The search engine's cache and loading (`SAS_SEARCH_*`).

    Each field's docstring is its description in the generated settings reference.
    """

    model_config = SettingsConfigDict(env_prefix="SAS_SEARCH_", use_attribute_docstrings=True)

    cache_ttl_s: float = Field(default=30.0, gt=0, le=60)
    """Seconds a vendor's answer for one agenda is reused by the next searches of the same
    process (at most 60): a vendor is asked at most once per agenda in that time, and each
    card's `fetched_at` shows the age of what it shows. `--fresh` asks again."""
    lots_in_flight: int = Field(default=3, ge=1, le=10)
    """How many lots of 25 are fetched at once once the first page is out (the first lot is
    asked alone, so that it waits only for its own vendors)."""

    @property
    def cache_ttl(self) -> timedelta:
        return timedelta(seconds=self.cache_ttl_s)
