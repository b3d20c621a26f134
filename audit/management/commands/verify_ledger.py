"""`python manage.py verify_ledger [--village CODE]`: recompute the ledger; exit 1 on a problem."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.verify import problem_line, verify_ledger
from oversight.system import get_system_user
from villages.models import Village


class Command(BaseCommand):
    help = (
        "Recompute every ledger entry from the history tables, every chain and every seal. "
        "Exits 0 when intact; otherwise prints one line per problem and exits 1."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--village", help="12-digit village code: check only its chain")

    def handle(self, *args: Any, **options: Any) -> None:
        village = None
        if options["village"]:
            village = Village.objects.filter(code=options["village"]).first()
            if village is None:
                raise CommandError(f"No village with code {options['village']!r}.")
        user = get_system_user()
        report = verify_ledger(
            village=village, started_by=user.get_full_name() or user.get_username()
        )
        scope = f"village {village.code}" if village is not None else "the whole ledger"
        summary = (
            f"{report.entries} entries in {report.chains} chains, {report.history_rows} history "
            f"rows and {report.seals} seals of {scope} checked in {report.seconds:.2f}s "
            f"({report.entries_per_second:,.0f} entries/s)"
        )
        if report.ok:
            self.stdout.write(f"Intact: {summary}.")
            return
        for problem in report.problems:
            self.stdout.write(problem_line(problem))
        # run_from_argv turns this into the message on stderr and exit status 1.
        raise CommandError(f"{len(report.problems)} problems: {summary}.", returncode=1)
