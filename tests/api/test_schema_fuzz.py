"""Schemathesis against the served OpenAPI schema: every operation, with
valid and invalid input, signed in as every role (a bureau administrator,
bureau staff, the 中山路 township officer, a grid-company member, a leader)
over a ledger with data in it. No answer may be a server error or
contradict the schema (status code, content type, headers, body).

Bounded (``MAX_EXAMPLES`` per operation, per persona) so that it runs in
well under two minutes inside ``make test``."""

import datetime

import pytest
import schemathesis
from django.core import signals
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.helpers import png_bytes
from tests.factories import WellFactory
from tests.tokens import token_for
from wells.choices import Category, Status, Use
from wells.models import Inspection, Well
from wells.uploads import store_attachment

MAX_EXAMPLES = 20

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]

# Wells of 中山路 (the officer's) and of 宁边路, in states that let many
# transitions through; the generated requests use these codes as well as
# random ones.
ZHONGSHAN_WELLS = {
    "ZS-1": Status.INVENTORIED,
    "ZS-2": Status.NOTIFIED,
    "ZS-3": Status.DISCONNECTED,
    "ZS-4": Status.ACCEPTED,
}
NINGBIAN_WELLS = {"NB-1": Status.INVENTORIED, "NB-2": Status.SEALED}


@pytest.fixture
def ledger(zhongshan, ningbian, campaign, staff):
    """The wells, an attachment and an inspection per well, so that lists
    and details have something to show."""
    wells = []
    for towns, township in ((ZHONGSHAN_WELLS, zhongshan), (NINGBIAN_WELLS, ningbian)):
        for code, status in towns.items():
            well = WellFactory(
                code=code,
                township=township,
                campaign=campaign,
                status=status,
                uses=[Use.DOMESTIC, Use.IRRIGATION],
                supply_connected_on=datetime.date(2023, 5, 1),
                deadline=datetime.date(2023, 6, 1) if code.endswith("1") else None,
            )
            wells.append(well)
            photo = SimpleUploadedFile("照片.png", png_bytes(), content_type="image/png")
            store_attachment(well=well, kind="photo", upload=photo, uploaded_by=staff)
            Inspection.objects.create(
                well=well,
                inspected_on=datetime.date(2023, 6, 1),
                inspector=staff,
                inspector_name="巡查员",
                result="intact",
            )
    WellFactory(code="RT-1", township=zhongshan, campaign=campaign, status=Status.RETAINED, category=Category.RETAINED)
    return wells


# The schema as the site serves it, loaded once at collection (making it
# touches no database). Schemathesis' own pytest integration
# (``schemathesis.pytest.from_fixture``) does not run on pytest 9.2, which
# renamed the node attribute it rewrites, so the operations are
# parametrized here and each one runs its Hypothesis strategies in the test.
SCHEMA = schemathesis.openapi.from_wsgi("/api/v1/schema/", get_wsgi_application())
OPERATIONS = {result.ok().label: result.ok() for result in SCHEMA.get_all_operations()}

# The keys of the running test's ledger, one dict per well (ids differ from
# test to test); set by the test before it generates anything.
LEDGER = []

# Where a request names an object of the ledger, by the key of LEDGER's dicts.
PATH_REFERENCES = {
    "/api/v1/campaigns/{id}/": {"id": "campaign"},
    "/api/v1/units/{id}/": {"id": "unit"},
    "/api/v1/inspections/{id}/": {"id": "inspection"},
    "/api/v1/townships/{code}/": {"code": "township"},
}
QUERY_REFERENCES = {"campaign": "campaign", "township": "township", "unit": "unit", "well": "code"}
BODY_REFERENCES = {"campaign": "campaign", "township": "township", "responsible_unit": "unit", "well": "code"}


def naming_real_objects(case, well):
    """A copy of ``case`` whose references name ``well`` and its neighbours
    (its township, unit, campaign, attachment, inspection and current
    version) instead of random ids that are nearly always 404 or 400."""
    case = case.derive()
    references = PATH_REFERENCES.get(case.operation.path, {"code": "code", "attachment_id": "attachment"})
    for name, key in references.items():
        if name in (case.path_parameters or {}):
            case.path_parameters[name] = well[key]
    for name, key in QUERY_REFERENCES.items():
        if name in (case.query or {}):
            case.query[name] = well[key]
    if isinstance(case.body, dict):
        for name, key in BODY_REFERENCES.items():
            if name in case.body:
                case.body[name] = well[key]
        if "attachments" in case.body:
            case.body["attachments"] = [well["attachment"]]
        if "version" in case.body:
            current = Well.objects.filter(code=well["code"]).values_list("version", flat=True).first()
            case.body["version"] = current or 1
    return case


@SCHEMA.hook
def flatmap_case(context, case):
    """Half of the requests name objects that exist."""
    return st.one_of(st.just(case), st.sampled_from(LEDGER).map(lambda well: naming_real_objects(case, well)))


@pytest.fixture(autouse=True)
def connection_kept_across_requests():
    """Schemathesis calls the site's real WSGI handler, which closes the
    database connection around each request; that would end the test's
    transaction. Django's own test client holds these signals off the same
    way."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.mark.parametrize("label", sorted(OPERATIONS))
@pytest.mark.parametrize(
    "persona",
    ["admin_user", "staff", "officer", "member", "leader"],
    ids=["admin", "staff", "zhongshan", "grid", "leader"],
)
def test_the_api_answers_as_its_schema_says(request, ledger, persona, label):
    user = request.getfixturevalue(persona)
    LEDGER[:] = [
        {
            "code": well.code,
            "township": well.township.code,
            "unit": well.responsible_unit_id,
            "campaign": well.campaign_id,
            "attachment": well.attachments.get().pk,
            "inspection": well.inspections.get().pk,
        }
        for well in ledger
    ]
    headers = {"Authorization": f"Token {token_for(user)}", "Accept-Language": "en"}
    operation = OPERATIONS[label]
    cases = st.one_of(operation.as_strategy(mode) for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE))

    @given(case=cases)
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def answers_as_the_schema_says(case):
        case.call_and_validate(headers=headers, checks=CHECKS)

    answers_as_the_schema_says()
