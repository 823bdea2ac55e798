"""The element checks on every resource of the main search: profiles and canonicals,
identifiers and their prefixes, phones, specialties, empty elements, slot types and dates, booking
URLs (digest §3, §4.4, §5.3–§5.5, §6.4, §14, §15.2)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sas_core.clock import PARIS
from sas_core.conformance import catalogue as faq
from sas_core.conformance.bundle_view import BundleView, as_list, codings, resources, walk
from sas_core.conformance.context import Context, Skip
from sas_core.conformance.models import FixHint
from sas_core.conformance.searches import fail_if, filled
from sas_core.fhir import codes
from sas_core.fhir.instants import parse_instant
from sas_core.identifiers import IDNPS_SYSTEM, IDNST_SYSTEM

_PROFILES_PS = {
    "Bundle": {codes.PROFILE_BUNDLE_PS},
    "Slot": {codes.PROFILE_SLOT, codes.PROFILE_CPTS_SLOT},
    "Schedule": {codes.PROFILE_SCHEDULE},
    "Practitioner": {codes.PROFILE_PRACTITIONER},
    "PractitionerRole": {codes.PROFILE_PRACTITIONER_ROLE},
    "Location": {codes.PROFILE_LOCATION},
}
_PROFILES: dict[str, dict[str, set[str]]] = {
    "ps": _PROFILES_PS,
    "cpts": {
        **_PROFILES_PS,
        "Bundle": {codes.PROFILE_CPTS_BUNDLE},
        "Slot": {codes.PROFILE_CPTS_SLOT},
        "HealthcareService": {codes.PROFILE_CPTS_HEALTHCARE_SERVICE},
        "Organization": {codes.PROFILE_CPTS_ORGANIZATION},
    },
    "sos": {
        "Bundle": {codes.PROFILE_SOS_BUNDLE},
        "Slot": {codes.PROFILE_SOS_SLOT},
        "Schedule": {codes.PROFILE_SOS_SCHEDULE},
        "Location": {codes.PROFILE_SOS_LOCATION},
        "Organization": {codes.PROFILE_SOS_ORGANIZATION},
    },
}
#: Every canonical the IG publishes, by its last path segment: a URL with the same segment but
#: another scheme, host or path is a mixed-up canonical (digest §14, §16.2).
_CANONICALS = {
    url.rsplit("/", 1)[-1]: url
    for url in (
        *(p for table in _PROFILES.values() for ps in table.values() for p in ps),
        codes.SLOT_SERVICE_TYPE_EXTENSION,
        codes.TRE_R314_TYPE_CRENEAU,
        codes.TRE_R38_SPECIALITE_ORDINALE,
        codes.TRE_R66_CATEGORIE_ETABLISSEMENT,
        codes.FR_V2_0203,
        codes.FR_LOCATION_IDENTIFIER_TYPE,
        codes.V3_ACT_CODE,
        codes.V2_0276,
        "http://sas.fr/fhir/StructureDefinition/FrAppointmentSAS",
    )
}
_ALSO_CANONICAL = {codes.FR_CORE_CS_V2_0203}
_BARE_OID = re.compile(r"[0-2](\.[0-9]+)+")
_IDNPS = re.compile(r"8[0-9]{11}|0[0-9A-Za-z]{9}")
_IDNST = re.compile(r"1[0-9]{9}|3[0-9]{14}|4[0-9]{14}|0[0-9A-Za-z]{9,14}")
_FINESS = re.compile(r"1[0-9]{9}")
_SIRET = re.compile(r"3[0-9]{14}")
_PHONE = re.compile(r"\+33[1-9][0-9]{8}|\+(262|590|596|594)[0-9]{9}")
_SPECIALTY_CODE = re.compile(r"[A-Z]{1,4}[0-9]{1,4}")
#: [TK] milliseconds and a numeric offset (digest §4.4).
_TK_INSTANT = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}[+-][0-9]{2}:[0-9]{2}"
)
_SLOT_TYPES = {
    "ps": {"PUBLIC", "PRO", "SNP", "CPTS"},
    "cpts": {"PUBLIC", "PRO", "SNP", "CPTS"},
    "sos": {"PUBLIC", "SNP"},
}
_TELECOM = re.compile(r"telecom\[[0-9]+\]")
_CONSULTATION_TYPES = {"AMB", "HH", "VR"}
_APPOINTMENT_TYPES = {"ROUTINE", "WALKIN"}


def _view(ctx: Context) -> BundleView:
    return filled(ctx)


def _profiles(resource: dict[str, Any]) -> list[str]:
    meta = resource.get("meta")
    found = meta.get("profile") if isinstance(meta, dict) else None
    return [p for p in as_list(found) if isinstance(p, str)]


def profiles(ctx: Context) -> str:
    view = _view(ctx)
    table = _PROFILES[ctx.mode]
    hints = []
    checked = 0
    for path, resource in [("Bundle", view.bundle), *resources(view)]:
        kind = str(resource.get("resourceType"))
        expected = table.get(kind)
        if expected is None:
            continue
        checked += 1
        declared = _profiles(resource)
        if not set(declared) & expected:
            hints.append(
                FixHint(
                    f"{path}.meta.profile",
                    repr(declared) if declared else "absent",
                    " or ".join(sorted(expected)),
                    faq.FAQ_PROFILE,
                )
            )
    fail_if("resources without the profile of the flow", hints)
    return f"{checked} resources declare their profile"


def canonicals(ctx: Context) -> str:
    view = _view(ctx)
    hints = []
    seen = 0
    for path, value in walk(view.bundle, "Bundle"):
        if not isinstance(value, str) or path.rsplit(".", 1)[-1].split("[")[0] not in (
            "profile",
            "url",
            "system",
        ):
            continue
        seen += 1
        if value in _ALSO_CANONICAL:
            continue
        tail = value.rstrip("/").rsplit("/", 1)[-1]
        known = _CANONICALS.get(tail)
        if known is not None and value != known:
            hints.append(FixHint(path, repr(value), repr(known), faq.FAQ_CANONICAL))
    fail_if("canonical URLs written with the wrong scheme, host or path", hints)
    return f"{seen} URLs, none mixed up"


def _identifier_hints(
    path: str, identifier: object, system: str, pattern: re.Pattern[str], what: str
) -> list[FixHint]:
    if not isinstance(identifier, dict):
        return [
            FixHint(
                path,
                "not an Identifier",
                f"an Identifier with type, system and value ({what})",
                faq.FAQ_PREFIXES,
            )
        ]
    hints = []
    found_system = identifier.get("system")
    if isinstance(found_system, str) and _BARE_OID.fullmatch(found_system):
        hints.append(
            FixHint(
                f"{path}.system", repr(found_system), repr(f"urn:oid:{found_system}"), faq.FAQ_OID
            )
        )
    elif found_system != system:
        hints.append(FixHint(f"{path}.system", repr(found_system), repr(system), faq.FAQ_PREFIXES))
    if not codings(identifier.get("type")):
        hints.append(
            FixHint(
                f"{path}.type", "absent", "a type coding (IDNPS, IDNST or INTRN)", faq.FAQ_PREFIXES
            )
        )
    value = identifier.get("value")
    if not isinstance(value, str) or not pattern.fullmatch(value):
        hints.append(
            FixHint(f"{path}.value", repr(value), f"{what}{_unprefixed(value)}", faq.FAQ_PREFIXES)
        )
    return hints


def _unprefixed(value: object) -> str:
    if not isinstance(value, str):
        return ""
    if re.fullmatch(r"[0-9]{11}", value):
        return " — this looks like an RPPS without its prefix 8"
    if re.fullmatch(r"[0-9]{9}", value):
        return " — this looks like a FINESS without its prefix 1 (or an ADELI without its 0)"
    if re.fullmatch(r"[0-9]{14}", value):
        return " — this looks like a SIRET without its prefix 3 (or a cabinet id without its 4)"
    return ""


def identifiers(ctx: Context) -> str:
    view = _view(ctx)
    hints: list[FixHint] = []
    count = 0
    for entry in view.of("Practitioner"):
        ids = as_list(entry.resource.get("identifier"))
        if not ids:
            hints.append(
                FixHint(
                    f"{entry.path}.identifier",
                    "absent",
                    "the IDNPS (8 + RPPS or 0 + ADELI)",
                    faq.FAQ_PREFIXES,
                )
            )
        for i, identifier in enumerate(ids):
            count += 1
            hints += _identifier_hints(
                f"{entry.path}.identifier[{i}]",
                identifier,
                IDNPS_SYSTEM,
                _IDNPS,
                "8 + 11-digit RPPS or 0 + 9-character ADELI",
            )
            value = identifier.get("value") if isinstance(identifier, dict) else None
            if (
                isinstance(value, str)
                and _IDNPS.fullmatch(value)
                and value not in ctx.practitioners
            ):
                hints.append(
                    FixHint(
                        f"{entry.path}.identifier[{i}].value",
                        repr(value),
                        f"one of the identifiers searched {list(ctx.practitioners)}",
                        faq.FAQ_PREFIXES,
                    )
                )
    for entry in view.of("PractitionerRole"):
        org = entry.resource.get("organization")
        identifier = org.get("identifier") if isinstance(org, dict) else None
        if identifier is None:
            hints.append(
                FixHint(
                    f"{entry.path}.organization.identifier",
                    "absent",
                    "the IDNST of the place's structure (1 FINESS, 3 SIRET, 4 cabinet)",
                    faq.FAQ_PREFIXES,
                )
            )
        else:
            count += 1
            hints += _identifier_hints(
                f"{entry.path}.organization.identifier",
                identifier,
                IDNST_SYSTEM,
                _IDNST,
                "1 + FINESS, 3 + SIRET, 4 + RPPS-rang cabinet id or 0 + ADELI-rang",
            )
        for j, location in enumerate(as_list(entry.resource.get("contained"))):
            for i, identifier in enumerate(
                as_list(location.get("identifier") if isinstance(location, dict) else None)
            ):
                count += 1
                hints += _present(f"{entry.path}.contained[{j}].identifier[{i}]", identifier)
    organization_rule = (
        (_SIRET, "3 + 14-digit SIRET") if ctx.mode == "sos" else (_FINESS, "1 + 9-digit FINESS")
    )
    for entry in view.of("Organization"):
        for i, identifier in enumerate(as_list(entry.resource.get("identifier"))):
            count += 1
            hints += _identifier_hints(
                f"{entry.path}.identifier[{i}]", identifier, IDNST_SYSTEM, *organization_rule
            )
    for entry in view.of("Location"):
        for i, identifier in enumerate(as_list(entry.resource.get("identifier"))):
            count += 1
            hints += _present(f"{entry.path}.identifier[{i}]", identifier)
    fail_if("identifiers that do not follow the IG", hints)
    return f"{count} identifiers typed, with urn:oid: systems and prefixed values"


def _present(path: str, identifier: object) -> list[FixHint]:
    if not isinstance(identifier, dict):
        return [FixHint(path, "not an Identifier", "type, system and value", faq.FAQ_PREFIXES)]
    missing = [k for k in ("type", "system", "value") if not identifier.get(k)]
    hints = (
        [
            FixHint(
                path,
                f"no {', '.join(missing)}",
                "type, system and value all given",
                faq.FAQ_PREFIXES,
            )
        ]
        if missing
        else []
    )
    system = identifier.get("system")
    if isinstance(system, str) and _BARE_OID.fullmatch(system):
        hints.append(
            FixHint(f"{path}.system", repr(system), repr(f"urn:oid:{system}"), faq.FAQ_OID)
        )
    return hints


def idnst_types(ctx: Context) -> str:
    view = _view(ctx)
    version = ctx.ig_version()
    hints = []
    checked = 0

    def expect(path: str, identifier: object, allowed: set[str], why: str) -> None:
        nonlocal checked
        if not isinstance(identifier, dict):
            return
        checked += 1
        found = {f"{c.get('system')}#{c.get('code')}" for c in codings(identifier.get("type"))}
        if not found or not found <= allowed:
            hints.append(
                FixHint(
                    f"{path}.type",
                    ", ".join(sorted(found)) or "absent",
                    f"{' or '.join(sorted(allowed))} ({why})",
                    faq.FAQ_IDNST_TYPE,
                )
            )

    for entry in view.of("PractitionerRole"):
        org = entry.resource.get("organization")
        expect(
            f"{entry.path}.organization.identifier",
            org.get("identifier") if isinstance(org, dict) else None,
            {f"{codes.FR_V2_0203}#IDNST"},
            "PractitionerRole.organization",
        )
    if ctx.mode == "cpts":
        allowed = {
            "1.1.0": {f"{codes.FR_LOCATION_IDENTIFIER_TYPE}#IDNST"},
            "1.2.0": {f"{codes.FR_CORE_CS_V2_0203}#IDNST"},
        }.get(
            version or "",
            {f"{codes.FR_LOCATION_IDENTIFIER_TYPE}#IDNST", f"{codes.FR_CORE_CS_V2_0203}#IDNST"},
        )
        why = (
            f"CPTS Organization, IG {version}"
            if version
            else "CPTS Organization; the CapabilityStatement declares no IG version"
        )
        for entry in view.of("Organization"):
            for i, identifier in enumerate(as_list(entry.resource.get("identifier"))):
                expect(f"{entry.path}.identifier[{i}]", identifier, allowed, why)
    if ctx.mode == "sos":
        for entry in view.of("Organization"):
            for i, identifier in enumerate(as_list(entry.resource.get("identifier"))):
                expect(
                    f"{entry.path}.identifier[{i}]",
                    identifier,
                    {f"{codes.FR_LOCATION_IDENTIFIER_TYPE}#IDNST"},
                    "SOS Organization",
                )
    if not checked:
        raise Skip("no structure identifier in the answer")
    fail_if("IDNST typed with another code system than the profile's", hints)
    return f"{checked} IDNST typed as IG {version or '(version not declared)'} expects"


def phones(ctx: Context) -> str:
    view = _view(ctx)
    hints = []
    count = 0
    for path, value in walk(view.bundle, "Bundle"):
        if not isinstance(value, dict) or not _TELECOM.fullmatch(path.rsplit(".", 1)[-1]):
            continue
        if value.get("system") != "phone":
            continue
        count += 1
        number = value.get("value")
        if not isinstance(number, str) or not _PHONE.fullmatch(number):
            hints.append(
                FixHint(
                    f"{path}.value",
                    repr(number),
                    "+33 then 9 digits (+262, +590, +594, +596 overseas)",
                    faq.FAQ_PHONE,
                )
            )
    fail_if("phone numbers not normalised", hints)
    return f"{count} phone numbers in +33… form"


def specialties(ctx: Context) -> str:
    view = _view(ctx)
    hints = []
    count = 0
    for path, resource in resources(view):
        for i, concept in enumerate(as_list(resource.get("specialty"))):
            count += 1
            where = f"{path}.specialty[{i}]"
            text = concept.get("text") if isinstance(concept, dict) else None
            found = codings(concept)
            if not found:
                if isinstance(text, str) and _SPECIALTY_CODE.fullmatch(text.strip()):
                    hints.append(
                        FixHint(
                            f"{where}.text",
                            repr(text),
                            "the code in coding: {system: "
                            f"{codes.TRE_R38_SPECIALITE_ORDINALE}, code: {text.strip()!r}}}",
                            faq.FAQ_SPECIALTY,
                        )
                    )
                continue
            for j, coding in enumerate(found):
                code = coding.get("code")
                if coding.get("system") != codes.TRE_R38_SPECIALITE_ORDINALE:
                    hints.append(
                        FixHint(
                            f"{where}.coding[{j}].system",
                            repr(coding.get("system")),
                            repr(codes.TRE_R38_SPECIALITE_ORDINALE),
                            faq.FAQ_SPECIALTY,
                        )
                    )
                if not isinstance(code, str) or not _SPECIALTY_CODE.fullmatch(code):
                    hints.append(
                        FixHint(
                            f"{where}.coding[{j}].code",
                            repr(code),
                            "a TRE_R38 code such as 'SM54' (a label goes in text or display)",
                            faq.FAQ_SPECIALTY,
                        )
                    )
    fail_if("specialties with a label where a code goes, or the reverse", hints)
    return f"{count} specialties coded TRE_R38" if count else "no specialty sent"


def empty_elements(ctx: Context) -> str:
    view = _view(ctx)
    hints = []
    count = 0
    for path, value in walk(view.bundle, "Bundle"):
        count += 1
        if (
            value is None
            or value == []
            or value == {}
            or (isinstance(value, str) and not value.strip())
        ):
            hints.append(FixHint(path, repr(value), "the element left out", faq.FAQ_EMPTY))
    fail_if("elements present but empty", hints)
    return f"{count} elements, none empty"


def slot_codes(ctx: Context) -> str:
    view = _view(ctx)
    hints: list[FixHint] = []
    slots = view.of("Slot")
    for entry in slots:
        slot, path = entry.resource, entry.path
        if slot.get("status") != "free":
            hints.append(
                FixHint(f"{path}.status", repr(slot.get("status")), "'free'", faq.FAQ_SLOT_TYPES)
            )
        meta = slot.get("meta")
        security = [
            c
            for c in as_list(meta.get("security") if isinstance(meta, dict) else None)
            if isinstance(c, dict)
        ]
        if not security:
            hints.append(
                FixHint(
                    f"{path}.meta.security",
                    "absent",
                    "the slot's types (TRE_R314)",
                    faq.FAQ_SLOT_TYPES,
                )
            )
        allowed = set(_SLOT_TYPES[ctx.mode])
        if ctx.mode == "ps" and codes.PROFILE_CPTS_SLOT not in _profiles(slot):
            allowed.discard("CPTS")
        for i, coding in enumerate(security):
            if (
                coding.get("system") != codes.TRE_R314_TYPE_CRENEAU
                or coding.get("code") not in allowed
            ):
                hints.append(
                    FixHint(
                        f"{path}.meta.security[{i}]",
                        f"{coding.get('system')}#{coding.get('code')}",
                        f"{codes.TRE_R314_TYPE_CRENEAU} with {', '.join(sorted(allowed))}",
                        faq.FAQ_SLOT_TYPES,
                    )
                )
        for i, concept in enumerate(as_list(slot.get("serviceType"))):
            extended = (
                bool(as_list(concept.get("extension"))) if isinstance(concept, dict) else False
            )
            for coding in codings(concept):
                system, code = coding.get("system"), coding.get("code")
                if system == codes.V3_ACT_CODE:
                    if code not in _CONSULTATION_TYPES:
                        hints.append(
                            FixHint(
                                f"{path}.serviceType[{i}]",
                                repr(code),
                                "AMB, HH or VR (the only types the platform reads)",
                                faq.FAQ_SLOT_TYPES,
                            )
                        )
                    if extended:
                        hints.append(
                            FixHint(
                                f"{path}.serviceType[{i}].extension",
                                "present on a consultation type",
                                "the CPTS extension only on 604 entries",
                                faq.FAQ_CPTS,
                            )
                        )
                elif system == codes.TRE_R66_CATEGORIE_ETABLISSEMENT and ctx.mode != "sos":
                    if code != codes.CPTS_CATEGORY_CODE or not extended:
                        hints.append(
                            FixHint(
                                f"{path}.serviceType[{i}]",
                                f"code {code!r}, extension {'present' if extended else 'absent'}",
                                "code 604 with the extension-Slot.serviceType reference",
                                faq.FAQ_CPTS,
                            )
                        )
                else:
                    hints.append(
                        FixHint(
                            f"{path}.serviceType[{i}].coding",
                            f"{system}#{code}",
                            f"{codes.V3_ACT_CODE} (AMB, HH, VR) or, for a CPTS, TRE_R66 604; "
                            "reasons as text",
                            faq.FAQ_SLOT_TYPES,
                        )
                    )
        kinds = codings(slot.get("appointmentType"))
        if not kinds and ctx.mode != "ps":
            hints.append(
                FixHint(
                    f"{path}.appointmentType",
                    "absent",
                    "v2-0276 ROUTINE or WALKIN",
                    faq.FAQ_SLOT_TYPES,
                )
            )
        for coding in kinds:
            if (
                coding.get("system") != codes.V2_0276
                or coding.get("code") not in _APPOINTMENT_TYPES
            ):
                hints.append(
                    FixHint(
                        f"{path}.appointmentType",
                        f"{coding.get('system')}#{coding.get('code')}",
                        f"{codes.V2_0276} ROUTINE or WALKIN",
                        faq.FAQ_SLOT_TYPES,
                    )
                )
    if not slots:
        raise Skip("the answer holds no slot")
    fail_if("slot codes outside the IG's value sets", hints)
    return f"{len(slots)} slots: free, typed, coded"


def dates(ctx: Context) -> str:
    view = _view(ctx)
    lower, upper = ctx.window
    now = datetime.now(PARIS) - timedelta(minutes=1)
    hints = []
    slots = view.of("Slot")
    for entry in slots:
        moments: dict[str, datetime] = {}
        for name in ("start", "end"):
            value = entry.resource.get(name)
            if not isinstance(value, str) or not _TK_INSTANT.fullmatch(value):
                hints.append(
                    FixHint(
                        f"{entry.path}.{name}",
                        repr(value),
                        "YYYY-MM-DDThh:mm:ss.sss±hh:mm (milliseconds and a numeric offset)",
                        faq.FAQ_DATES,
                    )
                )
            if isinstance(value, str):
                try:
                    moments[name] = parse_instant(value)
                except ValueError:
                    continue
        start, end = moments.get("start"), moments.get("end")
        if start is not None and end is not None and start >= end:
            hints.append(
                FixHint(
                    f"{entry.path}.end",
                    repr(entry.resource.get("end")),
                    "after start",
                    faq.FAQ_DATES,
                )
            )
        if start is not None and not lower <= start <= upper:
            hints.append(
                FixHint(
                    f"{entry.path}.start",
                    repr(entry.resource.get("start")),
                    f"inside the window searched, {lower.isoformat()} to {upper.isoformat()}",
                    faq.FAQ_DATES,
                )
            )
        elif start is not None and start < now:
            hints.append(
                FixHint(
                    f"{entry.path}.start",
                    repr(entry.resource.get("start")),
                    "not in the past",
                    faq.FAQ_DATES,
                )
            )
    if not slots:
        raise Skip("the answer holds no slot")
    fail_if("slot dates off format or outside the window", hints)
    return f"{len(slots)} slots inside {lower:%Y-%m-%d %H:%M} – {upper:%Y-%m-%d %H:%M}"


def booking_urls(ctx: Context) -> str:
    view = _view(ctx)
    hints = []
    slots = view.of("Slot")
    for entry in slots:
        comment = entry.resource.get("comment")
        parts = urlsplit(comment) if isinstance(comment, str) else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
            hints.append(
                FixHint(
                    f"{entry.path}.comment",
                    repr(comment),
                    "the absolute URL of the agenda where the regulator books this slot",
                    faq.FAQ_BOOKING_URL,
                )
            )
    if not slots:
        raise Skip("the answer holds no slot")
    fail_if("slots without a booking URL", hints)
    return f"{len(slots)} slots with a booking URL"
