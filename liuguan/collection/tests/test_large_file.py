import time

from liuguan.collection.importing.synthetic import write_csv
from liuguan.core.audit import audit_verify
from liuguan.registry.models import Person, Stay

from .conftest import run_import

ROWS = 200_000


def test_a_200000_row_file_imports_end_to_end_within_a_minute(street, tmp_path):
    path = write_csv(tmp_path / "big.csv", ROWS, communities=["510104001001", "510104001002"])
    started = time.monotonic()
    batch = run_import(street, path)
    elapsed = time.monotonic() - started
    assert (batch.status, batch.rows_done, batch.accepted, batch.rejected) == ("done", ROWS, ROWS, 0)
    assert Person.objects.count() == ROWS and Stay.objects.filter(source_channel="import").count() == ROWS
    assert audit_verify().ok
    assert elapsed < 60, f"{ROWS:,} rows took {elapsed:.0f} s"
