"""`manage.py jurisdiction grant|revoke USER (--village CODE | --township CODE) --reason …`."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError, CommandParser

from oversight.errors import OversightError
from oversight.system import get_system_user
from villages.models import Township, Village
from villages.services import jurisdiction_grant, jurisdiction_revoke


class Command(BaseCommand):
    help = "Grant or revoke a user's jurisdiction over a village or a township (audited)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["grant", "revoke"])
        parser.add_argument("username")
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--village", help="12-digit village code")
        target.add_argument("--township", help="9-digit township code")
        parser.add_argument("--reason", required=True, help="Why; kept in the history.")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"No user named {options['username']!r}.")
        village = township = None
        if options["village"]:
            village = Village.objects.filter(code=options["village"]).first()
            if village is None:
                raise CommandError(f"No village with code {options['village']!r}.")
        else:
            township = Township.objects.filter(code=options["township"]).first()
            if township is None:
                raise CommandError(f"No township with code {options['township']!r}.")
        service = jurisdiction_grant if options["action"] == "grant" else jurisdiction_revoke
        try:
            result = service(
                actor=get_system_user(),
                user=user,
                village=village,
                township=township,
                reason=options["reason"],
            )
        except OversightError as exc:
            raise CommandError(str(exc.message)) from exc
        target_name = village or township
        if options["action"] == "revoke" and result is False:
            self.stdout.write(f"{user.username} held no grant on {target_name}; nothing changed.")
        else:
            self.stdout.write(f"{options['action']}: {user.username} → {target_name}")
