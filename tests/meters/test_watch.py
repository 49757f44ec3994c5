"""The meter watch's rules (meters.watch): one 疑似复启 ticket per episode on
a closed well, settled by an inspection; a retained well's use outside an
approved emergency use; 以电折水."""

import datetime
from decimal import Decimal

import pytest

from meters.models import EmergencyUse, MeterReading, WellCoefficient
from meters.watch import coefficient, monthly, scan
from supervision.choices import TicketAction, TicketSource, TicketState
from supervision.models import Ticket
from wells import changes
from wells.choices import InspectionResult

pytestmark = pytest.mark.usefixtures("clock")

JUNE_13 = datetime.date(2023, 6, 13)
JUNE_14 = datetime.date(2023, 6, 14)
JUNE_15 = datetime.date(2023, 6, 15)
JUNE_16 = datetime.date(2023, 6, 16)


def meter_tickets(well):
    return list(Ticket.objects.filter(source=TicketSource.METER, well=well).order_by("pk"))


def test_readings_after_sealing_open_exactly_one_ticket_for_the_responsible_unit(sealed_well, send):
    send(sealed_well.meter_no, [(JUNE_14, 8, "3.50"), (JUNE_14, 20, "4.00")])

    opened = scan(JUNE_14)

    assert [ticket.well for ticket in opened] == [sealed_well]
    ticket = meter_tickets(sealed_well)[0]
    assert ticket.state == TicketState.ASSIGNED
    assert ticket.unit == sealed_well.responsible_unit
    assert ticket.due_on == datetime.date(2023, 6, 22)  # METER_TICKET_DAYS after the scan's day
    assert "用电 7.5" in ticket.description and sealed_well.code in ticket.description
    assert [event.action for event in ticket.events.order_by("pk")] == [TicketAction.OPEN, TicketAction.ASSIGN]


def test_repeated_and_resent_readings_do_not_add_another_ticket(sealed_well, send):
    first = send(sealed_well.meter_no, [(JUNE_14, 8, "6.00")])
    scan(JUNE_14)

    resent = send(sealed_well.meter_no, [(JUNE_14, 8, "6.00")])
    send(sealed_well.meter_no, [(JUNE_15, 8, "9.00")])
    scan(JUNE_14)
    scan(JUNE_15)

    assert (first.stored, first.duplicates) == (1, 0)
    assert (resent.stored, resent.duplicates, resent.errors) == (0, 1, [])
    assert len(meter_tickets(sealed_well)) == 1
    assert MeterReading.objects.filter(meter_no=sealed_well.meter_no).count() == 2


def test_consumption_below_the_threshold_opens_nothing(sealed_well, send, settings):
    settings.METER_ALERT_KWH = 5
    send(sealed_well.meter_no, [(JUNE_14, 8, "4.99")])

    assert scan(JUNE_14) == []


def test_a_well_still_being_closed_does_not_alert(well, send):
    send(well.meter_no, [(JUNE_14, 8, "50.00")])

    assert scan(JUNE_14) == []


def test_an_inspection_settles_the_alert_and_only_later_consumption_opens_a_new_episode(
    sealed_well, send, officer, clock
):
    send(sealed_well.meter_no, [(JUNE_14, 8, "8.00")])
    scan(JUNE_14)
    # 2023-06-15 10:00: the officer visits the well and finds it sealed.
    changes.record_inspection(
        sealed_well, actor=officer, values={"inspected_on": JUNE_15, "result": InspectionResult.INTACT}
    )
    settled = meter_tickets(sealed_well)[0]
    assert settled.state == TicketState.CLOSED
    closing = settled.events.order_by("pk").last()
    assert closing.action == TicketAction.REVIEW_PASS and closing.data["result"] == "intact"

    # Readings of the settled episode arrive late: read before the visit.
    send(sealed_well.meter_no, [(JUNE_15, 7, "8.00")])
    assert scan(JUNE_14) == [] and scan(JUNE_15) == []
    # Read after the visit: a new episode.
    clock.move_to(datetime.datetime(2023, 6, 17, 9, 0, tzinfo=datetime.UTC))
    send(sealed_well.meter_no, [(JUNE_16, 8, "12.00")])
    assert len(scan(JUNE_16)) == 1
    assert [t.state for t in meter_tickets(sealed_well)] == [TicketState.CLOSED, TicketState.ASSIGNED]


def test_an_inspection_dated_before_the_alert_does_not_settle_it(sealed_well, send, officer):
    send(sealed_well.meter_no, [(JUNE_14, 8, "8.00")])
    scan(JUNE_14)  # the ticket is opened on 2023-06-15

    changes.record_inspection(
        sealed_well, actor=officer, values={"inspected_on": JUNE_13, "result": InspectionResult.INTACT}
    )

    assert meter_tickets(sealed_well)[0].state == TicketState.ASSIGNED


def test_a_retained_well_without_an_emergency_use_record_alerts(retained_well, send):
    send(retained_well.meter_no, [(JUNE_14, 8, "20.00")])

    opened = scan(JUNE_14)

    assert [ticket.well for ticket in opened] == [retained_well]
    assert "未经批准应急启用" in opened[0].description


def test_a_retained_well_inside_an_approved_emergency_use_does_not_alert(retained_well, send, staff):
    EmergencyUse.objects.create(
        well=retained_well,
        reason="城区供水管网检修，启用应急水源",
        starts_on=JUNE_13,
        ends_on=JUNE_14,
        approved_by="市水利局 昌水函〔2023〕12号",
        recorded_by=staff,
    )
    send(retained_well.meter_no, [(JUNE_14, 8, "20.00"), (JUNE_15, 8, "20.00")])

    assert scan(JUNE_14) == []
    # The day after the period: it alerts.
    assert [ticket.well for ticket in scan(JUNE_15)] == [retained_well]


def test_the_use_default_coefficient_gives_the_expected_cubic_metres(sealed_well, send):
    # An irrigation well: the default of 3.00 m³ per kWh (migration 0001).
    send(sealed_well.meter_no, [(JUNE_13, 8, "10.00"), (JUNE_14, 8, "2.50")])

    june = monthly(sealed_well)[-1]

    assert coefficient(sealed_well)[0] == Decimal("3.00")
    assert june == {"month": "2023-06", "kwh": Decimal("12.50"), "m3": Decimal("37.5")}


def test_a_wells_own_coefficient_wins_over_its_uses_default(sealed_well, send):
    WellCoefficient.objects.create(well=sealed_well, m3_per_kwh=Decimal("1.20"))
    send(sealed_well.meter_no, [(JUNE_14, 8, "10.00")])

    assert monthly(sealed_well)[-1]["m3"] == Decimal("12.0")
    assert len(monthly(sealed_well)) == 12


def test_the_api_gives_the_months_as_numbers_with_the_coefficient(sealed_well, send, api, staff):
    WellCoefficient.objects.create(well=sealed_well, m3_per_kwh=Decimal("1.20"))
    send(sealed_well.meter_no, [(JUNE_14, 8, "10.00")])

    response = api(staff).get(f"/api/v1/wells/{sealed_well.code}/consumption/")

    assert response.status_code == 200
    body = response.json()
    assert body["m3_per_kwh"] == 1.2
    assert body["months"][-1] == {"month": "2023-06", "kwh": 10.0, "m3": 12.0}
    assert len(body["months"]) == 12
