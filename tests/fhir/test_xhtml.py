"""The narrative check (FHIR R4 txt-1, txt-2, well-formed XHTML), on its own."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sas_core.fhir.xhtml import narrative_issue
from tests.conftest import ig_example_files, needs_ig

NS = 'xmlns="http://www.w3.org/1999/xhtml"'


def div(inner: str, attributes: str = "") -> str:
    return f"<div {NS}{attributes}>{inner}</div>"


def narrated(path: Path) -> bool:
    return "text" in json.loads(path.read_text(encoding="utf-8"))


@needs_ig
@pytest.mark.ig
@pytest.mark.parametrize(
    "path", [p for p in ig_example_files() if narrated(p)], ids=lambda p: p.name
)
def test_every_narrative_of_the_ig_passes(path: Path) -> None:
    text = json.loads(path.read_text(encoding="utf-8"))["text"]
    assert narrative_issue(text["div"], "x") is None


@pytest.mark.parametrize(
    "xhtml",
    [
        div("plain text"),
        div('<img src="data:image/png;base64,iVBORw0KGgo="/>'),
        div('<a name="top"> </a><a href="#top">up</a> <a href="mailto:a@b.fr">mail</a>'),
        div('<p xml:lang="fr" lang="fr" dir="ltr" title="t">é&#160;&amp;</p>'),
        div('<table><tbody><tr><td colspan="2">x</td></tr></tbody></table>'),
        div("<!-- a comment --><ul><li>x</li></ul>"),
    ],
)
def test_fhir_narratives_pass(xhtml: str) -> None:
    assert narrative_issue(xhtml, "x") is None


@pytest.mark.parametrize(
    ("xhtml", "code", "says"),
    [
        (div("<script>alert(1)</script>"), "invariant", "txt-1: <script>"),
        (div("<style>p {}</style>x"), "invariant", "txt-1: <style>"),
        (div("<form><input/></form>x"), "invariant", "txt-1: <form>"),
        (div('<p onmouseover="x()">x</p>'), "invariant", "onmouseover"),
        (div("x", ' onload="x()"'), "invariant", "onload"),
        (div('<a href="JavaScript:x()">x</a>'), "invariant", "javascript: URL"),
        (div('<a href=" java&#9;script:x()">x</a>'), "invariant", "javascript: URL"),
        (div('<a href="data:text/html,x">x</a>'), "invariant", "data: URL"),
        (div('<img src="x.png" onerror="x()"/>'), "invariant", "onerror"),
        (div("  <p> </p> "), "invariant", "txt-2"),
        ("<div>x</div>", "invariant", "no namespace"),
        (f"<p {NS}>x</p>", "invariant", "root element must be a div"),
        (div('<svg xmlns="http://www.w3.org/2000/svg"/>x'), "invariant", "namespace"),
        ('<!DOCTYPE div [<!ENTITY e "x">]>' + div("&e;"), "invariant", "DOCTYPE"),
        (div("<?xml-stylesheet href='x'?>x"), "invariant", "processing instruction"),
        (div("a&nbsp;b"), "structure", "undefined entity"),
        (div("<p>x</div>"), "structure", "not well-formed"),
        (div("x") + "<div/>", "structure", "not well-formed"),
        ("just text", "structure", "not well-formed"),
    ],
)
def test_narratives_breaking_fhirs_rules_are_named(xhtml: str, code: str, says: str) -> None:
    issue = narrative_issue(xhtml, "Appointment.text.div")
    assert issue is not None
    assert (issue.expression, issue.code) == ("Appointment.text.div", code)
    assert says in issue.diagnostics
