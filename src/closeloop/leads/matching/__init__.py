"""Unsupervised record matching (de-duplication and linkage): Fellegi–Sunter, fitted by EM."""

from closeloop.leads.matching.config import MatchConfig
from closeloop.leads.matching.fields import FieldSpec, FieldType
from closeloop.leads.matching.matcher import (
    MatchedPair,
    MatchResult,
    find_duplicates,
    link_records,
)

__all__ = [
    "FieldSpec",
    "FieldType",
    "MatchConfig",
    "MatchResult",
    "MatchedPair",
    "find_duplicates",
    "link_records",
]
