"""The scorecard benchmark runs end to end on a few hundred stays, and leaves no synthetic rows behind."""

import io

import pytest
from django.core.management import call_command

from liuguan.registry.models import Person, Stay

pytestmark = pytest.mark.django_db(transaction=True)


def test_bench_scorecard_small(divisions):
    out = io.StringIO()
    call_command("bench_scorecard", stays=300, repeat=1, stdout=out, stderr=io.StringIO())
    text = out.getvalue()
    assert "built 300 stays of 300 synthetic people" in text
    assert "plain SELECT count(*)" in text and "province scorecard, city, full" in text
    assert "registrations through the service" in text and "(current)" in text
    # The synthetic rows are gone; the registrations made through the service (one per township) stay.
    assert not Stay.objects.filter(source_ref__startswith="BENCHSC:").exists()
    assert not Person.objects.filter(doc_number_index__startswith="bench:BENCHSC").exists()  # plain marker index
    assert Stay.objects.count() == 4
