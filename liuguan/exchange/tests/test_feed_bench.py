"""bench_feed writes its changes into a scratch area, reads them through the feed and leaves nothing behind."""

import io

from django.core.management import call_command

from liuguan.core.audit import audit_verify
from liuguan.core.models import AuditEvent
from liuguan.geo.models import Division
from liuguan.registry.models import Person


def test_bench_feed_reports_both_rates_and_rolls_back(db):
    before = AuditEvent.objects.count()
    out = io.StringIO()

    call_command("bench_feed", events=120, people=7, stdout=out)

    text = out.getvalue()
    assert "raw SELECT of the audit rows" in text and "change feed over the API" in text and "feed / raw" in text
    assert AuditEvent.objects.count() == before
    assert not Division.objects.filter(code__startswith="99").exists()
    assert not Person.objects.filter(name_pinyin__startswith="ceshi").exists()  # numbers are encrypted: no prefix
    assert audit_verify().ok
