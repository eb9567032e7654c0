"""Every threshold and parameter of the matcher, in one validated object with defaults."""

from __future__ import annotations

from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator


class MatchConfig(BaseModel):
    """How records are blocked, compared, weighed and decided; the defaults need no labels."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # Blocking: records sharing a key become a candidate pair.
    max_block_size: int = Field(
        20,
        ge=2,
        description="A key value shared by more records than this is too common to block on "
        "alone (a state, a frequent surname); other keys and conjunctions still pair them.",
    )
    conjunctions: bool = Field(
        True,
        description="Records that share two too-common keys of different fields (a common name "
        "and a birth month) still pair, through the combined key, if that block is small enough.",
    )
    window: int = Field(
        0,
        ge=0,
        description="Sorted-neighbourhood window on each key (records this close in key order "
        "are paired too, catching typos at the end of a key); 0 turns it off.",
    )
    # Comparison levels.
    similarity_high: float = Field(
        0.92, gt=0, le=1, description="Jaro-Winkler at or above this is the 'nearly equal' level."
    )
    similarity_low: float = Field(
        0.80, gt=0, le=1, description="Jaro-Winkler at or above this is the 'similar' level."
    )
    code_min_length_for_edits: int = Field(
        3,
        ge=1,
        description="Codes and numbers shorter than this must be equal; longer ones get a "
        "'one edit apart' level (a typo or two swapped digits).",
    )
    phone_suffix_digits: int = Field(
        7,
        ge=4,
        description="Two phones agree when one is the other's suffix of at least this many "
        "digits (a country or trunk prefix written or left out).",
    )
    cross_field: bool = Field(
        True,
        description="Compare names (and addresses) also across the fields of the same type, so "
        "that a given name and a surname written in each other's column still agree.",
    )
    term_frequencies: bool = Field(
        True,
        description="Weigh exact agreement by how common the value is: sharing a company with "
        "30 other records is weaker evidence than sharing one with 2.",
    )
    # Fellegi-Sunter estimated by expectation-maximisation.
    random_pairs: int = Field(
        20_000,
        ge=100,
        description="Random pairs that stand for all the pairs blocking did not list when u is "
        "estimated (nearly all non-matches).",
    )
    em_max_iterations: int = Field(200, ge=1, description="Upper bound on EM iterations.")
    em_tolerance: float = Field(
        1e-7, gt=0, description="EM stops when no probability moves by more than this."
    )
    u_prior_pairs: float = Field(
        100.0,
        ge=0,
        description="Weight, in pairs, of each type's built-in u (how often different people "
        "agree) against all pairs of the input: it decides only for inputs of a few dozen "
        "records.",
    )
    prior_strength: float = Field(
        10.0,
        ge=0,
        description="Pseudo-pairs pulling m towards its starting values and the match share among "
        "candidates towards 0.1 during EM: steadies tiny inputs (with 5, colleagues whose office "
        "numbers differ in one digit could pass for duplicates in a list of 15), negligible on "
        "thousands of pairs.",
    )
    probability_floor: float = Field(
        1e-5, gt=0, lt=0.01, description="m and u probabilities are kept at least this big."
    )
    # Decision.
    threshold: float = Field(
        0.5,
        gt=0,
        lt=1,
        description="A pair matches when its posterior match probability is at least this.",
    )
    cluster: bool = Field(
        True,
        description="De-duplication: close matched pairs into clusters (every two records of a "
        "cluster are a pair); a component is split where the evidence across adds up against "
        "it. Linkage always keeps pair-level decisions.",
    )
    max_cluster_size: int = Field(
        12,
        ge=2,
        description="Guard against chaining: a connected component larger than this is not "
        "closed; only its own matched pairs are kept.",
    )
    seed: int = Field(
        0, description="Seed of the random pairs: the same input gives the same output."
    )

    @model_validator(mode="after")
    def _levels_in_order(self) -> Self:
        if self.similarity_low > self.similarity_high:
            raise ValueError("similarity_low must not be above similarity_high")
        return self
