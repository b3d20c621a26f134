"""`python manage.py export_changes`: the change feed of the whole district, as a file with its
provenance, exported as the system user and recorded (so the export is in the ledger too)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit import exports, services
from audit.forms import FeedFilterForm
from audit.models import ExportFormat, ExportStatus
from oversight.system import get_system_user
from villages.models import Township, Village


class Command(BaseCommand):
    help = (
        "Export the change feed of the whole district (never the reporter vault) to a CSV or "
        "XLSX file carrying its provenance: filter, time, exporter, row count and the SHA-256 "
        "of its data rows. The export is recorded, and so is in the ledger."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--format", required=True, choices=ExportFormat.values)
        parser.add_argument("--output", required=True, help="Path of the file to write.")
        parser.add_argument("--village", default="", help="A village code (12 digits).")
        parser.add_argument("--township", default="", help="A township code (9 digits).")
        parser.add_argument("--since", default="", help="First day, YYYY-MM-DD (included).")
        parser.add_argument("--until", default="", help="Last day, YYYY-MM-DD (included).")
        parser.add_argument("--model", default="", help="A record type, e.g. cases.case.")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = get_system_user()
        keys = ("village", "township", "since", "until", "model")
        form = FeedFilterForm({key: options[key] for key in keys}, user=actor)
        if not form.is_valid():
            problems = "; ".join(
                f"{key}: {' '.join(str(e) for e in errors)}" for key, errors in form.errors.items()
            )
            raise CommandError(problems)
        # On the command line a mistyped code is an error, not an empty export.
        if options["village"] and not Village.objects.filter(code=options["village"]).exists():
            raise CommandError(f"No village has the code {options['village']}.")
        if options["township"] and not Township.objects.filter(code=options["township"]).exists():
            raise CommandError(f"No township has the code {options['township']}.")
        export = services.export_create(
            actor=actor, format=options["format"], filters=form.filters()
        )
        export = services.export_build(export=export, actor=actor)
        if export.status != ExportStatus.DONE:
            raise CommandError(f"Export {export.pk} failed; see the log.")
        output = Path(options["output"])
        with export.file.open("rb") as source, output.open("wb") as target:
            shutil.copyfileobj(source, target)
        # What the file itself states, read back from it.
        with output.open("rb") as written:
            stated = exports.file_provenance(written, export.format)
        for key, value in stated.items():
            self.stdout.write(f"{key}: {value}")
        self.stdout.write(self.style.SUCCESS(f"Written {output}"))
