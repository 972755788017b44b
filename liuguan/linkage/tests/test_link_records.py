import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from django.core.management import CommandError, call_command

from liuguan.linkage.linkage_testfile import generate


@pytest.fixture(scope="module")
def records():
    return generate(1200, seed=11)


def _same_person_share(records, result):
    """Share of the true duplicate records that landed in their first record's cluster."""
    cluster = dict(zip(result.column("record_id").to_pylist(), result.column("cluster_id").to_pylist(), strict=True))
    first, hits, total = {}, 0, 0
    for rid, person in zip(
        records.column("record_id").to_pylist(), records.column("person_id").to_pylist(), strict=True
    ):
        if person in first:
            total += 1
            hits += cluster[rid] == cluster[first[person]]
        else:
            first[person] = rid
    return hits / total


def test_csv_in_csv_out(records, tmp_path):
    # given a CSV of person records with planted duplicates
    source, out = tmp_path / "people.csv", tmp_path / "clusters.csv"
    pacsv.write_csv(records.drop_columns(["person_id"]), source)
    # when linked
    call_command("link_records", str(source), "--out", str(out), "--train", "--threshold", "0.9")
    # then every record has a cluster, duplicates share one, singletons have no probability
    result = pacsv.read_csv(out)
    assert result.column_names == ["record_id", "cluster_id", "match_probability"]
    assert result.num_rows == records.num_rows
    assert _same_person_share(records, result) > 0.93
    singles = result.filter(
        pc.equal(result.column("record_id").cast("string"), result.column("cluster_id").cast("string"))
    )
    assert singles.num_rows > 0


def test_parquet_in_parquet_out(records, tmp_path):
    source, out = tmp_path / "people.parquet", tmp_path / "clusters.parquet"
    pq.write_table(records, source)
    call_command("link_records", str(source), "--out", str(out), "--train")
    result = pq.read_table(out)
    assert result.column("record_id").to_pylist() == records.column("record_id").to_pylist()
    assert _same_person_share(records, result) > 0.93


def test_missing_column_is_named(tmp_path):
    source = tmp_path / "people.csv"
    source.write_text("record_id,doc_number\n1,11010519491231002X\n", encoding="utf-8")
    with pytest.raises(CommandError, match="missing column name"):
        call_command("link_records", str(source), "--out", str(tmp_path / "out.csv"), "--train")
