"""Accuracy of a run on the demo province: its injected duplicates (demo.Defect) are the truth.

Every registry person the demo made is one true person (demo.TruePerson.person) or a duplicate of one
(demo.Defect of kind "duplicate", same true_key). Pairwise precision and recall count pairs of person records
that both carry a true key; the ID-only baseline pairs records whose normalised document numbers are equal.
"""

from collections import defaultdict
from itertools import combinations

import pyarrow as pa
import pyarrow.compute as pc

from ..sources import person_id_of


def truth_keys() -> dict[int, str]:
    """Registry person id -> the demo's true person key (empty when this instance holds no demo truth)."""
    from liuguan.demo.models import Defect, TruePerson

    keys = dict(TruePerson.objects.filter(person__isnull=False).values_list("person_id", "true_key").iterator())
    duplicates = Defect.objects.filter(kind="duplicate", person__isnull=False).values_list("person_id", "true_key")
    keys.update(duplicates.iterator())
    return keys


def _scores(found: set, truth: set) -> dict:
    hits = len(found & truth)
    precision = hits / len(found) if found else 1.0
    recall = hits / len(truth) if truth else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "pairs": len(found),
        "true_pairs": hits,
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
    }


def evaluate_run(*, std: pa.Table, pairs: pa.Table, clusters: pa.Table, keys: dict[int, str] | None = None) -> dict:
    """Pairwise precision/recall and cluster counts of the run, beside the ID-only baseline, against demo truth."""
    keys = truth_keys() if keys is None else keys
    if not keys:
        return {}
    key_of = {}
    for record_id in std.column("record_id").to_pylist():
        person = person_id_of(record_id)
        if person is not None and person in keys:
            key_of[record_id] = keys[person]
    by_key = defaultdict(list)
    for record_id, key in key_of.items():
        by_key[key].append(record_id)
    truth = {tuple(sorted(p)) for members in by_key.values() for p in combinations(sorted(members), 2)}
    found = {
        tuple(sorted((left, right)))
        for left, right in zip(
            pairs.column("record_id_l").to_pylist(), pairs.column("record_id_r").to_pylist(), strict=True
        )
        if left in key_of and right in key_of
    }
    by_number = defaultdict(list)
    for record_id, doc_type, number in zip(
        std.column("record_id").to_pylist(),
        std.column("doc_type_std").to_pylist(),
        std.column("doc_std").to_pylist(),
        strict=True,
    ):
        if number and record_id in key_of:
            by_number[(doc_type, number)].append(record_id)
    id_only = {tuple(sorted(p)) for members in by_number.values() for p in combinations(sorted(members), 2)}
    cluster_of = dict(
        zip(clusters.column("record_id").to_pylist(), clusters.column("cluster_id").to_pylist(), strict=True)
    )
    found_clusters = len({cluster_of.get(r, r) for r in key_of})
    probability = pairs.column("match_probability")
    return {
        "records_with_truth": len(key_of),
        "true_people": len(by_key),
        "true_duplicate_pairs": len(truth),
        "clusters_found": found_clusters,
        "splink": _scores(found, truth),
        "id_only": _scores(id_only, truth) | {"clusters_found": len(key_of) - len(id_only)},
        "min_probability": round(pc.min(probability).as_py(), 4) if len(probability) else None,
    }
