"""History, ledger, seal and access-log tables refuse UPDATE and DELETE on PostgreSQL.

Every history table existing at this point is covered (the tables are computed from this
migration's state). A migration that adds a tracked model later adds, after it:
    AppendOnly(models=["app_label.HistoricalModel"])
(tests/audit/test_append_only.py fails until it does). A no-op on SQLite.
"""

from django.db import migrations

from audit.append_only import AppendOnly


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0001_initial"),
        ("cases", "0002_escalations_become_complaints"),
        ("oversight", "0001_initial"),
        ("villages", "0003_relative_account"),
    ]

    operations = [AppendOnly()]
