"""Reading an Appointment reported by a vendor (INT_R03, digest §9) and checking it against
FrAppointmentSAS (PS and CPTS) or sas-sos-appointment (SOS Médecins).

Rules are those of digest §15.4 with the 1.2.0/`main` profiles, tolerating 1.1.0 senders:

- `participant.status` is `accepted` or `needs-action` for both profiles (main's binding; 1.1.0's
  fixed `accepted` is a subset, so 1.1.0 senders pass — decision on §16.1).
- The profile is chosen by `meta.profile`. The narrative's misprint
  `http://interopsante.org/fhir/StructureDefinition/FrAppointmentSAS` (§16.2) counts as
  FrAppointmentSAS. With neither profile declared, the appointment is read as SOS when its only
  extension is the operator and no participant names an actor (the SOS "PS not known yet" shape,
  §9.5), else as FrAppointmentSAS.
- `status`: booked, fulfilled, noshow, cancelled, and pending (SOS structure agendas; also taken
  from PS senders, whose `needs-action` participants mean the same thing).
- Instants may carry any offset within FHIR's ±14:00 (the 1.1.0 examples write `+01:00` for
  September, §16.12); one without an offset is Europe/Paris time, as everywhere in the platform.
- Free text the platform keys or links on (the identifier, the operator's value) must fit the
  domain's limits (`sas_core.appointments.models`, which storage sizes its columns from): longer
  is a 422 (`too-long`) naming the element and the limit, not a database error. An SOS actor too
  long to be an IDNST is not recognised, like any other SOS actor the platform cannot link.
- FHIR R4 Appointment's own invariants: app-1 (a participant has a type or an actor), app-2
  (start and end both or neither), app-3 (only proposed, cancelled and waitlist appointments may
  lack them — the SAS profiles require them anyway), app-4 (a cancelationReason only when
  cancelled or noshow: R4's expression writes `no-show`, no status code, which R5 corrected).
  R4 has no app-5; R5's (start <= end) is covered by "end after start", stricter.

Before any of this, `decode_appointment` checks the JSON itself and the shape of every element
(`sas_core.fhir.json_shape`): types, empties, nulls, control characters, nesting, duplicate keys,
the narrative. The profile rules read only documents of the right shape.

Every problem found is reported, each with the element's FHIRPath and the rule, so a vendor fixes
a message in one round trip (structure first: a body of the wrong shape is answered with its
shape problems). A body that is not JSON, not an object, not an Appointment, nested too deep or
with a duplicated key is a 400; an element of the wrong shape, a profile or business rule is a 422
(digest §2).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Literal

import orjson

from sas_core.appointments.models import (
    IDENTIFIER_MAX_LENGTH,
    OPERATOR_VALUE_MAX_LENGTH,
    PARTY_ID_MAX_LENGTH,
    AppointmentStatus,
)
from sas_core.fhir.codes import FR_V2_0203, TRE_R38_SPECIALITE_ORDINALE
from sas_core.fhir.instants import parse_instant
from sas_core.fhir.json_shape import check_appointment, duplicated_key
from sas_core.fhir.outcomes import FhirRefusal, Issue, IssueCode, quoted
from sas_core.identifiers import (
    IDNPS_SYSTEM,
    IDNST_SYSTEM,
    SAS_TECHNICAL_SYSTEM,
    IdentifierError,
    parse_idnps,
    parse_idnst,
)

PROFILE_APPOINTMENT: Final = "http://sas.fr/fhir/StructureDefinition/FrAppointmentSAS"
PROFILE_SOS_APPOINTMENT: Final = (
    "https://interop.esante.gouv.fr/ig/fhir/sas/StructureDefinition/sas-sos-appointment"
)
#: The wrong canonical of the IG's narrative example (digest §16.2), read as FrAppointmentSAS.
MISPRINTED_APPOINTMENT_PROFILE: Final = (
    "http://interopsante.org/fhir/StructureDefinition/FrAppointmentSAS"
)
OPERATOR_EXTENSION: Final = "http://interopsante.org/fhir/StructureDefinition/FrAppointmentOperator"

#: Every code of http://hl7.org/fhir/ValueSet/appointmentstatus (required binding).
FHIR_APPOINTMENT_STATUSES: Final = frozenset(
    {
        "proposed",
        "pending",
        "booked",
        "arrived",
        "fulfilled",
        "cancelled",
        "noshow",
        "entered-in-error",
        "checked-in",
        "waitlist",
    }
)
PARTICIPANT_STATUSES: Final = ("accepted", "needs-action")
OPERATOR_TYPE_CODES: Final = ("IDNPS", "INTRN")
OPERATOR_SYSTEMS: Final = (IDNPS_SYSTEM, SAS_TECHNICAL_SYSTEM)

Profile = Literal["ps", "sos"]

_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:\S+")
_PREFIXED_IDNPS = re.compile(r"8[0-9]{11}|0[0-9A-Za-z]{9}")


@dataclass(frozen=True, slots=True)
class ReportedAppointment:
    """An Appointment that passed the profile rules, with what the platform keys and links on."""

    profile: Profile
    identifier_system: str
    identifier_value: str
    status: AppointmentStatus
    start: datetime
    end: datetime
    created: datetime | None
    operator_type: str
    operator_system: str
    operator_value: str
    participant_status: Literal["accepted", "needs-action"]
    practitioner: str | None
    structure: str | None
    resource: dict[str, Any]

    @property
    def identifier(self) -> str:
        """The vendor's key, `system|value` (the token the conditional PUT names)."""
        return f"{self.identifier_system}|{self.identifier_value}"

    @property
    def operator(self) -> str:
        return f"{self.operator_system}|{self.operator_value}"

    @property
    def content_hash(self) -> str:
        """A digest of what the vendor said, ignoring what a server may rewrite (`id`,
        `meta.versionId`/`lastUpdated`, narrative): equal hashes mean an identical resubmission."""
        return content_hash(self.resource)


def content_hash(resource: dict[str, Any]) -> str:
    significant = {k: v for k, v in resource.items() if k not in ("id", "text")}
    meta = significant.get("meta")
    if isinstance(meta, dict):
        meta = {k: v for k, v in meta.items() if k not in ("versionId", "lastUpdated")}
        significant["meta"] = meta
        if not meta:
            del significant["meta"]
    return hashlib.sha256(orjson.dumps(significant, option=orjson.OPT_SORT_KEYS)).hexdigest()


def decode_appointment(body: bytes) -> dict[str, Any]:
    """The JSON object of an Appointment body, every element of the right JSON shape.

    400 when it is not JSON, not an object, not an Appointment (digest §15.4 "body not an
    Appointment"), nested too deep or with a key written twice in one object; 422 listing every
    element of the wrong shape (`sas_core.fhir.json_shape`).
    """
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise FhirRefusal(400, Issue(f"the body is not JSON: {exc}", None, "structure")) from None
    if not isinstance(document, dict):
        raise FhirRefusal(
            400, Issue("the body must be a JSON object (a FHIR resource)", None, "structure")
        )
    kind = document.get("resourceType")
    if kind != "Appointment":
        raise FhirRefusal(
            400,
            Issue(
                f"resourceType is {quoted(kind)}: this endpoint takes an Appointment "
                "(FrAppointmentSAS or sas-sos-appointment)",
                "resourceType",
                "invalid",
            ),
        )
    shape = check_appointment(document)
    if shape.too_deep is not None:
        raise FhirRefusal(400, shape.too_deep)
    duplicate = duplicated_key(body, shape.keys)
    if duplicate is not None:
        raise FhirRefusal(400, duplicate)
    if shape.issues:
        raise FhirRefusal(422, shape.issues)
    return document


def read_appointment(resource: dict[str, Any]) -> ReportedAppointment:
    """Check `resource`, as `decode_appointment` returns it, against its profile and FHIR's
    Appointment invariants, and map it; a FhirRefusal(422) lists every issue."""
    return _Reader(resource).read()


class _Reader:
    def __init__(self, resource: dict[str, Any]) -> None:
        self.resource = resource
        self.issues: list[Issue] = []

    def fail(self, path: str, rule: str, code: IssueCode) -> None:
        self.issues.append(Issue(rule, path, code))

    def fits(self, path: str, text: str, limit: int) -> bool:
        """Whether `text` fits the column that stores it; an issue when it does not."""
        if len(text) <= limit:
            return True
        self.fail(
            path, f"{len(text)} characters: the platform stores at most {limit} here", "too-long"
        )
        return False

    def read(self) -> ReportedAppointment:
        r = self.resource
        profile = self._profile()
        operator = self._operator(profile)
        identifier = self._identifier()
        status = self._status()
        start = self._instant("start", required=True)
        end = self._instant("end", required=True)
        created = self._instant("created", required=False)
        if start is not None and end is not None and end <= start:
            self.fail("Appointment.end", "end must be after start", "invalid")
        self._invariants()
        participant_status, practitioner, structure = self._participants(profile)
        self._specialties()
        if self.issues:
            raise FhirRefusal(422, self.issues)
        assert operator is not None and identifier is not None and status is not None
        assert start is not None and end is not None and participant_status is not None
        return ReportedAppointment(
            profile=profile,
            identifier_system=identifier[0],
            identifier_value=identifier[1],
            status=status,
            start=start,
            end=end,
            created=created,
            operator_type=operator[0],
            operator_system=operator[1],
            operator_value=operator[2],
            participant_status=participant_status,
            practitioner=practitioner,
            structure=structure,
            resource=r,
        )

    # -- profile ----------------------------------------------------------------------------------

    def _profile(self) -> Profile:
        meta = self.resource.get("meta")
        profiles = meta.get("profile") if isinstance(meta, dict) else None
        declared = set(profiles) if isinstance(profiles, list) else set()
        ps = bool(declared & {PROFILE_APPOINTMENT, MISPRINTED_APPOINTMENT_PROFILE})
        sos = PROFILE_SOS_APPOINTMENT in declared
        if ps and sos:
            self.fail(
                "Appointment.meta.profile",
                "declares both FrAppointmentSAS and sas-sos-appointment: choose one",
                "invalid",
            )
            return "ps"
        if ps or sos:
            return "sos" if sos else "ps"
        extensions = self.resource.get("extension")
        only_operator = (
            isinstance(extensions, list)
            and len(extensions) == 1
            and isinstance(extensions[0], dict)
            and extensions[0].get("url") == OPERATOR_EXTENSION
        )
        participants = self.resource.get("participant")
        no_actor = isinstance(participants, list) and not any(
            isinstance(p, dict) and "actor" in p for p in participants
        )
        return "sos" if only_operator and no_actor else "ps"

    # -- operator (FrAppointmentOperator) -------------------------------------------------------

    def _operator(self, profile: Profile) -> tuple[str, str, str] | None:
        extensions = self.resource.get("extension")
        if not isinstance(extensions, list) or not extensions:
            self.fail(
                "Appointment.extension",
                f"the FrAppointmentOperator extension ({OPERATOR_EXTENSION}) is required: "
                "it names the regulator who booked",
                "required",
            )
            return None
        found: list[tuple[int, dict[str, Any]]] = []
        for index, extension in enumerate(extensions):
            path = f"Appointment.extension[{index}]"
            if extension["url"] == OPERATOR_EXTENSION:
                found.append((index, extension))
            elif profile == "sos":
                self.fail(
                    path,
                    f"sas-sos-appointment allows only the FrAppointmentOperator extension "
                    f"(extension 1..1), not {quoted(extension['url'])}",
                    "invalid",
                )
        if not found:
            self.fail(
                "Appointment.extension",
                f"the FrAppointmentOperator extension ({OPERATOR_EXTENSION}) is required: "
                "it names the regulator who booked",
                "required",
            )
            return None
        if len(found) > 1:
            self.fail(
                f"Appointment.extension[{found[1][0]}]",
                "FrAppointmentOperator is 1..1: one regulator booked the appointment",
                "invalid",
            )
            return None
        index, extension = found[0]
        path = f"Appointment.extension[{index}]"
        if "extension" in extension:
            self.fail(f"{path}.extension", "FrAppointmentOperator has no sub-extensions", "invalid")
        others = sorted(k for k in extension if k.startswith("value") and k != "valueReference")
        if others:
            self.fail(
                f"{path}.{others[0]}",
                "the operator's value must be a valueReference (value[x] only Reference)",
                "invalid",
            )
            return None
        reference = extension.get("valueReference")
        if not isinstance(reference, dict):
            self.fail(
                f"{path}.valueReference",
                "the operator's valueReference is required (value[x] 1..1)",
                "required",
            )
            return None
        return self._operator_identifier(reference.get("identifier"), f"{path}.valueReference")

    def _operator_identifier(self, identifier: Any, at: str) -> tuple[str, str, str] | None:
        path = f"{at}.identifier"
        if not isinstance(identifier, dict):
            self.fail(
                path,
                "the operator is referenced by its identifier (the IDNPS or SAS technical id "
                "the platform sent through INT_R02)",
                "required",
            )
            return None
        before = len(self.issues)
        code = self._single_coding(
            identifier.get("type"), f"{path}.type", FR_V2_0203, OPERATOR_TYPE_CODES
        )
        system = identifier.get("system")
        if not isinstance(system, str):
            self.fail(f"{path}.system", "identifier.system is required (1..1)", "required")
        elif system not in OPERATOR_SYSTEMS:
            self.fail(
                f"{path}.system",
                f"must be {IDNPS_SYSTEM} (national id) or {SAS_TECHNICAL_SYSTEM} "
                f"(SAS technical id), not {quoted(system)}",
                "value",
            )
        value = identifier.get("value")
        if not isinstance(value, str):
            self.fail(f"{path}.value", "identifier.value is required (1..1)", "required")
        else:
            self.fits(f"{path}.value", value, OPERATOR_VALUE_MAX_LENGTH)
        if len(self.issues) > before or code is None:
            return None
        assert isinstance(system, str) and isinstance(value, str)
        return code, system, value

    def _single_coding(
        self, concept: Any, path: str, system: str, codes: tuple[str, ...]
    ) -> str | None:
        codings = concept.get("coding") if isinstance(concept, dict) else None
        allowed = " or ".join(codes)
        if not isinstance(codings, list) or len(codings) != 1:
            self.fail(
                f"{path}.coding",
                f"exactly one coding is required: {system}#{allowed}",
                "required",
            )
            return None
        coding = codings[0]
        if not isinstance(coding, dict) or coding.get("system") != system:
            got = coding.get("system") if isinstance(coding, dict) else None
            self.fail(f"{path}.coding[0].system", f"must be {system}, not {quoted(got)}", "value")
            return None
        code = coding.get("code")
        if code not in codes:
            self.fail(f"{path}.coding[0].code", f"must be {allowed}, not {quoted(code)}", "value")
            return None
        assert isinstance(code, str)
        return code

    # -- identifier, status, instants -----------------------------------------------------------

    def _identifier(self) -> tuple[str, str] | None:
        identifiers = self.resource.get("identifier")
        if not isinstance(identifiers, list) or len(identifiers) != 1:
            count = len(identifiers) if isinstance(identifiers, list) else 0
            self.fail(
                "Appointment.identifier",
                f"exactly one identifier is required (1..1), got {count}: the vendor's "
                "technical id of the appointment, its key for updates",
                "required",
            )
            return None
        identifier = identifiers[0]
        system, value = identifier.get("system"), identifier.get("value")
        ok = True
        if not isinstance(system, str):
            self.fail(
                "Appointment.identifier[0].system",
                "identifier.system is required: the vendor's OID (urn:oid:…) or URL",
                "required",
            )
            ok = False
        elif not _URI.fullmatch(system) or "|" in system:
            self.fail(
                "Appointment.identifier[0].system",
                f"must be an absolute URI (urn:oid:… or https://…), not {quoted(system)}",
                "value",
            )
            ok = False
        if not isinstance(value, str) or not value.strip():
            self.fail("Appointment.identifier[0].value", "identifier.value is required", "required")
            ok = False
        if not ok:
            return None
        assert isinstance(system, str) and isinstance(value, str)
        fit = [
            self.fits(f"Appointment.identifier[0].{element}", text, IDENTIFIER_MAX_LENGTH)
            for element, text in (("system", system), ("value", value))
        ]
        return (system, value) if all(fit) else None

    def _status(self) -> AppointmentStatus | None:
        status = self.resource.get("status")
        if status is None:
            self.fail("Appointment.status", "status is required (1..1)", "required")
            return None
        if status not in FHIR_APPOINTMENT_STATUSES:
            self.fail(
                "Appointment.status",
                f"{quoted(status)} is not in http://hl7.org/fhir/ValueSet/appointmentstatus "
                "(required binding)",
                "value",
            )
            return None
        try:
            return AppointmentStatus(status)
        except ValueError:
            used = ", ".join(s.value for s in AppointmentStatus)
            self.fail(
                "Appointment.status",
                f"the SAS reports appointments as {used}, not {quoted(status)}",
                "value",
            )
            return None

    def _instant(self, element: str, *, required: bool) -> datetime | None:
        value = self.resource.get(element)
        path = f"Appointment.{element}"
        if value is None:
            if required:
                self.fail(path, f"{element} is required (1..1)", "required")
            return None
        try:
            return parse_instant(value)
        except ValueError:
            self.fail(
                path,
                f"{quoted(value)} is not a FHIR instant (YYYY-MM-DDThh:mm:ss[.sss]+hh:mm, "
                "offset within ±14:00, years 0001-9999)",
                "value",
            )
            return None

    # -- participants -----------------------------------------------------------------------------

    def _participants(
        self, profile: Profile
    ) -> tuple[Literal["accepted", "needs-action"] | None, str | None, str | None]:
        participants = self.resource.get("participant")
        if not isinstance(participants, list) or not participants:
            self.fail(
                "Appointment.participant",
                "at least one participant is required (1..*)",
                "required",
            )
            return None, None, None
        statuses: list[Literal["accepted", "needs-action"]] = []
        practitioner: str | None = None
        structure: str | None = None
        for index, participant in enumerate(participants):
            path = f"Appointment.participant[{index}]"
            if "type" not in participant and "actor" not in participant:
                self.fail(
                    path,
                    "app-1: a participant has a type or an actor (FHIR R4 Appointment)",
                    "invariant",
                )
            status = participant.get("status")
            if status is None:
                self.fail(f"{path}.status", "participant.status is required (1..1)", "required")
            elif status == "accepted" or status == "needs-action":
                statuses.append(status)
            else:
                self.fail(
                    f"{path}.status",
                    f"must be accepted or needs-action (sas-valueset-participant-status), "
                    f"not {quoted(status)}",
                    "value",
                )
            identifier = participant.get("actor", {}).get("identifier")
            if identifier is None:
                continue
            found = self._actor(identifier, f"{path}.actor.identifier", profile)
            if found is not None:
                kind, value = found
                if kind == "practitioner" and practitioner is None:
                    practitioner = value
                elif kind == "structure" and structure is None:
                    structure = value
        # One participant awaiting the PS makes the appointment await it.
        overall: Literal["accepted", "needs-action"] | None = None
        if statuses:
            overall = "needs-action" if "needs-action" in statuses else "accepted"
        return overall, practitioner, structure

    def _actor(
        self, identifier: dict[str, Any], path: str, profile: Profile
    ) -> tuple[Literal["practitioner", "structure"], str] | None:
        system, value = identifier.get("system"), identifier.get("value")
        if profile == "sos":
            # §9.5: no constraint on the actor; link what can be recognised, ignore the rest.
            if (
                system == IDNPS_SYSTEM
                and isinstance(value, str)
                and _PREFIXED_IDNPS.fullmatch(value)
            ):
                return "practitioner", value
            if system == IDNST_SYSTEM and isinstance(value, str):
                try:
                    structure = parse_idnst(value).value
                except IdentifierError:
                    return None
                # An ADELI-rang has no length in the parser; one too long to store is no IDNST.
                return ("structure", structure) if len(structure) <= PARTY_ID_MAX_LENGTH else None
            return None
        before = len(self.issues)
        self._single_coding(identifier.get("type"), f"{path}.type", FR_V2_0203, ("IDNPS",))
        if system != IDNPS_SYSTEM:
            self.fail(
                f"{path}.system",
                f"the practitioner is identified in {IDNPS_SYSTEM} (IDNPS), not {quoted(system)}",
                "value" if system is not None else "required",
            )
        if not isinstance(value, str):
            self.fail(f"{path}.value", "the practitioner's IDNPS is required", "required")
        elif not _PREFIXED_IDNPS.fullmatch(value):
            self.fail(
                f"{path}.value",
                f"{quoted(value)} is not a prefixed IDNPS (8 + 11-digit RPPS or 0 + 9-character "
                "ADELI)",
                "value",
            )
        if len(self.issues) > before:
            return None
        assert isinstance(value, str)
        return "practitioner", parse_idnps(value).value

    def _specialties(self) -> None:
        for i, concept in enumerate(self.resource.get("specialty", [])):
            for j, coding in enumerate(concept.get("coding", [])):
                system = coding.get("system")
                if system != TRE_R38_SPECIALITE_ORDINALE:
                    self.fail(
                        f"Appointment.specialty[{i}].coding[{j}].system",
                        "specialty is bound (required) to fr-practitioner-specialty: "
                        f"codes of {TRE_R38_SPECIALITE_ORDINALE}, not {quoted(system)}",
                        "value",
                    )

    def _invariants(self) -> None:
        """FHIR R4 Appointment app-2, app-3 and app-4 (app-1 is checked per participant)."""
        r = self.resource
        status = r.get("status")
        if ("start" in r) != ("end" in r):
            missing = "end" if "start" in r else "start"
            self.fail(
                f"Appointment.{missing}",
                "app-2: start and end are both given or both absent (FHIR R4 Appointment)",
                "invariant",
            )
        elif "start" not in r and status not in ("proposed", "cancelled", "waitlist"):
            self.fail(
                "Appointment.start",
                "app-3: only proposed, cancelled or waitlist appointments may lack start and end "
                "(FHIR R4 Appointment)",
                "invariant",
            )
        if "cancelationReason" in r and status not in ("cancelled", "noshow"):
            self.fail(
                "Appointment.cancelationReason",
                f"app-4: a cancelationReason only on a cancelled or noshow appointment, not on "
                f"a {quoted(status)} one (FHIR R4 Appointment)",
                "invariant",
            )
