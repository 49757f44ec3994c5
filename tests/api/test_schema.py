"""The OpenAPI schema and its documentation pages, which must work on a
network without a CDN."""

import re

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command

from tests.api.helpers import url

CONTRACT_PATHS = {
    "/api/v1/auth/token/": {"post"},
    "/api/v1/wells/": {"get", "post"},
    "/api/v1/wells/{code}/": {"get", "patch"},
    "/api/v1/wells/{code}/transitions/": {"post"},
    "/api/v1/wells/{code}/events/": {"get"},
    "/api/v1/wells/{code}/attachments/": {"get", "post"},
    "/api/v1/townships/": {"get"},
    "/api/v1/units/": {"get"},
    "/api/v1/campaigns/": {"get"},
    "/api/v1/inspections/": {"get", "post"},
    "/api/v1/stats/summary/": {"get"},
}


@pytest.fixture
def schema(client, db):
    response = client.get(url("schema"), {"format": "json"})
    assert response.status_code == 200
    return response.json()


def test_the_schema_is_openapi_3_with_every_contract_path(schema):
    assert schema["openapi"].startswith("3.")
    for path, methods in CONTRACT_PATHS.items():
        assert methods <= set(schema["paths"][path]), path


def test_the_schema_generates_without_warnings(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))


def test_every_operation_declares_its_errors(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            # Signing in, and the public's reports (DESIGN §8), need no sign-in.
            if path != "/api/v1/auth/token/" and not path.startswith("/api/v1/public/"):
                assert {"401", "403"} <= codes, (method, path)
            if "{" in path:
                assert "404" in codes, (method, path)
            if method in {"post", "patch"}:
                assert "400" in codes, (method, path)


def test_the_transition_and_the_patch_declare_the_stale_version(schema):
    assert "409" in schema["paths"]["/api/v1/wells/{code}/transitions/"]["post"]["responses"]
    assert "409" in schema["paths"]["/api/v1/wells/{code}/"]["patch"]["responses"]


def test_the_well_list_declares_every_filter(schema):
    names = {parameter["name"] for parameter in schema["paths"]["/api/v1/wells/"]["get"]["parameters"]}

    assert names == {
        "campaign",
        "township",
        # An addition to DESIGN §5's filters (DESIGN §9): an administrative division's code.
        "division",
        "unit",
        "status",
        "category",
        "use",
        "overdue",
        "archived",
        "deadline_before",
        "deadline_after",
        "q",
        "ordering",
        "cursor",
        "page_size",
    }


def test_the_documentation_page_loads_nothing_from_another_site(client, db):
    response = client.get(url("docs"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "cdn" not in html.lower()
    # Its script comes from its own address (the Content-Security-Policy
    # runs no inline script).
    script = client.get(url("docs"), {"script": ""}).content.decode()
    assert '"validatorUrl": null' in script
    assert "cdn" not in script.lower()
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    # Every script and stylesheet it names is one of this site's static files.
    assets = re.findall(r"""(?:src|href)=["']/static/([^"']+)["']""", html)
    assert assets
    for asset in assets:
        assert finders.find(asset), asset


@pytest.mark.parametrize("method", ["get", "patch", "post"])
def test_an_address_under_the_api_that_names_nothing_is_a_json_404(api, staff, method):
    response = getattr(api(staff), method)("/api/v1/units/not-a-number.5/")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_the_api_still_redirects_a_path_without_its_slash(api, staff):
    response = api(staff).get("/api/v1/wells")

    assert response.status_code == 301
    assert response["Location"] == "/api/v1/wells/"
