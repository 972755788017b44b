"""Deduplicate a CSV or Parquet file of person records: record_id, cluster_id, match probability to its best partner."""

import time
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from liuguan.linkage import engine
from liuguan.linkage.standardise import INPUT_COLUMNS, REQUIRED_COLUMNS, standardise


def read_records(path: Path) -> pa.Table:
    """A CSV (UTF-8, header row, every column read as text) or Parquet file, by its extension."""
    if not path.exists():
        raise CommandError(f"{path}: no such file")
    if path.suffix.lower() in (".parquet", ".pq"):
        table = pq.read_table(path)
    elif path.suffix.lower() in (".csv", ".txt"):
        with open(path, "rb") as handle:
            header = handle.readline().decode("utf-8-sig").strip().split(",")
        table = pacsv.read_csv(
            path,
            convert_options=pacsv.ConvertOptions(column_types={name.strip('"'): pa.string() for name in header}),
        )
    else:
        raise CommandError(f"{path}: expected a .csv or .parquet file")
    table = table.rename_columns([name.strip().lstrip("\ufeff") for name in table.column_names])
    missing = [name for name in REQUIRED_COLUMNS if name not in table.column_names]
    if missing:
        raise CommandError(
            f"{path}: missing column {', '.join(missing)}; the columns are {', '.join(INPUT_COLUMNS)} "
            f"(only {', '.join(REQUIRED_COLUMNS)} are required)"
        )
    ids = table.column("record_id").cast(pa.string())
    if ids.null_count:
        raise CommandError(f"{path}: {ids.null_count} rows have no record_id")
    if len(ids.unique()) != len(ids):
        raise CommandError(f"{path}: record_id is not unique")
    return table


def write_result(table: pa.Table, path: Path) -> None:
    if path.suffix.lower() in (".parquet", ".pq"):
        pq.write_table(table, path)
    else:
        pacsv.write_csv(table, path)


def link_file(
    records: pa.Table, *, threshold: float, model: dict | None = None, log=lambda message: None
) -> tuple[pa.Table, dict]:
    """Standardise, score and cluster one file's records; returns the result table and the timings."""
    stats = {"records": records.num_rows}
    started = time.perf_counter()
    std = standardise(records)
    stats["standardise_seconds"] = time.perf_counter() - started
    log(f"standardised {records.num_rows:,} records in {stats['standardise_seconds']:.1f} s")
    if model is None:
        started = time.perf_counter()
        model = engine.train(std)
        stats["train_seconds"] = time.perf_counter() - started
        log(f"trained on the file in {stats['train_seconds']:.1f} s")
    started = time.perf_counter()
    pairs = engine.predict(std, model, threshold=threshold)
    stats["predict_seconds"] = time.perf_counter() - started
    log(f"scored {pairs.num_rows:,} pairs in {stats['predict_seconds']:.1f} s")
    clusters = engine.cluster(std, pairs, threshold=threshold)
    stats["predict_cluster_seconds"] = time.perf_counter() - started
    # Each record's best partner: the highest probability among the pairs it is in (null for singletons).
    ids = pa.concat_arrays([pairs.column("record_id_l").combine_chunks(), pairs.column("record_id_r").combine_chunks()])
    probabilities = pa.concat_arrays([pairs.column("match_probability").combine_chunks()] * 2)
    best = pa.table({"id": ids, "p": probabilities}).group_by("id").aggregate([("p", "max")])
    positions = pc.index_in(clusters.column("record_id"), value_set=best.column("id"))
    result = pa.table(
        {
            "record_id": clusters.column("record_id"),
            "cluster_id": clusters.column("cluster_id"),
            "match_probability": best.column("p_max").take(positions),
        }
    )
    stats["pairs"] = pairs.num_rows
    stats["clusters"] = len(clusters.column("cluster_id").unique())
    return result, stats


class Command(BaseCommand):
    help = (
        "Deduplicate a CSV or Parquet file of person records (columns: "
        + ", ".join(INPUT_COLUMNS)
        + "); writes record_id, cluster_id and match_probability to the record's best partner."
    )

    def add_arguments(self, parser):
        parser.add_argument("input", help="a .csv or .parquet file")
        parser.add_argument("--out", required=True, help="output file; .csv or .parquet by its extension")
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--train", action="store_true", help="train on this file even if a model is active")
        group.add_argument("--model", type=int, help="use this stored model version instead of the active one")
        parser.add_argument("--threshold", type=float, default=0.9, help="match probability that joins records")

    def handle(self, *args, **options):
        started = time.perf_counter()
        if not 0 < options["threshold"] < 1:
            raise CommandError("--threshold is a probability between 0 and 1")
        records = read_records(Path(options["input"]))
        model = None if options["train"] else self._stored_model(options["model"])
        if model is None and not options["train"]:
            self.stdout.write("no trained model here: training on the file itself")
        result, stats = link_file(
            records, threshold=options["threshold"], model=model, log=lambda m: self.stdout.write(m)
        )
        out = Path(options["out"])
        write_result(result, out)
        self.stdout.write(
            f"{stats['records']:,} records, {stats['clusters']:,} clusters, {stats['pairs']:,} pairs at or above "
            f"{options['threshold']}; {time.perf_counter() - started:.1f} s; written to {out}"
        )

    def _stored_model(self, version: int | None) -> dict | None:
        from liuguan.linkage.models import ModelVersion

        try:
            if version is not None:
                found = ModelVersion.objects.filter(version=version).first()
                if found is None:
                    raise CommandError(f"no linkage model version {version}")
                return found.settings
            return engine.active_model()
        except DatabaseError:
            return None
