"""The offer directory's services write no SQL: every statement is `sas_core.storage.offer`'s."""

from __future__ import annotations

import pytest

from tests.conftest import REPO
from tests.storage.test_sql_only_in_storage import _sql_imports

SERVICES = ("directory.py", "annuaire.py", "synthetic.py", "agendas.py", "nomenclature.py")


@pytest.mark.parametrize("module", SERVICES)
def test_the_offer_services_import_no_statement_builder(module: str) -> None:
    assert _sql_imports(REPO / "sas_core" / "offer" / module) == []
