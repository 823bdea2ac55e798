"""The JSON shape of a reported Appointment, checked in one walk before any rule reads it.

FHIR R4 JSON (json.html, datatypes.html): each element has one JSON type — an object for a
complex type, a string, number or boolean for a primitive, an array when it repeats; no `null`
(but in the `_element` arrays of repeating primitives), no empty string, array or object; keys
are unique. The platform checks this for the whole resource before it reads, stores or serves
any of it: a value of the wrong type would otherwise reach the database and break every later
read of it (`"meta": 1.5`). What it checks:

- every element FHIR R4 Appointment defines, with the datatypes the platform reads (Meta,
  Narrative, Identifier, CodeableConcept, Coding, Reference, Period, Extension): its JSON type,
  the format of its primitive (FHIR's regexes for id, code, uri, date, dateTime, instant, time;
  the 32-bit range of integers), the required codes of Narrative.status, Identifier.use and
  participant.required, and Extension's url and ext-1 (a value or extensions, not both);
- an element Appointment does not define is refused: it could be neither checked nor served
  back as FHIR;
- contained resources, and an extension's value of a datatype the platform does not read
  (Address, Quantity, …), generically: no null, no empties, clean strings;
- the narrative's XHTML (`sas_core.fhir.xhtml`: txt-1, txt-2);
- strings and keys: no control character but tab, CR and LF (XML 1.0, into which every FHIR
  resource must convert, cannot hold them; PostgreSQL cannot store NUL);
- nesting: at most MAX_DEPTH levels of objects and arrays (the IG's examples reach 8; the limit
  bounds the work and the recursion of every later step).

Duplicate keys, which a JSON decoder silently collapses to the last one, are found by comparing
the keys decoded with the keys written in the body (`duplicated_key`), the precise (slower)
check running only when the counts differ.

The checks for start, end and created, and for the values the SAS profiles constrain, are the
profile reader's (`sas_core.fhir.appointments`): here they are only strings.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Final

from sas_core.fhir.outcomes import Issue, IssueCode, json_type, quoted
from sas_core.fhir.xhtml import narrative_issue

#: The deepest nesting of JSON objects and arrays accepted in an Appointment.
MAX_DEPTH: Final = 32

_INT32 = (-(2**31), 2**31 - 1)
_YEAR = r"([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)"
_TIME = r"([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?"
_ZONE = r"(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00))"
_MONTH_DAY = r"-(0[1-9]|1[0-2])(-(0[1-9]|[1-2][0-9]|3[0-1])"
#: FHIR R4 datatypes.html: the regex of each string primitive that has one.
_FORMATS: Final[dict[str, re.Pattern[str]]] = {
    "id": re.compile(r"[A-Za-z0-9\-.]{1,64}"),
    "code": re.compile(r"[^\s]+( [^\s]+)*"),
    "uri": re.compile(r"\S*"),
    "url": re.compile(r"\S*"),
    "canonical": re.compile(r"\S*"),
    "oid": re.compile(r"urn:oid:[0-2](\.(0|[1-9][0-9]*))+"),
    "uuid": re.compile(r"urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"),
    "date": re.compile(rf"{_YEAR}({_MONTH_DAY})?)?"),
    "dateTime": re.compile(rf"{_YEAR}({_MONTH_DAY}(T{_TIME}{_ZONE})?)?)?"),
    "instant": re.compile(rf"{_YEAR}{_MONTH_DAY}T{_TIME}{_ZONE})"),
    "time": re.compile(_TIME),
    "base64Binary": re.compile(r"[A-Za-z0-9+/=\s]+"),
}
_STRINGS: Final = frozenset({*_FORMATS, "string", "markdown", "xhtml"})
_INTEGERS: Final = {"integer": _INT32[0], "unsignedInt": 0, "positiveInt": 1}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_RESOURCE_TYPE = re.compile(r"[A-Z][A-Za-z]{1,63}")
# The end of a key in the body: its closing quote, blanks, the colon.
_KEY_END = re.compile(rb'"[ \t\n\r]*:')


@dataclass(frozen=True, slots=True)
class _Element:
    type: str
    many: bool = False
    required: bool = False
    codes: frozenset[str] | None = None


def _codes(*codes: str) -> frozenset[str]:
    return frozenset(codes)


_ID = {"id": _Element("string"), "extension": _Element("Extension", many=True)}
_BACKBONE = {**_ID, "modifierExtension": _Element("Extension", many=True)}
_CONCEPT = _Element("CodeableConcept")
_CONCEPTS = _Element("CodeableConcept", many=True)
_REFERENCES = _Element("Reference", many=True)

#: FHIR R4 (4.0.1) Appointment and the datatypes the platform reads, element by element.
_TYPES: Final[dict[str, dict[str, _Element]]] = {
    "Appointment": {
        **_BACKBONE,  # extension, modifierExtension; its id is a resource id, below
        "resourceType": _Element("string"),
        "id": _Element("id"),
        "meta": _Element("Meta"),
        "implicitRules": _Element("uri"),
        "language": _Element("code"),
        "text": _Element("Narrative"),
        "contained": _Element("Resource", many=True),
        "identifier": _Element("Identifier", many=True),
        "status": _Element("code"),
        "cancelationReason": _CONCEPT,
        "serviceCategory": _CONCEPTS,
        "serviceType": _CONCEPTS,
        "specialty": _CONCEPTS,
        "appointmentType": _CONCEPT,
        "reasonCode": _CONCEPTS,
        "reasonReference": _REFERENCES,
        "priority": _Element("unsignedInt"),
        "description": _Element("string"),
        "supportingInformation": _REFERENCES,
        # instant, instant, dateTime: read (and checked) by the profile rules.
        "start": _Element("string"),
        "end": _Element("string"),
        "created": _Element("string"),
        "minutesDuration": _Element("positiveInt"),
        "slot": _REFERENCES,
        "comment": _Element("string"),
        "patientInstruction": _Element("string"),
        "basedOn": _REFERENCES,
        "participant": _Element("Appointment.participant", many=True),
        "requestedPeriod": _Element("Period", many=True),
    },
    "Appointment.participant": {
        **_BACKBONE,
        "type": _CONCEPTS,
        "actor": _Element("Reference"),
        "required": _Element("code", codes=_codes("required", "optional", "information-only")),
        "status": _Element("code"),
        "period": _Element("Period"),
    },
    "Meta": {
        **_ID,
        "versionId": _Element("id"),
        "lastUpdated": _Element("instant"),
        "source": _Element("uri"),
        "profile": _Element("canonical", many=True),
        "security": _Element("Coding", many=True),
        "tag": _Element("Coding", many=True),
    },
    "Narrative": {
        **_ID,
        "status": _Element(
            "code", required=True, codes=_codes("generated", "extensions", "additional", "empty")
        ),
        "div": _Element("xhtml", required=True),
    },
    "Identifier": {
        **_ID,
        "use": _Element("code", codes=_codes("usual", "official", "temp", "secondary", "old")),
        "type": _CONCEPT,
        "system": _Element("uri"),
        "value": _Element("string"),
        "period": _Element("Period"),
        "assigner": _Element("Reference"),
    },
    "CodeableConcept": {**_ID, "coding": _Element("Coding", many=True), "text": _Element("string")},
    "Coding": {
        **_ID,
        "system": _Element("uri"),
        "version": _Element("string"),
        "code": _Element("code"),
        "display": _Element("string"),
        "userSelected": _Element("boolean"),
    },
    "Reference": {
        **_ID,
        "reference": _Element("string"),
        "type": _Element("uri"),
        "identifier": _Element("Identifier"),
        "display": _Element("string"),
    },
    "Period": {**_ID, "start": _Element("dateTime"), "end": _Element("dateTime")},
    "Extension": {**_ID, "url": _Element("uri", required=True)},
    # What `_element` carries beside a primitive: its id and extensions.
    "Element": _ID,
}
#: Extension.value[x] (FHIR R4): the suffix after `value` and its type; `*` for the datatypes
#: the platform never reads, checked generically.
_PRIMITIVE_VALUES = (
    "base64Binary boolean canonical code date dateTime decimal id instant integer markdown oid "
    "positiveInt string time unsignedInt uri url uuid"
)
_UNREAD_VALUES = (
    "Address Age Annotation Attachment ContactPoint Count Distance Duration HumanName Money "
    "Quantity Range Ratio SampledData Signature Timing ContactDetail Contributor DataRequirement "
    "Expression ParameterDefinition RelatedArtifact TriggerDefinition UsageContext Dosage"
)
_VALUE_TYPES: Final[dict[str, str]] = {
    **{name[0].upper() + name[1:]: name for name in _PRIMITIVE_VALUES.split()},
    **{name: name for name in ("CodeableConcept", "Coding", "Identifier", "Period", "Reference")},
    "Meta": "Meta",
    **{name: "*" for name in _UNREAD_VALUES.split()},
}


@dataclass(slots=True)
class Shape:
    """What the walk found: the issues (422), the nesting issue if any (400), and how many keys
    the decoded document holds (for `duplicated_key`)."""

    issues: list[Issue] = field(default_factory=list)
    too_deep: Issue | None = None
    keys: int = 0


def check_appointment(document: dict[str, Any]) -> Shape:
    """Walk a decoded Appointment once and report every element of the wrong JSON shape."""
    walk = _Walk()
    walk.complex(document, "Appointment", "Appointment", 1)
    return walk.shape


def duplicated_key(body: bytes, keys: int) -> Issue | None:
    """The first key written twice in one object of `body`, whose decoded form holds `keys` keys.

    FHIR JSON forbids duplicate keys; decoders keep the last one silently. Every key written in
    the body ends with `"` then `:`, so if there are no more such endings than decoded keys,
    nothing was collapsed; otherwise (a string may contain `":`) the body is decoded again, keeping
    every pair, to find it. Call only after the nesting was checked (the stdlib decoder recurses).
    """
    if len(_KEY_END.findall(body)) <= keys:
        return None
    found = _first_duplicate(json.loads(body, object_pairs_hook=_pairs), "Appointment")
    if found is None:
        return None
    path, key = found
    return Issue(
        f"the key {quoted(key)} appears more than once in this object: FHIR JSON forbids "
        "duplicate keys (which one a reader keeps is undefined)",
        path,
        "structure",
    )


class _Walk:
    def __init__(self) -> None:
        self.shape = Shape()

    def fail(self, path: str, rule: str, code: IssueCode = "structure") -> None:
        self.shape.issues.append(Issue(rule, path, code))

    def deeper_than_allowed(self, path: str, depth: int) -> bool:
        if depth <= MAX_DEPTH:
            return False
        if self.shape.too_deep is None:
            self.shape.too_deep = Issue(
                f"nested deeper than {MAX_DEPTH} levels of objects and arrays, the most the "
                "platform reads",
                path,
                "too-long",
            )
        return True

    def complex(self, value: dict[str, Any], kind: str, path: str, depth: int) -> None:
        if self.deeper_than_allowed(path, depth):
            return
        self.shape.keys += len(value)
        elements = _TYPES[kind]
        values: list[str] = []
        for key, item in value.items():
            child = f"{path}.{key}"
            element = elements.get(key)
            if element is None and kind == "Extension" and key.startswith("value"):
                value_type = _VALUE_TYPES.get(key[5:])
                if value_type is not None:
                    element = _Element(value_type)
                    values.append(key)
            if element is None:
                primitive = elements.get(key[1:]) if key.startswith("_") else None
                if primitive is None and kind == "Extension" and key.startswith("_value"):
                    suffix = _VALUE_TYPES.get(key[6:])
                    primitive = _Element(suffix) if suffix is not None else None
                if primitive is not None and _is_primitive(primitive.type):
                    self.primitive_element(item, primitive.many, child, depth + 1)
                else:
                    self.fail(child, f"{quoted(key)} is not an element of FHIR R4 {_name(kind)}")
                continue
            if _is_empty(item):
                self.empty(item, key, child)
                continue
            self.element(item, element, child, depth + 1)
        for key, element in elements.items():
            if element.required and key not in value:
                self.fail(f"{path}.{key}", f"{_name(kind)}.{key} is required (1..1)", "required")
        if kind == "Extension":
            self.extension(value, values, path)

    def extension(self, value: dict[str, Any], values: list[str], path: str) -> None:
        if len(values) > 1:
            self.fail(f"{path}.{values[1]}", "an extension has one value[x]")
        elif bool(values) == ("extension" in value):
            self.fail(
                path,
                "ext-1: an extension has either a value[x] or extensions, not both and not neither",
                "invariant",
            )

    def element(self, item: Any, element: _Element, path: str, depth: int) -> None:
        if not element.many:
            self.single(item, element, path, depth)
        elif not isinstance(item, list):
            self.fail(path, f"repeats: a JSON array of {_article(element)}, not {_a(item)}")
        elif not self.deeper_than_allowed(path, depth):
            for index, entry in enumerate(item):
                child = f"{path}[{index}]"
                if _is_empty(entry):
                    self.fail(child, "an empty entry in a list: omit it", "invalid")
                else:
                    self.single(entry, element, child, depth + 1)

    def single(self, item: Any, element: _Element, path: str, depth: int) -> None:
        kind = element.type
        if _is_primitive(kind):
            self.primitive(item, element, path)
        elif not isinstance(item, dict):
            self.fail(path, f"{_article(element)} is a JSON object, not {_a(item)}")
        elif kind == "*":
            self.anything(item, path, depth)
        elif kind == "Resource":
            self.contained(item, path, depth)
        else:
            self.complex(item, kind, path, depth)

    def primitive(self, item: Any, element: _Element, path: str) -> None:
        kind = element.type
        if kind in _STRINGS:
            if not isinstance(item, str):
                self.fail(path, f"{_article(element)} is a JSON string, not {_a(item)}")
                return
            if not self.clean_string(item, path):
                return
            pattern = _FORMATS.get(kind)
            if pattern is not None and not pattern.fullmatch(item):
                self.fail(path, f"{quoted(item)} is not a FHIR {kind}", "value")
            elif element.codes is not None and item not in element.codes:
                allowed = ", ".join(sorted(element.codes))
                self.fail(path, f"{quoted(item)} is not one of {allowed}", "value")
            elif kind == "xhtml":
                issue = narrative_issue(item, path)
                if issue is not None:
                    self.shape.issues.append(issue)
        elif kind == "boolean":
            if not isinstance(item, bool):
                self.fail(path, f"a boolean is JSON true or false, not {_a(item)}")
        elif kind == "decimal":
            if isinstance(item, bool) or not isinstance(item, int | float):
                self.fail(path, f"a decimal is a JSON number, not {_a(item)}")
        elif isinstance(item, bool) or not isinstance(item, int):
            self.fail(
                path, f"{_article(element)} is a JSON number without a fraction, not {_a(item)}"
            )
        elif not _INTEGERS[kind] <= item <= _INT32[1]:
            self.fail(path, f"{item} is outside the range of a FHIR {kind}", "value")

    def primitive_element(self, item: Any, many: bool, path: str, depth: int) -> None:
        """`_element`: the id and extensions of a primitive; for a repeating one, an array with
        null where a value has none."""
        element = _Element("Element")
        if not many:
            if _is_empty(item):
                self.empty(item, path.rsplit(".", 1)[-1], path)
            else:
                self.single(item, element, path, depth)
        elif not isinstance(item, list):
            self.fail(path, f"repeats: a JSON array of objects or null, not {_a(item)}")
        elif not self.deeper_than_allowed(path, depth):
            for index, entry in enumerate(item):
                if entry is not None:
                    self.single(entry, element, f"{path}[{index}]", depth + 1)

    def contained(self, item: dict[str, Any], path: str, depth: int) -> None:
        kind = item.get("resourceType")
        if not isinstance(kind, str) or not _RESOURCE_TYPE.fullmatch(kind):
            self.fail(f"{path}.resourceType", "a contained resource names its resourceType")
        self.anything(item, path, depth)

    def anything(self, value: Any, path: str, depth: int) -> None:
        """Content the platform does not read: no null or empty value, clean strings."""
        if isinstance(value, str):
            self.clean_string(value, path)
        elif isinstance(value, dict):
            if self.deeper_than_allowed(path, depth):
                return
            self.shape.keys += len(value)
            for key, item in value.items():
                child = f"{path}.{key}"
                self.clean_key(key, path)
                if key.startswith("_") and isinstance(item, list) and item:
                    # A repeating primitive's `_element`: null stands for "no id, no extension".
                    for index, entry in enumerate(item):
                        if entry is not None:
                            self.anything(entry, f"{child}[{index}]", depth + 2)
                elif _is_empty(item):
                    self.empty(item, key, child)
                else:
                    self.anything(item, child, depth + 1)
        elif isinstance(value, list):
            if self.deeper_than_allowed(path, depth):
                return
            for index, entry in enumerate(value):
                child = f"{path}[{index}]"
                if _is_empty(entry):
                    self.fail(child, "an empty entry in a list: omit it", "invalid")
                else:
                    self.anything(entry, child, depth + 1)

    def empty(self, item: Any, key: str, path: str) -> None:
        if item is None:
            self.fail(path, f"{key} is null: FHIR JSON has no null, omit the element", "invalid")
        else:
            self.fail(path, f"{key} is empty: omit an element without a value", "invalid")

    def clean_string(self, text: str, path: str) -> bool:
        control = _CONTROL.search(text)
        if control is None:
            return True
        self.fail(
            path,
            f"contains the control character U+{ord(control.group()):04X}: FHIR strings may "
            "hold tab, CR and LF only (XML cannot carry the others)",
            "value",
        )
        return False

    def clean_key(self, key: str, path: str) -> None:
        if _CONTROL.search(key):
            self.fail(path, f"the key {quoted(key)} contains a control character")


def _is_primitive(kind: str) -> bool:
    return kind in _STRINGS or kind in _INTEGERS or kind in ("boolean", "decimal")


def _is_empty(item: Any) -> bool:
    if item is None:
        return True
    if isinstance(item, str):
        return not item or item.isspace()
    return isinstance(item, list | dict) and not item


def _name(kind: str) -> str:
    return kind.rsplit(".", 1)[-1]


def _article(element: _Element) -> str:
    name = _name(element.type)
    return f"an {name}" if name[0] in "AEIOUaeiou" else f"a {name}"


def _a(value: Any) -> str:
    kind = json_type(value)
    return f"an {kind}" if kind[0] in "ao" else f"a {kind}"


class _Duplicated(dict[str, Any]):
    """A decoded object in which `key` was written more than once."""

    key: str


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    decoded = dict(pairs)
    if len(decoded) == len(pairs):
        return decoded
    duplicated = _Duplicated(decoded)
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            duplicated.key = key
            break
        seen.add(key)
    return duplicated


def _first_duplicate(value: Any, path: str) -> tuple[str, str] | None:
    """Where the first `_Duplicated` object lies, in document order, and its key."""
    if isinstance(value, _Duplicated):
        return path, value.key
    children: list[tuple[str, Any]] = []
    if isinstance(value, dict):
        children = [(f"{path}.{key}", item) for key, item in value.items()]
    elif isinstance(value, list):
        children = [(f"{path}[{index}]", item) for index, item in enumerate(value)]
    for child, item in children:
        found = _first_duplicate(item, child)
        if found is not None:
            return found
    return None
