"""A member unit (the grid company) through the API: it sees the wells its
tasks touch and nothing else, may attach evidence to them, never edits a
well's facts, and takes only the actions of its role (where its task allows,
which the workflow checks)."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tasks.choices import Step
from tasks.models import Task
from tests.api.helpers import png_bytes, url
from wells.models import Attachment, Well


def test_a_member_unit_sees_the_wells_its_tasks_touch(api, member, well, other_well):
    Task.objects.create(well=well, unit=member.unit, step=Step.DISCONNECT)

    response = api(member).get(url("well-list"))

    assert [row["code"] for row in response.json()["results"]] == [well.code]
    assert api(member).get(url("well-detail", code=other_well.code)).status_code == 404


def test_a_member_unit_reads_the_campaigns_of_the_live_wells_its_tasks_touch(api, member, well, other_well):
    from tests.factories import CampaignFactory, WellFactory
    from wells.models import Campaign

    later = CampaignFactory(name="第二批关停")
    WellFactory(township=other_well.township, campaign=later)  # no task of the unit: not its campaign
    assert not Campaign.objects.visible_to(member).exists()
    Task.objects.create(well=well, unit=member.unit, step=Step.DISCONNECT)

    assert list(Campaign.objects.visible_to(member)) == [well.campaign]
    assert [row["id"] for row in api(member).get(url("campaign-list")).json()] == [well.campaign_id]
    Well.objects.filter(pk=well.pk).update(archived_at=timezone.now())
    assert not Campaign.objects.visible_to(member).exists()


def test_a_member_unit_attaches_evidence_to_a_well_of_its_task(api, member, well):
    Task.objects.create(well=well, unit=member.unit, step=Step.DISCONNECT)
    photo = SimpleUploadedFile("断电.png", png_bytes())

    response = api(member).post(
        url("well-attachments", code=well.code), {"file": photo, "kind": "photo"}, format="multipart"
    )

    assert response.status_code == 201
    assert Attachment.objects.get().uploaded_by == member


def test_a_member_unit_does_not_patch_a_well_of_its_task(api, member, well):
    Task.objects.create(well=well, unit=member.unit, step=Step.DISCONNECT)

    response = api(member).patch(url("well-detail", code=well.code), {"note": "x"})

    assert response.status_code == 403
    assert response.json() == {"detail": "Your role may not do this."}
    well.refresh_from_db()
    assert (well.note, well.version) == ("", 1)


def test_a_member_unit_takes_no_action_beyond_its_role(api, member, well):
    Task.objects.create(well=well, unit=member.unit, step=Step.DISCONNECT)
    notice = {"notice_no": "N1", "served_on": "2023-06-01", "comply_by": "2023-06-10"}

    response = api(member).post(url("well-transitions", code=well.code), {"action": "notify", "version": 1, **notice})

    assert response.status_code == 403
    assert response.json() == {"detail": "Your role may not “Serve closure notice”."}
    well.refresh_from_db()
    assert well.version == 1
