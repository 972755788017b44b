"""Run the Chinese linkage model on Splink's Spark backend beside DuckDB and compare the scored pairs.

Standalone (no Django): run it in a virtualenv with pyspark, splink (the project's version) and pandas, on the
files `bench_linkage --export DIR` writes (DIR/engine.parquet: the standardised records as the engine gives
them to Splink; DIR/model.json: the model trained on them, DuckDB SQL):

    python3 -m venv /tmp/spark-venv && /tmp/spark-venv/bin/pip install pyspark splink==5.0.0 pandas
    python manage.py bench_linkage --records 10000 --skip-generic --export /tmp/linkage-spark-data
    /tmp/spark-venv/bin/python liuguan/linkage/spark_check.py /tmp/linkage-spark-data

The model's SQL is rewritten for Spark by sqlglot the way `engine.for_dialect` does it; Splink's jar (its
Spark UDFs, damerau_levenshtein among them) is put on the session's class path. Prints the time each backend
took and how far their match probabilities are apart. Java 17 is needed for pyspark.
"""

import sys
from pathlib import Path

# Run as a script, this folder would come first on the path, and its selectors.py would hide the standard one.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import copy  # noqa: E402
import json  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402


def for_spark(model: dict) -> dict:
    import sqlglot

    def rewrite(sql: str) -> str:
        return sqlglot.transpile(sql, read="duckdb", write="spark")[0]

    result = copy.deepcopy(model)
    for comparison in result["comparisons"]:
        for level in comparison["comparison_levels"]:
            if level["sql_condition"].upper() != "ELSE":
                level["sql_condition"] = rewrite(level["sql_condition"])
    for rule in result.get("blocking_rules_to_generate_predictions", []):
        rule["blocking_rule"] = rewrite(rule["blocking_rule"])
        rule["sql_dialect"] = "spark"
    result["sql_dialect"] = "spark"
    return result


def pairs_of(frame) -> dict:
    return {
        (min(left, right), max(left, right)): probability
        for left, right, probability in zip(
            frame["record_id_l"], frame["record_id_r"], frame["match_probability"], strict=True
        )
    }


def main(folder: str, threshold: float = 0.5) -> None:
    import duckdb
    import pyarrow.parquet as pq
    from pyspark.sql import SparkSession
    from splink import DuckDBAPI, Linker, SparkAPI
    from splink.backends.spark import similarity_jar_location

    data, model = Path(folder) / "engine.parquet", json.loads((Path(folder) / "model.json").read_text())
    started = time.perf_counter()
    linker = Linker(DuckDBAPI(connection=duckdb.connect()).register(pq.read_table(data)), copy.deepcopy(model))
    duck = pairs_of(linker.inference.predict(threshold_match_probability=threshold).as_pandas_dataframe())
    print(f"DuckDB: {len(duck):,} pairs in {time.perf_counter() - started:.1f} s")

    started = time.perf_counter()
    spark = (
        SparkSession.builder.master("local[2]")
        .config("spark.jars", similarity_jar_location())
        .config("spark.driver.memory", "2g")
        .config("spark.sql.shuffle.partitions", "8")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    spark.sparkContext.setCheckpointDir(tempfile.mkdtemp(prefix="linkage-spark-"))
    print(f"Spark session started in {time.perf_counter() - started:.1f} s")
    try:
        started = time.perf_counter()
        frame = SparkAPI(spark_session=spark).register(spark.read.parquet(str(data)))
        linker = Linker(frame, for_spark(model))
        found = pairs_of(linker.inference.predict(threshold_match_probability=threshold).as_pandas_dataframe())
        print(f"Spark: {len(found):,} pairs in {time.perf_counter() - started:.1f} s")
    finally:
        spark.stop()
    both = duck.keys() & found.keys()
    gap = max((abs(duck[k] - found[k]) for k in both), default=0.0)
    print(
        f"pairs in both {len(both):,}; only DuckDB {len(duck.keys() - found.keys()):,}; "
        f"only Spark {len(found.keys() - duck.keys()):,}; largest probability difference {gap:.2e}"
    )


if __name__ == "__main__":
    main(sys.argv[1], *(float(a) for a in sys.argv[2:3]))
