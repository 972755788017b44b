"""The linkage model: Splink (Fellegi-Sunter, trained by EM without labels) on DuckDB, with Chinese comparisons.

`train` returns Splink's model JSON (comparisons with m and u, the prior), which is what a `ModelVersion` stores;
`predict` scores the pairs the blocking rules admit; `cluster` joins pairs above a threshold into people;
`explain` and `score_pair` say why a pair matched, in the words of `comparisons.py`. The same model JSON runs on
Spark (`splink.SparkAPI`) for registries too large for one machine; see the README.
"""

from __future__ import annotations

import logging
import math

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from django.db import transaction

from liuguan.core.audit import audit_record

from .comparisons import BLOCKING_RULES, COMPARISONS, DETERMINISTIC_RULES, ENGINE_COLUMNS, TRAINING_BLOCKS
from .models import ModelVersion

logger = logging.getLogger(__name__)

# Probability two random records match, before training: about one duplicate per record in 10,000 records.
PRIOR = 1e-4
# A level random pairs almost never reach (one typo in an ID) gets this u when sampling saw none.
RARE_U = 1e-7
SPLINK_LOG_LEVEL = logging.WARNING

_BY_NAME = {comparison.name: comparison for comparison in COMPARISONS}


def _engine_table(std: pa.Table) -> pa.Table:
    """The columns the comparisons read: standardise's output, with the pinyin's spaces taken out."""
    missing = [c for c in ENGINE_COLUMNS if c not in std.column_names and c != "name_pyk"]
    if missing:
        raise ValueError(f"not a standardised table: missing column(s) {', '.join(missing)}")
    pyk = pc.replace_substring(std.column("name_py"), " ", "")
    pyk = pc.if_else(pc.equal(pyk, ""), pa.scalar(None, pa.string()), pyk)
    columns = {c: (pyk if c == "name_pyk" else std.column(c)) for c in ENGINE_COLUMNS}
    return pa.table(columns)


def _db_api(threads: int | None = None):
    from splink import DuckDBAPI

    con = duckdb.connect()
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    return DuckDBAPI(connection=con)


def _linker(table: pa.Table, settings: dict):
    from splink import Linker

    db_api = _db_api()
    frame = db_api.register(table, table_name="records")
    return Linker(frame, settings, log_level=SPLINK_LOG_LEVEL)


def chinese_settings() -> dict:
    """Splink settings of the Chinese model before training: comparisons, blocking rules, the prior."""
    return {
        "link_type": "dedupe_only",
        "unique_id_column_name": "record_id",
        "comparisons": [comparison.splink() for comparison in COMPARISONS],
        "blocking_rules_to_generate_predictions": [{"blocking_rule": rule} for rule in BLOCKING_RULES],
        "probability_two_random_records_match": PRIOR,
        "retain_matching_columns": True,
        "retain_intermediate_calculation_columns": False,
        "em_convergence": 0.001,
        "max_iterations": 20,
        "sql_dialect": "duckdb",
    }


def for_dialect(model: dict, dialect: str) -> dict:
    """The same model (or settings) with its SQL written for another Splink backend, e.g. "spark".

    Conditions are written for DuckDB; sqlglot (a Splink dependency) rewrites them: DuckDB's double-quoted column
    names become Spark's backquoted ones. The functions used (left, right, substr, least, greatest, floor,
    levenshtein, damerau_levenshtein) exist on both; Spark's damerau_levenshtein comes from Splink's jar
    (`splink.backends.spark.similarity_jar_location()` in `spark.jars`).
    """
    import copy

    import sqlglot

    def rewrite(sql: str) -> str:
        return sqlglot.transpile(sql, read="duckdb", write=dialect)[0]

    result = copy.deepcopy(model)
    for comparison in result.get("comparisons", []):
        for level in comparison.get("comparison_levels", []):
            if level.get("sql_condition", "ELSE").upper() != "ELSE":
                level["sql_condition"] = rewrite(level["sql_condition"])
    for rule in result.get("blocking_rules_to_generate_predictions", []):
        if isinstance(rule, dict) and "blocking_rule" in rule:
            rule["blocking_rule"] = rewrite(rule["blocking_rule"])
            if "sql_dialect" in rule:
                rule["sql_dialect"] = dialect
    result["sql_dialect"] = dialect
    return result


GENERIC_COLUMNS = ("record_id", "doc_number", "name", "sex", "birth_date", "phone", "hukou", "address", "nationality")


def generic_settings() -> dict:
    """Splink out of the box on the raw fields: what a non-Chinese setup would do (the accuracy baseline)."""
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    creator = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="record_id",
        comparisons=[
            cl.LevenshteinAtThresholds("doc_number", [1, 2]),
            cl.NameComparison("name"),
            cl.DateOfBirthComparison("birth_date", input_is_string=True),
            cl.ExactMatch("sex"),
            cl.ExactMatch("phone"),
            cl.ExactMatch("hukou"),
            cl.JaroWinklerAtThresholds("address", [0.9, 0.7]),
            cl.ExactMatch("nationality"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("doc_number"),
            block_on("name", "birth_date"),
            block_on("phone"),
        ],
        retain_matching_columns=True,
    )
    return creator.get_settings("duckdb").as_dict()


def _generic_table(raw: pa.Table) -> pa.Table:
    columns = {}
    for name in GENERIC_COLUMNS:
        column = raw.column(name) if name in raw.column_names else pa.nulls(raw.num_rows, pa.string())
        column = column.cast(pa.string())
        columns[name] = pc.if_else(pc.equal(pc.utf8_trim_whitespace(column), ""), pa.scalar(None, pa.string()), column)
    return pa.table(columns)


def _fill_rare_u(model: dict) -> dict:
    fixed = {
        (c.name, level.label): level.extra["m_probability"]
        for c in COMPARISONS
        for level in c.levels
        if level.extra.get("fix_m_probability")
    }
    for comparison in model["comparisons"]:
        for level in comparison["comparison_levels"]:
            if level.get("is_null_level"):
                continue
            key = (comparison.get("output_column_name"), level.get("label_for_charts"))
            if key in fixed:
                level["m_probability"] = fixed[key]
            if level.get("u_probability") in (None, 0):
                level["u_probability"] = RARE_U
            if level.get("m_probability") in (None, 0):
                level["m_probability"] = RARE_U
    return model


def train(std: pa.Table, *, generic: bool = False, max_pairs: float = 1e6, seed: int = 42) -> dict:
    """Estimate the model on the records themselves: u from random pairs, m by EM, the prior from sure matches.

    generic=True trains Splink's out-of-the-box comparisons on the raw input columns instead (pass the raw table):
    the "generic settings" baseline.
    """
    if generic:
        table, settings = _generic_table(std), generic_settings()
        deterministic = ['l."doc_number" = r."doc_number"']
        blocks = ['l."doc_number" = r."doc_number"', 'l."name" = r."name" AND l."birth_date" = r."birth_date"']
    else:
        table, settings = _engine_table(std), chinese_settings()
        deterministic, blocks = list(DETERMINISTIC_RULES), list(TRAINING_BLOCKS)
    linker = _linker(table, settings)
    training = linker.training
    try:
        training.estimate_probability_two_random_records_match(deterministic, recall=0.8)
    except Exception:  # a file with no sure matches at all keeps the prior  # noqa: BLE001
        logger.warning("no deterministic matches; keeping the prior %s", PRIOR)
    # Enough random pairs for the rarer levels, without paying for millions on a small file.
    pairs = min(max_pairs, max(1e4, table.num_rows * 100.0))
    training.estimate_u_using_random_sampling(max_pairs=pairs, seed=seed)
    for block in blocks:
        training.estimate_parameters_using_expectation_maximisation(block, estimate_without_term_frequencies=True)
    model = linker.misc.save_model_to_json()
    return _fill_rare_u(model)


def reestimate_u(model: dict, std: pa.Table, *, max_pairs: float = 1e6, seed: int = 42) -> dict:
    """The model with its u values estimated again from random pairs of these records; m values kept.

    For records EM cannot learn from (a registry holds each document number once, so blocking finds no
    duplicates): m learnt on the generated test file says how a person's records differ, u from the registry
    itself says how often two different people here agree (its names, its hukou areas, its shared phones).
    """
    import copy

    settings = copy.deepcopy(model)
    table = _engine_table(std)
    linker = _linker(table, settings)
    pairs = min(max_pairs, max(1e4, table.num_rows * 100.0))
    linker.training.estimate_u_using_random_sampling(max_pairs=pairs, seed=seed)
    return _fill_rare_u(linker.misc.save_model_to_json())


def _is_generic(model: dict) -> bool:
    return {c.get("output_column_name") for c in model.get("comparisons", [])} != {c.name for c in COMPARISONS}


def predict(std: pa.Table, model: dict, *, threshold: float = 0.5) -> pa.Table:
    """Scored pairs at or above the threshold: record_id_l, record_id_r, match_probability, match_weight, gamma_*."""
    table = _generic_table(std) if _is_generic(model) else _engine_table(std)
    linker = _linker(table, model)
    frame = linker.inference.predict(threshold_match_probability=threshold)
    gammas = [f"gamma_{c['output_column_name']}" for c in model["comparisons"]]
    wanted = ", ".join(f'"{c}"' for c in ["record_id_l", "record_id_r", "match_probability", "match_weight", *gammas])
    result = linker.misc.query_sql(f"SELECT {wanted} FROM {frame.physical_name}")  # noqa: S608 (our own names)
    return result.as_pyarrow_table()


def cluster(std: pa.Table, pairs: pa.Table, *, threshold: float) -> pa.Table:
    """Connected components of the pairs at or above the threshold; a cluster is named by its smallest record_id."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    ids = std.column("record_id").cast(pa.string())
    n = len(ids)
    kept = pairs.filter(pc.greater_equal(pairs.column("match_probability"), threshold))
    left = pc.index_in(kept.column("record_id_l").cast(pa.string()), value_set=ids).to_numpy(zero_copy_only=False)
    right = pc.index_in(kept.column("record_id_r").cast(pa.string()), value_set=ids).to_numpy(zero_copy_only=False)
    graph = coo_matrix((np.ones(len(left), dtype=np.int8), (left.astype(np.int64), right.astype(np.int64))), (n, n))
    _, labels = connected_components(graph, directed=False)
    # Name each component by its smallest record_id (stable across runs, whatever the order of the file): a
    # grouped min in DuckDB, cheaper than sorting every record_id.
    con = duckdb.connect()
    con.register("members", pa.table({"label": pa.array(labels.astype(np.int64)), "record_id": ids}))
    first = con.sql("SELECT label, min(record_id) AS name FROM members GROUP BY label").arrow()
    first = first.read_all() if hasattr(first, "read_all") else first
    con.close()
    position = np.empty(len(first), dtype=np.int64)
    position[first.column("label").to_numpy()] = np.arange(len(first))
    names = first.column("name").take(pa.array(position[labels]))
    return pa.table({"record_id": ids, "cluster_id": names})


def _levels(model: dict, name: str) -> list[dict]:
    for comparison in model["comparisons"]:
        if comparison["output_column_name"] == name:
            return comparison["comparison_levels"]
    raise KeyError(name)


def _level_for_gamma(levels: list[dict], gamma: int) -> dict:
    if gamma == -1:
        return next(level for level in levels if level.get("is_null_level"))
    counted = [level for level in levels if not level.get("is_null_level")]
    return counted[len(counted) - 1 - gamma]


def _bayes_factor_weight(level: dict) -> float:
    if level.get("is_null_level"):
        return 0.0
    m, u = level.get("m_probability") or RARE_U, level.get("u_probability") or RARE_U
    return math.log2(m / u)


def explain(model: dict, gammas: dict) -> list[dict]:
    """Why a pair scored as it did: per comparison, the level reached and its match weight (log2 Bayes factor).

    `gammas` maps comparison names (or gamma_<name> columns of `predict`) to comparison vector values. Term
    frequency adjustments are not included (they raise or lower the weight of a common name or phone).
    """
    reasons = []
    for comparison in model["comparisons"]:
        name = comparison["output_column_name"]
        gamma = gammas.get(name, gammas.get(f"gamma_{name}"))
        if gamma is None:
            continue
        level = _level_for_gamma(comparison["comparison_levels"], int(gamma))
        reasons.append(
            {
                "comparison": name,
                "level": level.get("label_for_charts", ""),
                "gamma": int(gamma),
                "match_weight": _bayes_factor_weight(level),
            }
        )
    return reasons


def _engine_record(record: dict) -> dict:
    row = {c: record.get(c) for c in ENGINE_COLUMNS if c != "name_pyk"}
    pinyin = (record.get("name_py") or "").replace(" ", "")
    row["name_pyk"] = pinyin or None
    return {k: (None if v == "" else v) for k, v in row.items()}


def _model_gamma(levels: list[dict], comparison, a: dict, b: dict) -> int:
    """The comparison vector value of a pair under a stored model's own levels, matched by label.

    A model trained before a level was added (its JSON has no such level) reads the pair as Splink does with
    that JSON: the new level is skipped and the pair falls to the next level the model has.
    """
    by_label = {level.get("label_for_charts"): level for level in levels}
    counted = [level for level in levels if not level.get("is_null_level")]
    for level in comparison.levels:
        stored = by_label.get(level.label)
        if stored is None or not level.test(a, b):
            continue
        if stored.get("is_null_level"):
            return -1
        return len(counted) - 1 - next(i for i, known in enumerate(counted) if known is stored)
    return 0


def score_pair(model: dict, a: dict, b: dict) -> tuple[float, list[dict]]:
    """Match probability of two standardised records and the reasons, by the model's own comparisons in Python."""
    left, right = _engine_record(a), _engine_record(b)
    stored = {comparison["output_column_name"]: comparison["comparison_levels"] for comparison in model["comparisons"]}
    gammas = {
        comparison.name: _model_gamma(stored[comparison.name], comparison, left, right)
        for comparison in COMPARISONS
        if comparison.name in stored
    }
    reasons = explain(model, gammas)
    prior = model.get("probability_two_random_records_match") or PRIOR
    weight = math.log2(prior / (1 - prior)) + sum(reason["match_weight"] for reason in reasons)
    probability = 2**weight / (1 + 2**weight)
    return probability, reasons


def model_save(*, model: dict, trained_on: str, records: int, stats: dict, actor=None, activate: bool = True):
    """Store a trained model as the next version; the active one is what runs and the entry-time warning use."""
    with transaction.atomic():
        last = ModelVersion.objects.select_for_update().order_by("-version").first()
        if activate:
            ModelVersion.objects.filter(active=True).update(active=False)
        version = ModelVersion.objects.create(
            version=(last.version + 1) if last else 1,
            created_by=actor if getattr(actor, "pk", None) else None,
            trained_on=trained_on[:200],
            records=records,
            settings=model,
            stats=stats,
            active=activate,
        )
        audit_record(
            actor=actor,
            action="linkage.model_trained",
            obj=version,
            changes={"version": version.version, "records": records, "trained_on": trained_on, "active": activate},
        )
    return version


def active_model() -> dict | None:
    """The active model's Splink JSON, or None when no model has been trained here."""
    version = ModelVersion.objects.filter(active=True).first()
    return version.settings if version else None
