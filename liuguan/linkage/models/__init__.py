"""Entity resolution (信息研判): trained linkage models, batch runs, the review queue and merges."""

from .version import ModelVersion

__all__ = ["ModelVersion"]
