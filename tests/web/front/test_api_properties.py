"""Property-based tests of the JSON API with schemathesis, generated from the app's own
`/schema/openapi.json` and sent to a real server as a logged-in admin: no answer is a 5xx."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.web.front.conftest import ADMIN_EMAIL, FrontBrowser, Platform

pytestmark = pytest.mark.slow


def test_the_api_never_answers_a_server_error(platform: Platform) -> None:
    browser = FrontBrowser(platform.base)
    browser.log_in(ADMIN_EMAIL)
    cookie = f"sas_front={browser.http.cookies['sas_front']}"
    schema = schemathesis.openapi.from_url(f"{platform.base}/schema/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 6
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
        def no_server_error(case: schemathesis.Case) -> None:
            response = case.call(headers={"Cookie": cookie})
            assert response.status_code < 500, (case.path, response.status_code, response.text)

        no_server_error()
    browser.close()
