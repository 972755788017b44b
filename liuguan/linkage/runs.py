"""Batch runs: every source of person records, standardised, scored by the active model, clustered; likely
duplicates go to the review queue and the clusters raise omission and wrong-record tasks.

Nothing is merged automatically: pairs at or above the near-certain threshold are flagged in the queue and wait
for an officer like the rest. A pair once decided (merged, kept apart) is never proposed again.
"""

import logging
import time
import traceback

import pyarrow as pa
import pyarrow.compute as pc
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from liuguan.core.audit import SYSTEM, audit_record
from liuguan.core.errors import Conflict, FieldProblem, InvalidInput, PermissionDenied

from . import sources
from .models import CandidatePair, LinkageRun, ModelVersion

logger = logging.getLogger(__name__)

GENERATED_TRAINING_RECORDS = 30_000
DEFAULTS = {"review_threshold": 0.8, "auto_threshold": 0.99}


def thresholds() -> dict:
    """The review and near-certain thresholds: settings.LIUGUAN_LINKAGE overrides the defaults."""
    return DEFAULTS | {k: v for k, v in getattr(settings, "LIUGUAN_LINKAGE", {}).items() if k in DEFAULTS}


@transaction.atomic
def run_request(
    *, actor, trigger: str = LinkageRun.Trigger.PAGE, review_threshold: float | None = None, source: str = "web"
) -> LinkageRun:
    """Queue a batch run for the worker; one run at a time (a second request while one waits is refused)."""
    if getattr(actor, "pk", None) and not actor.can("linkage.run"):
        raise PermissionDenied()
    limits = thresholds()
    review = limits["review_threshold"] if review_threshold is None else float(review_threshold)
    if not 0.0 < review < 1.0:
        raise InvalidInput(
            [FieldProblem("review_threshold", "linkage.threshold", _("The threshold lies between 0 and 1"))]
        )
    busy = LinkageRun.objects.select_for_update().filter(
        status__in=[LinkageRun.Status.QUEUED, LinkageRun.Status.RUNNING]
    )
    if busy.exists():
        raise Conflict(_("A linkage run is already queued or running"), rule="linkage.run_busy")
    run = LinkageRun.objects.create(
        requested_by=actor if getattr(actor, "pk", None) else None,
        trigger=trigger,
        review_threshold=review,
        auto_threshold=max(review, limits["auto_threshold"]),
    )
    audit_record(
        actor=actor,
        action="linkage.run_requested",
        obj=run,
        source=source,
        division_code=getattr(actor, "division_id", "") or "",
        changes={"trigger": trigger, "review_threshold": review},
    )
    return run


def run_enqueue(run: LinkageRun) -> None:
    """Hand the run to the database worker once the request is committed."""
    from .tasks import linkage_run_task

    transaction.on_commit(lambda: linkage_run_task.enqueue(run.pk))


def _model(run: LinkageRun, std: pa.Table, *, retrain: bool, timings: dict) -> tuple[ModelVersion, dict]:
    from .engine import model_save, reestimate_u, train

    version = None if retrain else ModelVersion.objects.filter(active=True).first()
    if version is None:
        started = time.perf_counter()
        trained_on, records = f"this instance, {std.num_rows:,} records", std.num_rows
        try:
            model = train(std)
        except Exception:  # noqa: BLE001  (Splink refuses data without enough training pairs)
            # A registry holds each document number once, so EM may find no pairs to learn from: learn the
            # comparisons' m on the seeded test file of the same error model, then u on this instance's records.
            logger.warning("training on this instance's records failed; m from the generated test file")
            from .linkage_testfile import generate
            from .standardise import standardise

            generated = generate(GENERATED_TRAINING_RECORDS)
            model = train(standardise(generated.select(list(sources.INPUT_COLUMNS))))
            try:
                model = reestimate_u(model, std)
                trained_on = (
                    f"m from the generated test file ({generated.num_rows:,} records), "
                    f"u from this instance ({std.num_rows:,} records)"
                )
            except Exception:  # noqa: BLE001  (too few records here to sample pairs from)
                trained_on = f"generated test file, {generated.num_rows:,} records"
            records = generated.num_rows
        timings["train"] = round(time.perf_counter() - started, 2)
        version = model_save(
            model=model,
            trained_on=trained_on,
            records=records,
            stats={"seconds": timings["train"], "run": run.pk},
            actor=run.requested_by or SYSTEM,
        )
    return version, version.settings


def _person_pairs(pairs: pa.Table) -> pa.Table:
    """Pairs of two registry people (the review queue's business), from all scored pairs."""
    prefix = "registry.person:"
    left = pc.starts_with(pairs.column("record_id_l").cast(pa.string()), prefix)
    right = pc.starts_with(pairs.column("record_id_r").cast(pa.string()), prefix)
    return pairs.filter(pc.and_(left, right))


def queue_pairs(run: LinkageRun, model: dict, pairs: pa.Table) -> int:
    """Open pairs get this run's figures, new pairs join the queue, decided pairs are left alone."""
    from .engine import explain

    people = _person_pairs(pairs)
    gamma_columns = [c for c in people.column_names if c.startswith("gamma_")]
    existing = {
        (low, high): (pk, status)
        for pk, low, high, status in CandidatePair.objects.values_list(
            "pk", "person_low_id", "person_high_id", "status"
        )
    }
    fresh, update = [], []
    for row in people.to_pylist():
        a, b = sources.person_id_of(row["record_id_l"]), sources.person_id_of(row["record_id_r"])
        if a is None or b is None or a == b:
            continue
        low, high = min(a, b), max(a, b)
        gammas = {c[len("gamma_") :]: row[c] for c in gamma_columns if row[c] is not None}
        values = {
            "run": run,
            "match_probability": float(row["match_probability"]),
            "match_weight": float(row["match_weight"] or 0.0),
            "reasons": explain(model, gammas),
            "gammas": gammas,
            "near_certain": float(row["match_probability"]) >= run.auto_threshold,
        }
        known = existing.get((low, high))
        if known is None:
            fresh.append(CandidatePair(person_low_id=low, person_high_id=high, **values))
            existing[(low, high)] = (None, CandidatePair.Status.OPEN)
        elif known[1] == CandidatePair.Status.OPEN and known[0] is not None:
            update.append(CandidatePair(pk=known[0], **values))
    CandidatePair.objects.bulk_create(fresh, batch_size=1000)
    CandidatePair.objects.bulk_update(
        update, ["run", "match_probability", "match_weight", "reasons", "gammas", "near_certain"], batch_size=1000
    )
    return len(fresh) + len(update)


def run_execute(run_id: int, *, retrain: bool = False, evaluate: bool = False) -> LinkageRun:
    """Do a queued run: collect, standardise, score, cluster, queue, raise tasks; the run row records it all."""
    from .services.tasks import tasks_from_run

    with transaction.atomic():
        run = LinkageRun.objects.select_for_update().get(pk=run_id)
        if run.status != LinkageRun.Status.QUEUED:
            return run
        run.status = LinkageRun.Status.RUNNING
        run.started_at = timezone.now()
        run.save(update_fields=["status", "started_at"])
    started = time.perf_counter()
    timings: dict[str, float] = {}
    try:
        from .engine import cluster, predict
        from .standardise import standardise

        step = time.perf_counter()
        collected = sources.collect()
        timings["collect"] = round(time.perf_counter() - step, 2)
        step = time.perf_counter()
        std = standardise(collected.table)
        timings["standardise"] = round(time.perf_counter() - step, 2)
        version, model = _model(run, std, retrain=retrain, timings=timings)
        step = time.perf_counter()
        pairs = predict(std, model, threshold=run.review_threshold)
        clusters = cluster(std, pairs, threshold=run.review_threshold)
        timings["predict_and_cluster"] = round(time.perf_counter() - step, 2)
        with transaction.atomic():
            step = time.perf_counter()
            queued = queue_pairs(run, model, pairs)
            opened = tasks_from_run(run=run, std=std, clusters=clusters, places=collected.places)
            timings["queue_and_tasks"] = round(time.perf_counter() - step, 2)
            stats = {"timings": timings}
            if evaluate:
                from .services.evaluation import evaluate_run

                stats["evaluation"] = evaluate_run(std=std, pairs=pairs, clusters=clusters)
            run.model_version = version
            run.sources = collected.counts
            run.records = std.num_rows
            run.pairs = pairs.num_rows
            run.clusters = len(pc.unique(clusters.column("cluster_id")))
            run.queued = queued
            run.tasks = opened
            run.stats = stats
            run.status = LinkageRun.Status.DONE
            run.finished_at = timezone.now()
            run.seconds = round(time.perf_counter() - started, 2)
            run.save()
            audit_record(
                actor=run.requested_by or SYSTEM,
                action="linkage.run",
                obj=run,
                source="worker",
                changes={
                    "model": version.version,
                    "records": run.records,
                    "pairs": run.pairs,
                    "clusters": run.clusters,
                    "queued": queued,
                    "tasks": opened,
                },
            )
    except Exception as exc:
        logger.exception("linkage run %s failed", run_id)
        LinkageRun.objects.filter(pk=run_id).update(
            status=LinkageRun.Status.FAILED,
            finished_at=timezone.now(),
            seconds=round(time.perf_counter() - started, 2),
            error=f"{exc.__class__.__name__}: {exc}\n{traceback.format_exc(limit=5)}"[:4000],
        )
        raise
    return run
