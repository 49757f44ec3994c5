"""Supervision's fixtures: an API client per persona, and tickets built in
any state through the engine itself. (Its files land in the test's own
directory: tests/conftest.py's attachments_in_tmp.)"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from supervision.choices import TicketAction, TicketSource, TicketState
from supervision.files import store_file
from supervision.workflow import open_ticket, perform
from tests.api.helpers import png_bytes
from tests.tokens import token_for


@pytest.fixture
def api():
    """``api(user)``: an API client with ``user``'s token (English answers);
    ``api()`` without one."""

    def client_for(user=None):
        client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
        if user is not None:
            client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(user)}")
        return client

    return client_for


def photo(name="整改.png"):
    return SimpleUploadedFile(name, png_bytes(), content_type="image/png")


@pytest.fixture
def ticket_in(staff, officer, zhongshan_unit):
    """``ticket_in(state)``: a public report at a new place (no well), walked
    by the engine to ``state``: assigned to 中山路 by the bureau's staff,
    rectified by the 中山路 officer, closed by the staff."""

    def build(state, **opened):
        ticket = open_ticket(
            source=opened.pop("source", TicketSource.PUBLIC),
            description=opened.pop("description", "村东有人夜间抽水"),
            lat="44.030000",
            lng="87.280000",
            **opened,
        )
        if state == TicketState.REPORTED:
            return ticket
        ticket = perform(
            ticket,
            TicketAction.ASSIGN,
            actor=staff,
            data={"unit": zhongshan_unit.pk, "due_on": "2023-06-30"},
            version=ticket.version,
        )
        if state == TicketState.ASSIGNED:
            return ticket
        evidence = store_file(photo(), uploaded_by=officer, ticket=ticket)
        ticket = perform(
            ticket,
            TicketAction.RECTIFY,
            actor=officer,
            data={"note": "已拆除水泵"},
            version=ticket.version,
            files=[evidence],
        )
        if state == TicketState.RECTIFIED:
            return ticket
        return perform(ticket, TicketAction.REVIEW_PASS, actor=staff, data={}, version=ticket.version)

    return build
