"""A file of many chunks goes end to end: every row lands once and the audit chain holds.

How fast it goes is measured by `manage.py bench_import` (1,000,000 rows beside a raw COPY), not here.
"""

from liuguan.collection.importing.pipeline import CHUNK_SIZE
from liuguan.collection.importing.synthetic import write_csv
from liuguan.core.audit import audit_verify
from liuguan.registry.models import Person, Stay

from .conftest import run_import

ROWS = 4 * CHUNK_SIZE + 123


def test_a_file_of_many_chunks_imports_end_to_end(street, tmp_path):
    path = write_csv(tmp_path / "big.csv", ROWS, communities=["510104001001", "510104001002"])
    batch = run_import(street, path)
    assert (batch.status, batch.rows_done, batch.accepted, batch.rejected) == ("done", ROWS, ROWS, 0)
    assert Person.objects.count() == ROWS and Stay.objects.filter(source_channel="import").count() == ROWS
    assert audit_verify().ok
