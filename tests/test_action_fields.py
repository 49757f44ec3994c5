"""Each action's fields (DESIGN §3 "Action fields", the names the API takes)
are declared once, in ``wells.choices.ACTION_FIELDS``, and the page and admin
forms and the API's transition serializer are built from it. The contract is
written out here literally, so that a field added, renamed or dropped in one
place and not the others fails."""

import datetime

import pytest
from django.utils import translation
from rest_framework import serializers

from tasks.api.serializers import TaskCompletionSerializer
from wells.api.serializers import TransitionSerializer
from wells.choices import ACTION_FIELDS, Action
from wells.forms import ActionForm
from wells.views import EVENT_DATA_LABELS

# DESIGN §3, and the new deadline a reactivated well is given.
DESIGN_FIELDS = {
    "notify": {"notice_no", "served_on", "comply_by"},
    "revoke_license": {"revocation_no", "revoked_on"},
    "disconnect": {"disconnected_on"},
    "seal": {"sealed_on", "method", "attachments"},
    "accept": {"accepted_on", "inspectors"},
    "retain": {"reason", "review_on"},
    "release": {"reason"},
    "reactivate": {"reason", "inspection", "deadline"},
    "escalate": {"reason"},
    "revert": {"reason"},
}
EVERY_ACTION_FIELD = {
    "notice_no",
    "served_on",
    "comply_by",
    "revocation_no",
    "revoked_on",
    "disconnected_on",
    "sealed_on",
    "method",
    "attachments",
    "accepted_on",
    "inspectors",
    "reason",
    "review_on",
    "inspection",
    "deadline",
}
# "the inspection, where one found it"; and a notice's number, which the
# notify door gives from the campaign's sequence when none is written.
OPTIONAL = {("reactivate", "inspection"), ("notify", "notice_no")}
# Dates of something done (refused in the future) and dates set for later.
DONE_DATES = {"served_on", "revoked_on", "disconnected_on", "sealed_on", "accepted_on"}
PLAN_DATES = {"comply_by", "review_on", "deadline"}
TEXTS = {"notice_no", "revocation_no", "method", "inspectors", "reason"}


def declared(action):
    return {field.name: field for field in ACTION_FIELDS[Action(action)]}


def test_every_action_declares_its_fields():
    assert set(ACTION_FIELDS) == set(Action)
    assert {action.value: set(declared(action)) for action in ACTION_FIELDS} == DESIGN_FIELDS


def test_only_a_reactivations_inspection_and_a_notices_number_are_optional():
    optional = {
        (action.value, field.name) for action, fields in ACTION_FIELDS.items() for field in fields if not field.required
    }

    assert optional == OPTIONAL


def test_a_field_several_actions_take_is_declared_alike():
    # The API takes such a field once (reason): one kind, one label, one help.
    seen = {}
    with translation.override("en"):
        for fields in ACTION_FIELDS.values():
            for field in fields:
                alike = (field.kind, str(field.label), str(field.help_text))
                assert seen.setdefault(field.name, alike) == alike, field.name
    assert set(seen) == EVERY_ACTION_FIELD


def test_the_dates_of_things_done_are_told_from_the_dates_set_for_later():
    kinds = {field.name: field.kind.value for fields in ACTION_FIELDS.values() for field in fields}

    assert {name for name, kind in kinds.items() if kind == "date"} == DONE_DATES
    assert {name for name, kind in kinds.items() if kind == "plan_date"} == PLAN_DATES
    assert {name for name, kind in kinds.items() if kind in {"text", "reason"}} == TEXTS
    assert kinds["attachments"] == "attachments"
    assert kinds["inspection"] == "inspection"


@pytest.mark.parametrize("action", sorted(DESIGN_FIELDS))
def test_the_action_form_has_the_actions_fields_a_note_and_the_version(well, action):
    form = ActionForm(action=action, well=well)

    # The seal's photo upload is the form's own: it stores the photos and
    # adds their ids to attachments.
    uploads = {"photos"} if action == "seal" else set()
    assert set(form.fields) == DESIGN_FIELDS[action] | uploads | {"note", "version"}


@pytest.mark.parametrize("action", sorted(DESIGN_FIELDS))
def test_the_action_form_requires_what_the_action_needs(well, action):
    form = ActionForm(action=action, well=well)

    # Attachments may come as photos uploaded with the form instead.
    expected = DESIGN_FIELDS[action] - {"attachments", "inspection", "notice_no"} | {"version"}
    assert {name for name, field in form.fields.items() if field.required} == expected


def test_the_bulk_notice_form_has_the_notices_fields_and_no_version(db):
    form = ActionForm(action="notify")

    assert set(form.fields) == {"notice_no", "served_on", "comply_by", "note"}


def test_the_reactivation_form_asks_for_the_new_deadline_and_passes_it_on(well):
    form = ActionForm(
        {"version": well.version, "reason": "Found pumping", "deadline": "2023-09-30"},
        action="reactivate",
        well=well,
    )

    with translation.override("en"):
        assert str(form.fields["deadline"].label) == "New deadline"
    assert form.is_valid(), form.errors
    assert form.workflow_data() == {
        "reason": "Found pumping",
        "deadline": datetime.date(2023, 9, 30),
        "inspection": None,
        "note": "",
    }


def test_the_transition_serializer_takes_every_action_field_once_and_leaves_them_to_the_guard():
    fields = TransitionSerializer().fields

    assert set(fields) == EVERY_ACTION_FIELD | {"action", "version", "note"}
    assert set().union(*DESIGN_FIELDS.values()) == EVERY_ACTION_FIELD
    assert not [name for name in EVERY_ACTION_FIELD if fields[name].required]


def test_the_transition_serializer_reads_each_kind_of_field_as_before():
    fields = TransitionSerializer().fields

    for name in DONE_DATES | PLAN_DATES:
        assert type(fields[name]) is serializers.DateField, name
    for name in TEXTS:
        assert type(fields[name]) is serializers.CharField, name
        assert (fields[name].max_length, fields[name].allow_blank) == (500, True), name
    assert fields["note"].max_length == 2000
    attachments = fields["attachments"]
    assert type(attachments) is serializers.ListField
    assert attachments.max_length == 100
    assert (type(attachments.child), attachments.child.min_value, attachments.child.max_value) == (
        serializers.IntegerField,
        1,
        2**63 - 1,
    )
    with translation.override("en"):
        assert str(attachments.help_text) == (
            "Ids of attachments already uploaded to the well; seal needs at least one photo."
        )
    inspection = fields["inspection"]
    assert (type(inspection), inspection.min_value, inspection.max_value) == (serializers.IntegerField, 1, 2**63 - 1)


def test_the_transition_serializer_gives_the_workflow_only_what_was_sent():
    serializer = TransitionSerializer(
        data={"action": "reactivate", "version": 3, "reason": "Found pumping", "deadline": "2023-09-30"}
    )

    assert serializer.is_valid(), serializer.errors
    assert serializer.action_data() == {"reason": "Found pumping", "deadline": datetime.date(2023, 9, 30)}


def test_completing_a_task_takes_the_same_fields_and_the_supply_date_but_no_action():
    fields = TaskCompletionSerializer().fields

    assert set(fields) == EVERY_ACTION_FIELD | {"version", "note", "supply_connected_on"}


def test_the_history_labels_the_new_deadline_but_not_the_ids():
    with translation.override("en"):
        assert str(EVENT_DATA_LABELS["deadline"]) == "New deadline"
        assert str(EVENT_DATA_LABELS["reason"]) == "Reason"
    assert "attachments" not in EVENT_DATA_LABELS
    assert "inspection" not in EVENT_DATA_LABELS
