"""Entity resolution (信息研判): trained linkage models, batch runs, the review queue and merges."""

from .review import CandidatePair, LinkageRun, LinkageTask, Merge  # noqa: F401  (L2: runs, queue, merges, tasks)
from .version import ModelVersion

__all__ = ["ModelVersion"]
