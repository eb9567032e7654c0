"""Clusters of duplicates: close the matched pairs transitively, split where evidence says no."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from closeloop.leads.matching.compare import FloatArray
from closeloop.leads.matching.table import IntArray

BoolArray = npt.NDArray[np.bool_]
# Scores pairs (left, right) not scored yet: the log of their Bayes factors.
PairScorer = Callable[[IntArray, IntArray], FloatArray]


def connected_components(size: int, left: IntArray, right: IntArray) -> IntArray:
    """Component label of every record (union-find with path halving)."""
    parent = list(range(size))

    def root(node: int) -> int:
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for a, b in zip(left.tolist(), right.tolist(), strict=True):
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return np.array([root(node) for node in range(size)], dtype=np.int64)


def split_by_evidence(evidence: FloatArray) -> list[list[int]]:
    """Groups of one component: greedy additive edge contraction on the pairs' evidence.

    Start from single records and keep merging the two groups whose pairs across add up to the
    most evidence, while that sum is positive. One weak link between two clusters whose other
    members disagree strongly is then not enough to join them, while a pair with some evidence
    against it stays inside a cluster the other pairs hold together.
    """
    weights = evidence.astype(np.float64, copy=True)
    np.fill_diagonal(weights, -np.inf)
    groups: list[list[int]] = [[k] for k in range(len(weights))]
    alive = list(range(len(weights)))
    while len(alive) > 1:
        sub = weights[np.ix_(alive, alive)]
        best = int(np.argmax(sub))
        i, j = divmod(best, len(alive))
        if not sub[i, j] > 0:
            break
        keep, gone = alive[i], alive[j]
        weights[keep, :] += weights[gone, :]
        weights[:, keep] += weights[:, gone]
        weights[keep, keep] = -np.inf
        groups[keep].extend(groups[gone])
        alive.remove(gone)
    return [sorted(groups[k]) for k in alive]


def close_clusters(
    size: int,
    left: IntArray,
    right: IntArray,
    evidence: FloatArray,
    *,
    max_cluster_size: int,
    score: PairScorer,
) -> tuple[IntArray, IntArray, FloatArray, BoolArray]:
    """Every pair within each cluster of the matched pairs, flagging the pairs it added.

    ``evidence`` is the log Bayes factor of each matched pair. Components of 3 to
    ``max_cluster_size`` records are scored pair by pair (pairs not matched yet through
    ``score``). A component whose pairs all have positive evidence is one cluster; any other is
    split by evidence. Larger components keep their pair-level decisions.
    """
    labels = connected_components(size, left, right)
    component_size = np.bincount(labels, minlength=size)[labels]
    closable = (component_size >= 3) & (component_size <= max_cluster_size)
    if not closable[left].any():
        return left, right, evidence, np.zeros(len(left), dtype=bool)
    members = np.flatnonzero(closable)
    members = members[np.argsort(labels[members], kind="stable")]
    starts = np.flatnonzero(np.r_[True, labels[members][1:] != labels[members][:-1]])
    sizes = np.diff(np.r_[starts, len(members)])
    # Every pair within every closable component, with the component's number.
    pair_left, pair_right, pair_group = [], [], []
    for n in np.unique(sizes).tolist():
        chosen = np.flatnonzero(sizes == n)
        grid = members[starts[chosen][:, None] + np.arange(n)[None, :]]
        first, second = np.triu_indices(n, 1)
        pair_left.append(grid[:, first].ravel())
        pair_right.append(grid[:, second].ravel())
        pair_group.append(np.repeat(chosen, len(first)))
    all_left = np.concatenate(pair_left)
    all_right = np.concatenate(pair_right)
    group = np.concatenate(pair_group)
    low, high = np.minimum(all_left, all_right), np.maximum(all_left, all_right)
    matched_codes = left * size + right
    order = np.argsort(matched_codes)
    codes = low * size + high
    where = np.minimum(np.searchsorted(matched_codes[order], codes), len(order) - 1)
    known = matched_codes[order][where] == codes
    weights = np.empty(len(codes))
    weights[known] = evidence[order][where[known]]
    if (~known).any():
        weights[~known] = score(low[~known], high[~known])
    # A component with any pair of non-positive evidence is split; the rest are closed whole.
    doubtful = np.bincount(group, weights=(weights <= 0), minlength=len(starts)) > 0
    keep = ~doubtful[group]
    for k in np.flatnonzero(doubtful).tolist():
        mask = group == k
        count = int(sizes[k])
        matrix = np.zeros((count, count))
        first, second = np.triu_indices(count, 1)  # the order the pairs were made in
        matrix[first, second] = matrix[second, first] = weights[mask]
        cluster_of = np.empty(count, dtype=np.int64)
        for number, cluster in enumerate(split_by_evidence(matrix)):
            cluster_of[cluster] = number
        keep[np.flatnonzero(mask)] = cluster_of[first] == cluster_of[second]
    outside = ~closable[left]
    return (
        np.r_[left[outside], low[keep]],
        np.r_[right[outside], high[keep]],
        np.r_[evidence[outside], weights[keep]],
        np.r_[np.zeros(int(outside.sum()), dtype=bool), ~known[keep]],
    )
