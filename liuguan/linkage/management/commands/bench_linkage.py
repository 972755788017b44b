"""Accuracy and speed of linkage on a generated file: ours, Splink's generic settings and the ID-only baseline."""

import json
import resource
import tempfile
import time
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from django.core.management import call_command
from django.core.management.base import BaseCommand

from liuguan.linkage import engine
from liuguan.linkage.linkage_testfile import generate
from liuguan.linkage.standardise import standardise


def pairwise(truth: pa.Table, clusters: pa.Table) -> dict:
    """Pairwise precision, recall and F1 of clusters against person_id, and the cluster counts."""
    con = duckdb.connect()
    con.register("truth", truth.select(["record_id", "person_id"]))
    con.register("c", clusters.select(["record_id", "cluster_id"]))
    tp, predicted, true, n_clusters, n_people = con.sql(
        """
        WITH j AS (SELECT c.cluster_id, t.person_id FROM c JOIN truth t USING (record_id))
        SELECT (SELECT coalesce(sum(n * (n - 1) / 2), 0)
                FROM (SELECT count(*) n FROM j GROUP BY cluster_id, person_id)),
               (SELECT coalesce(sum(n * (n - 1) / 2), 0) FROM (SELECT count(*) n FROM j GROUP BY cluster_id)),
               (SELECT coalesce(sum(n * (n - 1) / 2), 0) FROM (SELECT count(*) n FROM j GROUP BY person_id)),
               (SELECT count(DISTINCT cluster_id) FROM j),
               (SELECT count(DISTINCT person_id) FROM j)
        """
    ).fetchall()[0]
    precision = tp / predicted if predicted else 1.0
    recall = tp / true if true else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "clusters": n_clusters, "people": n_people}


def id_only(std: pa.Table) -> pa.Table:
    """The baseline: records with the same normalised document number are one person; the rest stand alone."""
    con = duckdb.connect()
    con.register("s", std.select(["record_id", "doc_std"]))
    result = con.sql(
        "SELECT record_id, CASE WHEN doc_std IS NULL THEN record_id "
        "ELSE min(record_id) OVER (PARTITION BY doc_std) END AS cluster_id FROM s"
    ).arrow()
    return result.read_all() if hasattr(result, "read_all") else result


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Command(BaseCommand):
    help = "Generate a seeded test file and measure linkage accuracy and speed against its truth."

    def add_arguments(self, parser):
        parser.add_argument("--records", type=int, default=1_000_000)
        parser.add_argument("--seed", type=int, default=20261127)
        parser.add_argument("--threshold", type=float, default=0.9)
        parser.add_argument("--skip-generic", action="store_true", help="leave out Splink's generic settings")
        parser.add_argument(
            "--export",
            metavar="DIR",
            help="also write the engine's records (engine.parquet) and the trained model (model.json) for "
            "liuguan/linkage/spark_check.py",
        )

    def handle(self, *args, **options):
        out = self.stdout.write
        threshold = options["threshold"]
        started = time.perf_counter()
        raw = generate(options["records"], seed=options["seed"])
        out(
            f"generated {raw.num_rows:,} records of {len(raw.column('person_id').unique()):,} people "
            f"in {time.perf_counter() - started:.1f} s"
        )
        rows = []

        started = time.perf_counter()
        std = standardise(raw)
        t_std = time.perf_counter() - started
        started = time.perf_counter()
        model = engine.train(std)
        t_train = time.perf_counter() - started
        started = time.perf_counter()
        pairs = engine.predict(std, model, threshold=threshold)
        t_predict = time.perf_counter() - started
        started = time.perf_counter()
        clusters = engine.cluster(std, pairs, threshold=threshold)
        t_cluster = time.perf_counter() - started
        rows.append(("ours (Chinese settings)", t_train + t_predict + t_cluster, pairwise(raw, clusters)))
        if options["export"]:
            folder = Path(options["export"])
            folder.mkdir(parents=True, exist_ok=True)
            pq.write_table(engine._engine_table(std), folder / "engine.parquet")
            (folder / "model.json").write_text(json.dumps(model))
        out(
            f"standardisation {t_std:.1f} s; Splink train {t_train:.1f} s, predict {t_predict:.1f} s "
            f"({pairs.num_rows:,} pairs), cluster {t_cluster:.1f} s; peak RSS {peak_rss_mb():,.0f} MB"
        )

        with tempfile.TemporaryDirectory() as folder:
            source, result = Path(folder) / "records.parquet", Path(folder) / "clusters.parquet"
            pq.write_table(raw.drop_columns(["person_id"]), source)
            started = time.perf_counter()
            call_command(
                "link_records",
                str(source),
                "--out",
                str(result),
                "--train",
                "--threshold",
                str(threshold),
                stdout=self.stdout,
            )
            t_link = time.perf_counter() - started
            rows.append(
                ("link_records (total, standardisation included)", t_link, pairwise(raw, pq.read_table(result)))
            )
        ratio = t_link / (t_train + t_predict)
        out(
            f"link_records total {t_link:.1f} s = {ratio:.2f} x Splink's own train+predict "
            f"({t_train + t_predict:.1f} s); "
            f"goal < 2x; peak RSS {peak_rss_mb():,.0f} MB"
        )

        if not options["skip_generic"]:
            started = time.perf_counter()
            generic = engine.train(raw, generic=True)
            generic_pairs = engine.predict(raw, generic, threshold=threshold)
            generic_clusters = engine.cluster(raw, generic_pairs, threshold=threshold)
            rows.append(("Splink generic settings", time.perf_counter() - started, pairwise(raw, generic_clusters)))

        started = time.perf_counter()
        rows.append(
            ("ID number only (after normalisation)", time.perf_counter() - started, pairwise(raw, id_only(std)))
        )

        out("")
        out(f"{'method':<50} {'seconds':>8} {'precision':>9} {'recall':>7} {'F1':>6} {'clusters':>9} {'people':>9}")
        for name, seconds, m in rows:
            out(
                f"{name:<50} {seconds:>8.1f} {m['precision']:>9.4f} {m['recall']:>7.4f} {m['f1']:>6.4f} "
                f"{m['clusters']:>9,} {m['people']:>9,}"
            )
        ours = rows[0][2]
        out(
            f"goal precision >= 0.999: {'met' if ours['precision'] >= 0.999 else 'NOT met'}; "
            f"recall >= 0.98: {'met' if ours['recall'] >= 0.98 else 'NOT met'}; "
            f"link_records < 2x Splink train+predict: {'met' if ratio < 2 else 'NOT met'}"
        )
        out(f"peak RSS {peak_rss_mb():,.0f} MB")
