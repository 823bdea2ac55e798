"""What an adapter is: the plugin's self-description and one configured instance of it."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

#: Digest §4.1: the platform stops waiting for a vendor after 7 seconds.
DEFAULT_TIMEOUT_S = 7.0


class UseCase(StrEnum):
    """The kinds of care offer (and the LRM link) a plugin can serve."""

    PS_INDIVIDUAL = "ps-individual"
    CPTS = "cpts"
    SOS_MEDECINS = "sos-medecins"
    SURNUMERAIRE = "surnumeraire"
    LRM = "lrm"


class PluginMetadata(BaseModel):
    """A plugin's answer to `sas_plugin_metadata`.

    `name` is the plugin's entry-point name, which the host fills in: a plugin names itself once,
    in its distribution's entry point (a name given here must be the same). `settings_schema` is
    the pydantic model the platform validates each adapter instance's settings against (per
    territory, in the registry), so a typo in a vendor's base URL is caught when it is
    configured, not at 3 a.m. during a search.
    """

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    name: str | None = Field(default=None, pattern=r"^[a-z0-9][a-z0-9._-]*$")
    version: str | None = None
    description: str = ""
    use_cases: tuple[UseCase, ...] = ()
    settings_schema: type[BaseModel] | None = None


class AdapterConfig(BaseModel):
    """One configured instance of an adapter plugin: a vendor endpoint the platform calls.

    Several instances can share one plugin (every vendor speaking the generic SAS-FHIR API is an
    instance of the `sas-fhir` plugin). `settings` has been validated against the plugin's
    `settings_schema` when the config is built through `PluginHost.adapter`.
    """

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    name: str
    plugin: str
    timeout_s: float = Field(default=DEFAULT_TIMEOUT_S, gt=0, le=60)
    settings: Any = None
