"""Write helpers every app's services share: a full_clean'd save that history attributes."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models
from django.utils import translation

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

M = TypeVar("M", bound=models.Model)


def validate(instance: models.Model) -> None:
    """full_clean(), with unique constraints checked in Python but check constraints left to
    the database: they restate the field choices and validators full_clean() already applies,
    and Django checks each one with its own query. Model.clean() still runs in full."""
    # A foreign key whose object is already loaded exists (the database enforces it anyway);
    # full_clean() would otherwise run one query per foreign key on every save.
    loaded = [
        field.name
        for field in instance._meta.concrete_fields
        if field.many_to_one and field.is_cached(instance)  # type: ignore[attr-defined]
    ]
    instance.full_clean(exclude=loaded, validate_constraints=False)
    errors: dict[str, list[ValidationError]] = {}
    for model_class, constraints in instance.get_constraints():
        for constraint in constraints:
            if not isinstance(constraint, models.UniqueConstraint):
                continue
            try:
                constraint.validate(model_class, instance)  # type: ignore[attr-defined]
            except ValidationError as exc:
                errors.setdefault(NON_FIELD_ERRORS, []).append(exc)
    if errors:
        raise ValidationError(errors)


def tracked_save(instance: M, *, actor: AbstractBaseUser, reason: str) -> M:
    """Validate and save a domain record so that its history row names the actor and reason."""
    validate(instance)
    instance._history_user = actor  # type: ignore[attr-defined]
    instance._change_reason = reason  # type: ignore[attr-defined]
    instance.save()
    return instance


def tracked_delete(instance: models.Model, *, actor: AbstractBaseUser, reason: str) -> None:
    """Delete a row whose deletion is itself the record (a revoked grant); history keeps it."""
    instance._history_user = actor  # type: ignore[attr-defined]
    instance._change_reason = reason  # type: ignore[attr-defined]
    instance.delete()


def recorded(message: object, **params: object) -> str:
    """A reason or message as it is stored: in the district's language (LANGUAGE_CODE), whatever
    language the acting user reads, so that the history reads the same for every auditor."""
    with translation.override(settings.LANGUAGE_CODE):
        text = str(message)
        return text % {k: str(v) for k, v in params.items()} if params else text
