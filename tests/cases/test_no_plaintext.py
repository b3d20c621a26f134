"""No plaintext (issue #4 acceptance): neither a receipt code nor a named reporter's name, phone,
ID number or address appears anywhere in the database file — tables, history, indexes, the
write-ahead log — nor in the logs, notifications or history reasons.

The test suite's database is in memory, so the file check runs in a child process against an
SQLite file of its own (whatever DATABASE_URL says): migrate, file named reports through the page
and the API, reveal one, then read the file's bytes here.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache

from cases import vault

ROOT = Path(settings.BASE_DIR)
# Distinctive values: any of them found in the file is a leak, not a coincidence.
SECRETS = {
    "name": "欧阳明珠",
    "phone": "13987654321",
    "id_number": "32090419850612345X",
    "address": "刘庄镇东丰村七组八十八号",
}
API_SECRETS = {
    "name": "ZHUGE-Kongming",
    "phone": "+86-139-2468-1357",
    "id_number": "320904199107078765",
    "address": "",
}

CHILD = r"""
import json, re, sys
import django

django.setup()
from django.core.management import call_command

call_command("migrate", verbosity=0, interactive=False)

from django.contrib.auth.models import Group
from django.db import connections
from django.test import Client

from cases import services
from cases.services.reporter import reporter_reveal
from oversight import roles
from oversight.system import get_system_user
from tests.factories import TownshipFactory, UserFactory, VillageFactory
from villages import services as village_services

secrets, api_secrets = json.loads(sys.argv[1]), json.loads(sys.argv[2])
township = TownshipFactory(code="320904103", name="刘庄镇")
village = VillageFactory(township=township, code="320904103201", name="东丰村")
receipts = []

# A named report through the page.
page = Client().post("/report/", {
    "village": village.code, "categories": ["benefit_skimming"],
    "description": "村会计截留低保金。", **secrets,
})
assert page.status_code == 200, page.status_code
receipts.append(re.search(r'data-testid="receipt"[^>]*>([^<]+)<', page.content.decode()).group(1))

# A named report through the API.
api = Client().post("/api/public/reports/", {
    "village": village.code, "categories": ["false_claims"], "description": "虚报补助。",
    "anonymous": False, "reporter": api_secrets,
}, content_type="application/json")
assert api.status_code == 201, api.content
receipts.append(api.json()["receipt"])

# The status page and API with each receipt, then a reveal by the intake officer.
for receipt in receipts:
    assert Client().post("/report/status/", {"receipt": receipt}).status_code == 200
    assert Client().post(
        "/api/public/reports/status/", {"receipt": receipt}, content_type="application/json"
    ).status_code == 200
staff = UserFactory(username="township.staff")
staff.groups.add(Group.objects.get(name=roles.TOWNSHIP_STAFF))
village_services.jurisdiction_grant(
    actor=get_system_user(), user=staff, township=township, reason="test"
)
from cases.models import Complaint

complaint = Complaint.objects.get(content="村会计截留低保金。")
services.complaint_register(actor=staff, complaint=complaint, note="受理")
complaint.refresh_from_db()
assert reporter_reveal(actor=staff, complaint=complaint, purpose="告知受理") == secrets

connections.close_all()
print(json.dumps({"receipts": receipts}))
"""


def _run_child(database: Path) -> list[str]:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        "DJANGO_SETTINGS_MODULE": "oversight.settings_test",
        "PYTHONPATH": str(ROOT),
    }
    # The child keeps to itself: its own file, its own local-memory cache.
    env.pop("REDIS_URL", None)
    done = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(SECRETS), json.dumps(API_SECRETS)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    return json.loads(done.stdout.strip().splitlines()[-1])["receipts"]


def _file_bytes(database: Path) -> bytes:
    """The database file and every companion SQLite writes next to it."""
    parts = [database, *(Path(f"{database}{suffix}") for suffix in ("-wal", "-shm", "-journal"))]
    return b"".join(p.read_bytes() for p in parts if p.exists())


def _variants(value: str) -> set[str]:
    """A value as it could be stored: as given, upper/lower case, digits without separators."""
    found = {value, value.upper(), value.lower()}
    digits = re.sub(r"\D", "", value)
    if len(digits) >= 8:
        found.add(digits)
    return {v for v in found if v}


def test_neither_receipts_nor_reporter_identities_appear_in_the_database_file(tmp_path):
    # given named reports filed through the page and the API, looked up and revealed
    database = tmp_path / "oversight.sqlite3"
    receipts = _run_child(database)
    assert len(receipts) == 2 and all(vault.is_receipt(r) for r in receipts)

    # when the file is read byte by byte
    data = _file_bytes(database)
    assert len(data) > 100_000  # the whole schema and its rows: we are reading the real file
    # (a positive control: what is not secret, the report's own words, is found as written)
    assert "村会计截留低保金".encode() in data and "虚报补助".encode() in data

    # then no receipt, in any spelling, and no identity field is in it
    forbidden: set[str] = set()
    for receipt in receipts:
        forbidden |= _variants(receipt) | _variants(vault.normalise_receipt(receipt))
    for value in (*SECRETS.values(), *API_SECRETS.values()):
        forbidden |= _variants(value) if value else set()
    leaks = sorted(v for v in forbidden if v.encode() in data)
    assert leaks == []

    # and what is stored instead: receipt hashes, and history rows holding only vault tokens
    with sqlite3.connect(database) as db:
        hashes = {h for (h,) in db.execute("SELECT receipt_hash FROM cases_complaint")}
        assert {vault.receipt_hash(r) for r in receipts} <= hashes
        rows = db.execute(
            "SELECT name, phone, id_number, address FROM cases_historicalreporteridentity"
        ).fetchall()
        current = db.execute(
            "SELECT name, phone, id_number, address FROM cases_reporteridentity"
        ).fetchall()
        reasons = " ".join(
            r or ""
            for table in ("cases_historicalcomplaint", "cases_historicalsensitiveaccess")
            for (r,) in db.execute(f"SELECT history_change_reason FROM {table}")  # noqa: S608
        )
    assert len(rows) == 2 and len(current) == 2
    opened = set()
    for row in rows:
        for token in row:
            if token:
                assert token.startswith("gAAAAA")  # a Fernet token
                opened.add(vault.decrypt(token))
    assert opened == {v for v in (*SECRETS.values(), *API_SECRETS.values()) if v}
    assert reasons and not any(v in reasons for v in forbidden)


@pytest.mark.django_db
def test_no_identity_or_receipt_reaches_the_logs_notifications_or_history_reasons(
    client, district, township_staff, caplog, django_capture_on_commit_callbacks
):
    # given every logger listening at its most talkative
    cache.clear()
    from cases import services
    from cases.choices import MessageKind
    from cases.models import Complaint
    from cases.services.reporter import reporter_reveal
    from oversight.models import Notification
    from tests.history import history_models

    with caplog.at_level(logging.DEBUG), django_capture_on_commit_callbacks(execute=True):
        # when a named report is filed, registered, questioned, answered and revealed
        page = client.post(
            "/report/",
            {
                "village": district.village_a1.code,
                "categories": ["other"],
                "description": "情况说明",
                **SECRETS,
            },
        )
        receipt = re.search(r'data-testid="receipt"[^>]*>([^<]+)<', page.content.decode())
        assert receipt is not None
        code = receipt.group(1)
        complaint = Complaint.objects.get()
        services.complaint_register(actor=township_staff, complaint=complaint, note="受理")
        services.complaint_message(
            actor=township_staff, complaint=complaint, kind=MessageKind.QUESTION, body="何时？"
        )
        client.post("/report/status/", {"receipt": code, "action": "answer", "body": "十月"})
        reporter_reveal(actor=township_staff, complaint=complaint, purpose="告知受理")

    # then no log line, notification or history reason holds any of it
    forbidden = {code, vault.normalise_receipt(code), *SECRETS.values()}
    assert not any(v in caplog.text for v in forbidden)
    notes = " ".join(f"{n.title} {n.body}" for n in Notification.objects.all())
    assert Notification.objects.exists() and not any(v in notes for v in forbidden)
    reasons = " ".join(
        str(row.history_change_reason or "")
        for model in history_models()
        for row in model._default_manager.all()
    )
    assert not any(v in reasons for v in forbidden)
    cache.clear()
