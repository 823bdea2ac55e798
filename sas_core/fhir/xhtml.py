"""The narrative's XHTML (`text.div`), checked against FHIR R4's rules before it is stored.

FHIR R4 narrative.html: the div is well-formed XHTML whose root is a `div` in the XHTML namespace;
invariant txt-1 allows only the basic formatting elements and attributes of HTML 4 (chapters 7-11
and 12), `a` with a name or an href, and images: no `script`, `style`, `form`, `iframe` or
`object`, no event attributes such as `onclick`; txt-2 requires some non-whitespace content (or
an image). The element and attribute lists are those of the HL7 reference validator. A link may
not run code: `javascript:`/`vbscript:` URLs, and `data:` URLs other than an image's source, are
refused, since the platform serves the narrative back to whoever reads the appointment.

The check streams through expat and builds no tree. No DTD is read: a DOCTYPE, an entity
declaration or a processing instruction is refused, and entities beyond XML's five (`&nbsp;`)
are not well-formed (FHIR asks for character references such as `&#160;`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Final
from xml.parsers import expat

from sas_core.fhir.outcomes import Issue

XHTML_NS: Final = "http://www.w3.org/1999/xhtml"
_XML_NS: Final = "http://www.w3.org/XML/1998/namespace"

_ELEMENTS_WORDS = (
    "p br div h1 h2 h3 h4 h5 h6 a span b em i strong small big tt dfn q var abbr acronym "
    "cite blockquote hr address bdo kbd sub sup ul ol li dl dt dd pre table caption "
    "colgroup col thead tr tfoot tbody th td code samp img map area"
)
#: txt-1: the elements a narrative may use.
ELEMENTS: Final = frozenset(_ELEMENTS_WORDS.split())
_ATTRIBUTES_WORDS = (
    "title style class id lang xml:lang xml:space dir accesskey tabindex span width align "
    "valign char charoff abbr axis headers scope rowspan colspan"
)
#: txt-1: attributes allowed on any of them (`xml:lang`, `xml:space` included).
ATTRIBUTES: Final = frozenset(_ATTRIBUTES_WORDS.split())
_ELEMENT_ATTRIBUTES_WORDS = (
    "a.href a.name a.charset a.type a.hreflang a.rel a.rev a.shape a.coords img.src "
    "img.border img.alt img.longdesc img.height img.width img.usemap img.ismap map.name "
    "area.shape area.coords area.href area.nohref area.alt blockquote.cite q.cite "
    "table.summary table.width table.border table.frame table.rules table.cellspacing "
    "table.cellpadding pre.space td.nowrap"
)
#: txt-1: attributes allowed on one element only, as `element.attribute`.
ELEMENT_ATTRIBUTES: Final = frozenset(_ELEMENT_ATTRIBUTES_WORDS.split())
_URL_ATTRIBUTES: Final = frozenset(
    {"a.href", "area.href", "img.src", "img.longdesc", "blockquote.cite", "q.cite"}
)
# A scheme as browsers read it: they drop tabs and line breaks inside it.
_SCHEME = re.compile(r"\s*([A-Za-z][A-Za-z0-9+.\-\t\n\r]*):")
_CODE_SCHEMES: Final = frozenset({"javascript", "vbscript"})


class _Refused(Exception):
    """Raised from an expat handler to stop at the first problem."""


class _Narrative:
    def __init__(self) -> None:
        self.root_seen = False
        self.has_content = False

    def start(self, name: str, attributes: dict[str, str]) -> None:
        namespace, _, local = name.rpartition(" ")
        if namespace != XHTML_NS:
            where = f"the namespace {namespace}" if namespace else "no namespace"
            raise _Refused(
                f"<{local}> is in {where}: the narrative is XHTML ({XHTML_NS}), "
                f'declared on its root as <div xmlns="{XHTML_NS}">'
            )
        if not self.root_seen:
            self.root_seen = True
            if local != "div":
                raise _Refused(f"the narrative's root element must be a div, not <{local}>")
        if local not in ELEMENTS:
            raise _Refused(
                f"txt-1: <{local}> is not allowed in a narrative (only basic HTML formatting: "
                "no script, style, form, iframe, object…)"
            )
        for qualified, value in attributes.items():
            attribute = _attribute_name(qualified)
            if attribute not in ATTRIBUTES and f"{local}.{attribute}" not in ELEMENT_ATTRIBUTES:
                raise _Refused(
                    f"txt-1: the attribute {attribute} is not allowed on <{local}> (no event "
                    "handlers such as onclick, only HTML 4's formatting attributes)"
                )
            if f"{local}.{attribute}" in _URL_ATTRIBUTES:
                _check_url(local, attribute, value)
        if local == "img" and "src" in attributes:
            self.has_content = True

    def text(self, data: str) -> None:
        if not self.has_content and not data.isspace():
            self.has_content = True


def narrative_issue(div: str, path: str) -> Issue | None:
    """The first way `div` breaks FHIR's narrative rules (txt-1, txt-2, well-formed XHTML), as an
    issue at `path`; None when it is a narrative the platform may store and serve back."""
    narrative = _Narrative()
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.buffer_text = True  # one call per run of text, not per line or entity
    parser.StartElementHandler = narrative.start
    parser.CharacterDataHandler = narrative.text
    parser.StartDoctypeDeclHandler = _refuse("a DOCTYPE")
    parser.EntityDeclHandler = _refuse("an entity declaration")
    parser.ProcessingInstructionHandler = _refuse("a processing instruction")
    try:
        parser.Parse(div, True)
    except _Refused as refused:
        return Issue(str(refused), path, "invariant")
    except expat.ExpatError as error:
        return Issue(
            f"the narrative is not well-formed XHTML: {expat.ErrorString(error.code)} at line "
            f"{error.lineno}, column {error.offset + 1}",
            path,
            "structure",
        )
    if not narrative.has_content:
        return Issue("txt-2: the narrative has no content (no text, no image)", path, "invariant")
    return None


def _attribute_name(qualified: str) -> str:
    namespace, _, local = qualified.rpartition(" ")
    if namespace == _XML_NS:
        return f"xml:{local}"
    if namespace:
        raise _Refused(f"txt-1: the attribute {local} in the namespace {namespace} is not allowed")
    return local


def _check_url(element: str, attribute: str, url: str) -> None:
    match = _SCHEME.match(url)
    if match is None:
        return  # relative, or a fragment such as #contained
    scheme = re.sub(r"[\t\n\r]", "", match.group(1)).lower()
    image = (
        element == "img" and attribute == "src" and url.strip().lower().startswith("data:image/")
    )
    if scheme in _CODE_SCHEMES or (scheme == "data" and not image):
        raise _Refused(
            f"txt-1: <{element} {attribute}> may not be a {scheme}: URL (a narrative runs no code)"
        )


def _refuse(what: str) -> Callable[..., None]:
    def handler(*_: object) -> None:
        raise _Refused(f"the narrative may not contain {what}")

    return handler
