"""Concurrent writers on PostgreSQL still make one unbroken chain (the head row serialises appends)."""

import threading

import pytest
from django.db import connection, connections, transaction

from liuguan.core.audit import SYSTEM, audit_record, audit_verify
from liuguan.core.models import AuditEvent

pytestmark = pytest.mark.django_db(transaction=True)


def test_parallel_appends_form_one_valid_chain():
    if connection.vendor != "postgresql":
        pytest.skip("row locks are what is tested; SQLite serialises writers by design")
    errors = []

    def writer(n):
        try:
            for i in range(25):
                with transaction.atomic():
                    audit_record(actor=SYSTEM, action="test.parallel", object_id=f"{n}-{i}")
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert AuditEvent.objects.count() == 100
    report = audit_verify()
    assert report.ok and report.checked == 100
