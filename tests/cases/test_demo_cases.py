"""`seed_demo` builds the 2019 complaints and cases of the demo (issue #4 item 12) through the
cases services: every status, the sanction rules, the year's exact figure, and a second run that
adds nothing. The small district is seeded once for the module."""

from __future__ import annotations

from io import StringIO

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db.models import Count
from django.test import RequestFactory

from cases.choices import (
    COMPLAINT_DONE,
    SANCTION_RULES,
    AppealResult,
    AppealStatus,
    AssignmentRole,
    CaseStatus,
    Channel,
    ComplaintStatus,
    DeadlineState,
    EventKind,
    MessageKind,
    Rating,
    SanctionStatus,
)
from cases.demo import SANCTIONED_CADRES
from cases.models import (
    Appeal,
    Case,
    CaseAssignment,
    CaseEvent,
    Complaint,
    ComplaintMessage,
    Deadline,
    DeadlineExtension,
    Sanction,
)
from cases.services import sanction_check
from tests.history import history_models
from tests.seeding import seeded_once
from villages.models import Township


def _sign_in_request() -> object:
    """Every sign-in comes with its request (django-axes counts failures per address)."""
    return RequestFactory().post("/accounts/login/", REMOTE_ADDR="127.0.0.1")


pytestmark = pytest.mark.django_db

small_district = seeded_once(
    "--size", "small", doc="The small demo district, its ledger and its cases, seeded once."
)


def _row_counts() -> dict[str, int]:
    return {model._meta.label: model._base_manager.count() for model in apps.get_models()}


def test_every_case_status_is_present(small_district):
    # when
    statuses = set(Case.objects.values_list("status", flat=True))

    # then
    assert statuses == set(CaseStatus.values)


def test_every_complaint_status_is_present(small_district):
    # when
    statuses = set(Complaint.objects.values_list("status", flat=True))

    # then
    assert statuses == set(ComplaintStatus.values)


def test_sanctions_of_2019_cover_the_small_districts_own_figure(small_district):
    # when
    cadres = Sanction.objects.filter(decided_on__year=2019).values("cadre").distinct()

    # then the figure documented in cases/demo.py; later years' sanctions exist besides it
    assert cadres.count() == SANCTIONED_CADRES["small"] == 17
    assert Sanction.objects.exclude(decided_on__year=2019).exists()


def test_every_sanction_obeys_the_rules(small_district):
    # given
    sanctions = list(Sanction.objects.select_related("cadre", "case"))
    assert sanctions

    # then each one passes the law's checks and carries its type's family and form
    for sanction in sanctions:
        sanction_check(sanction.cadre, sanction.type, sanction.probation_years)
        rule = SANCTION_RULES[sanction.type]
        assert (sanction.family, sanction.form) == (rule.family, rule.form), sanction.type
        assert sanction.cadre.village_id == sanction.case.village_id
        assert sanction.case.subjects.filter(cadre=sanction.cadre).exists()
        assert sanction.decision_no


def test_every_form_is_present_and_form_one_leads(small_district):
    # when
    forms = dict(
        Sanction.objects.filter(decided_on__year=2019)
        .values_list("form")
        .annotate(n=Count("pk"))
        .order_by()
    )

    # then
    assert set(forms) == {1, 2, 3, 4}
    assert forms[1] == max(forms.values())


def test_form_one_measures_come_from_inquiries_and_verifications(small_district):
    # given
    form_one = Sanction.objects.filter(form=1).values_list("case", flat=True)

    # when: the status each of those cases was in when it was decided
    decided_from = set(
        CaseEvent.objects.filter(case__in=form_one, to_status=CaseStatus.DECIDED).values_list(
            "from_status", flat=True
        )
    )

    # then
    assert decided_from == {CaseStatus.TALK_INQUIRY, CaseStatus.PRELIMINARY_VERIFICATION}


def test_judicial_transfers_go_with_a_transferred_case_or_their_sanction(small_district):
    # when
    transferred = Case.objects.filter(status=CaseStatus.TRANSFERRED)
    judicial = Sanction.objects.filter(form=4)

    # then
    assert transferred.filter(sanctions__form=4).exists()
    assert transferred.filter(sanctions__isnull=True).exists()  # sent on before any sanction
    assert judicial.exclude(case__status=CaseStatus.TRANSFERRED).exists()


def test_complaints_come_through_many_channels_and_the_committees(small_district):
    # when
    channels = set(Complaint.objects.values_list("channel", flat=True))

    # then
    assert Channel.COMMITTEE in channels
    assert {Channel.LETTER, Channel.ONLINE} <= channels
    assert len(channels) >= 8
    assert Complaint.objects.filter(received_at__year=2019).count() >= 30


def test_public_reports_are_rated_with_every_rating(small_district):
    # when
    rated = Complaint.objects.exclude(rating="")

    # then
    assert set(rated.values_list("rating", flat=True)) == set(Rating.values)
    for complaint in rated:
        assert complaint.channel == Channel.ONLINE
        assert complaint.receipt_hash
        assert complaint.status in COMPLAINT_DONE


def test_concluded_complaints_carry_a_result_and_closed_ones_a_summary(small_district):
    # when
    done = Complaint.objects.filter(
        status__in=[
            ComplaintStatus.CONCLUDED,
            ComplaintStatus.FEEDBACK_GIVEN,
            ComplaintStatus.CLOSED,
        ]
    )

    # then
    assert done.count() > 20
    assert not done.filter(result_summary="").exists()
    assert not done.filter(status=ComplaintStatus.CLOSED, closing_summary="").exists()


def test_named_reporters_are_acknowledged_and_told_the_result(small_district):
    # when
    messages = ComplaintMessage.objects.filter(complaint__is_anonymous=False)
    feedback_given = Complaint.objects.filter(status=ComplaintStatus.FEEDBACK_GIVEN)

    # then
    assert messages.filter(kind=MessageKind.ACKNOWLEDGEMENT).exists()
    assert messages.filter(kind=MessageKind.FEEDBACK).exists()
    for complaint in feedback_given:
        assert complaint.messages.filter(kind=MessageKind.FEEDBACK).exists()
    # an anonymous reporter is only asked questions, through the receipt
    anonymous = ComplaintMessage.objects.filter(complaint__is_anonymous=True)
    assert set(anonymous.values_list("kind", flat=True)) <= {
        MessageKind.QUESTION,
        MessageKind.ANSWER,
    }


def test_appeals_are_filed_accepted_and_decided_every_way(small_district):
    # when
    appeals = Appeal.objects.select_related("sanction")
    decided = appeals.filter(status=AppealStatus.DECIDED)

    # then
    assert set(appeals.values_list("status", flat=True)) == set(AppealStatus.values)
    assert set(decided.values_list("result", flat=True)) == set(AppealResult.values)
    changed = decided.get(result=AppealResult.CHANGE)
    assert changed.sanction.status == SanctionStatus.CHANGED
    assert changed.sanction.type == changed.changed_to
    revoked = decided.get(result=AppealResult.REVOKE).sanction
    assert revoked.status == SanctionStatus.REVOKED
    # whoever wins an appeal is still held accountable for the year by another sanction
    assert revoked.cadre.sanctions.filter(status=SanctionStatus.IN_FORCE).exists()


def test_deadlines_are_on_time_due_soon_overdue_and_met(small_district):
    # when
    states = set(Deadline.objects.values_list("state", flat=True))

    # then
    assert states == set(DeadlineState.values)


def test_extensions_say_who_approved_them_and_why(small_district):
    # when
    extensions = DeadlineExtension.objects.select_related("deadline", "approved_by")

    # then
    assert extensions.count() >= 2
    for extension in extensions:
        assert extension.reason.strip()
        assert extension.approved_by.username.endswith(".leader")
        assert extension.new_due_on > extension.previous_due_on
        assert extension.deadline.extensions == 1


def test_paper_records_keep_their_2019_dates(small_district):
    # when
    of_2019 = Case.objects.filter(opened_at__year=2019)

    # then
    assert of_2019.count() > Case.objects.count() // 2
    for case in of_2019.filter(status=CaseStatus.CLOSED):
        assert case.ended_at > case.opened_at
        assert case.decided_on is not None
        assert case.decided_on <= case.ended_at.date()


def test_the_townships_own_accounts_handle_decide_and_review(small_district):
    # given
    filed = Case.objects.filter(events__to_status=CaseStatus.INVESTIGATING).distinct()
    assert filed.exists()

    # then the township staff handle, two investigators investigate, the district reviews
    for case in filed:
        code = case.village.township.code
        roles: dict[str, set[str]] = {role: set() for role in AssignmentRole.values}
        for role, username in CaseAssignment.objects.filter(case=case).values_list(
            "role", "user__username"
        ):
            roles[role].add(username)
        assert roles[AssignmentRole.HANDLER] == {f"township.{code}.staff"}
        assert roles[AssignmentRole.INVESTIGATOR] == {
            f"township.{code}.staff",
            f"township.{code}.staff2",
        }
        approvals = case.events.filter(to_status=CaseStatus.FILED)
        assert set(approvals.values_list("actor__username", flat=True)) == {
            f"township.{code}.leader"
        }
    trial = CaseEvent.objects.filter(
        kind=EventKind.TRANSITION, to_status=CaseStatus.AWAITING_DECISION
    )
    assert set(trial.values_list("actor__username", flat=True)) == {"district.discipline"}


def test_the_second_investigators_log_in_and_hold_their_township(small_district):
    # given
    for township in Township.objects.all():
        username = f"township.{township.code}.staff2"

        # when
        user = authenticate(_sign_in_request(), username=username, password=settings.DEMO_PASSWORD)

        # then
        assert user is not None, username
        assert set(Case.objects.restrict(user)) == set(
            Case.objects.filter(village__township=township)
        )


def test_amounts_are_exact_decimals_on_money_cases(small_district):
    # when
    with_amounts = Case.objects.filter(amount_involved__gt=0)

    # then
    assert with_amounts.exists()
    for case in with_amounts:
        assert case.amount_recovered <= case.amount_involved
        assert case.amount_involved.as_tuple().exponent == -2
        assert case.history.filter(history_change_reason__contains="金额").exists()


def test_every_history_row_names_an_actor(small_district):
    for model in history_models():
        assert not model.objects.filter(history_user__isnull=True).exists(), model.__name__


def test_seeding_again_creates_nothing(small_district):
    # given
    before = _row_counts()
    users = User.objects.count()

    # when
    call_command("seed_demo", "--size", "small", "--force", stdout=StringIO())

    # then
    assert _row_counts() == before
    assert User.objects.count() == users
