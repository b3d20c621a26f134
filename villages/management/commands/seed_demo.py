"""`python manage.py seed_demo [--size small|district] [--seed N]`: the demo district."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from oversight.system import get_system_user
from villages.demo import seed_demo
from villages.models import Township


class Command(BaseCommand):
    help = (
        "Create the demo Dafeng district: townships, villages, committees, cadres, accounts and "
        "the committees' 2019 ledger."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--size", choices=["small", "district"], default="district")
        parser.add_argument("--seed", type=int, default=2019, help="Random seed for names.")
        parser.add_argument(
            "--reviews-per-village",
            type=int,
            default=None,
            help="Reviews of 2019 in each village's ledger (default: 12 district, 8 small; "
            "12 or more gives every village reviews in every month; 0: no ledger).",
        )
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing if any township exists."
        )
        parser.add_argument(
            "--force", action="store_true", help="Run even with DEBUG off (not for production)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "seed_demo creates accounts with a known password; it refuses to run with DEBUG "
                "off. Pass --force if this really is a demo or test server."
            )
        if options["if_empty"] and Township.objects.exists():
            self.stdout.write("The database already holds a district; nothing seeded.")
            self._print_logins()
            return
        started = time.monotonic()
        report = seed_demo(
            actor=get_system_user(),
            size=options["size"],
            seed=options["seed"],
            password=settings.DEMO_PASSWORD,
            reviews_per_village=options["reviews_per_village"],
            progress=lambda msg: (
                self.stdout.write(f"  {msg}") if options["verbosity"] > 1 else None
            ),
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded in {time.monotonic() - started:.1f}s: {report.townships} townships, "
                f"{report.villages} villages, {report.committees} committees, "
                f"{report.members} members, {report.cadres} cadres, "
                f"{report.power_items} power-list items, {report.users} accounts, "
                f"{report.reviews} reviews of 2019, "
                f"{report.inactive_flags} committees flagged for no review in 60 days"
                + "".join(f", {count} {label}" for label, count in report.extra.items())
                + "."
            )
        )
        self._print_logins()

    def _print_logins(self) -> None:
        first_village = Township.objects.order_by("code").filter(kind="town").first()
        village_code = (
            first_village.villages.filter(kind="village").order_by("code").first()
            if first_village
            else None
        )
        sample = village_code.code if village_code else "<12-digit code>"
        township = first_village.code if first_village else "<9-digit code>"
        password = (
            "$DEMO_PASSWORD" if settings.DEMO_PASSWORD != "oversight-demo" else "oversight-demo"  # noqa: S105
        )
        rows = [
            ("admin", "administrator (also /admin/)"),
            ("district.auditor", "district official, read-only, all villages"),
            ("district.discipline", "district discipline staff, all villages"),
            (f"township.{township}.staff", "township discipline staff"),
            (f"township.{township}.leader", "township discipline leader"),
            (f"village.{sample}.chair", "committee chair of one village"),
            (f"village.{sample}.member1", "committee member"),
            (f"village.{sample}.officer", "village officer (bookkeeper)"),
        ]
        width = max(len(name) for name, _role in rows) + 3
        lines = "".join(f"  {name:<{width}}{role}\n" for name, role in rows)
        self.stdout.write(
            "\nLog in at http://127.0.0.1:8000/accounts/login/ with password "
            f"{password} as:\n{lines}"
            "Every township and village has the same accounts with its own code.\n"
        )
