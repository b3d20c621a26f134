"""Escalations recorded before the cases app existed become complaints (channel `committee`),
linked to their review, with history rows saying so. Later escalations are turned into
complaints by the escalation itself (cases.services.complaint_from_review)."""

from django.conf import settings
from django.db import migrations
from django.utils import timezone

REASON = "迁移：村监委此前移交的事项转为信访举报件"
KIND_CATEGORY = {
    "spending": "financial_violation",
    "asset": "asset_disposal",
    "project": "project_violation",
    "disclosure": "non_disclosure",
    "roster": "favouritism",
    "decision": "decision_procedure",
}


def _history(apps, model_name, obj, user_id, now):
    Historical = apps.get_model("cases", f"Historical{model_name}")
    Model = apps.get_model("cases", model_name)
    values = {
        f.attname: getattr(obj, f.attname)
        for f in Model._meta.concrete_fields
        if f.attname != "updated_at"
    }
    Historical.objects.create(
        **values,
        history_date=now,
        history_type="+",
        history_change_reason=REASON,
        history_user_id=user_id,
    )


def forwards(apps, schema_editor):
    Review = apps.get_model("villages", "Review")
    Complaint = apps.get_model("cases", "Complaint")
    ComplaintCategory = apps.get_model("cases", "ComplaintCategory")
    ComplaintCadre = apps.get_model("cases", "ComplaintCadre")
    NumberSequence = apps.get_model("cases", "NumberSequence")
    User = apps.get_model("auth", "User")
    pending = Review.objects.filter(status="escalated", complaint__isnull=True).order_by(
        "escalated_at", "pk"
    )
    if not pending.exists():
        return
    system, _created = User.objects.get_or_create(
        username=settings.SYSTEM_USERNAME, defaults={"first_name": "系统", "is_active": False}
    )
    now = timezone.now()
    for review in pending:
        received_at = review.escalated_at or review.updated_at or now
        year = timezone.localtime(received_at).year
        sequence, _created = NumberSequence.objects.get_or_create(prefix="XF", year=year)
        sequence.last += 1
        sequence.save()
        content = "\n\n".join(p for p in (review.escalation_note, review.description) if p)
        complaint = Complaint.objects.create(
            number=f"XF-{year}-{sequence.last:05d}",
            village_id=review.village_id,
            channel="committee",
            received_at=received_at,
            summary=review.title[:200],
            content=content or review.title,
            is_anonymous=False,
            status="received",
            source_review_id=review.pk,
        )
        _history(apps, "Complaint", complaint, system.pk, now)
        category = ComplaintCategory.objects.create(
            complaint=complaint, category=KIND_CATEGORY.get(review.kind, "other")
        )
        _history(apps, "ComplaintCategory", category, system.pk, now)
        cadre_ids = set(
            apps.get_model("villages", "ReviewCadre")
            .objects.filter(review=review)
            .values_list("cadre_id", flat=True)
        )
        if review.handler_id:
            cadre_ids.add(review.handler_id)
        for cadre_id in sorted(cadre_ids):
            link = ComplaintCadre.objects.create(complaint=complaint, cadre_id=cadre_id)
            _history(apps, "ComplaintCadre", link, system.pk, now)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0001_initial"),
        ("villages", "0003_relative_account"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
