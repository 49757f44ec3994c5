import io, time, cProfile, pstats
import pytest
from django.core.management import call_command
from django.urls import reverse
from tests.test_reports import client_for
from wells.models import Well

pytestmark = pytest.mark.usefixtures("clock")


def test_prof(db, staff):
    call_command("generate_wells", count=1000, seed=16, stdout=io.StringIO())
    campaign = Well.objects.order_by("pk").last().campaign
    print(
        Well.objects.filter(campaign=campaign).values("status").annotate(n=__import__("django").db.models.Count("pk"))
    )
    from tasks.reports import work_report_figures
    import datetime

    f = work_report_figures(Well.objects.all(), campaign, datetime.date(2023, 6, 15))
    print(
        "overdue",
        f.overdue_count,
        f.total,
        "deadlines",
        Well.objects.filter(campaign=campaign).order_by("deadline").values_list("deadline", flat=True)[:3],
    )
    response = client_for(staff).get(reverse("api:campaign-archive", kwargs={"pk": campaign.pk}))
    prof = cProfile.Profile()
    t = time.perf_counter()
    # prof.enable()
    total = sum(len(c) for c in response.streaming_content)
    prof.disable()
    print("archive", time.perf_counter() - t, total)
    pstats.Stats(prof).sort_stats("cumtime").print_stats(25)
