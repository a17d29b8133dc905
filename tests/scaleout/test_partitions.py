"""Partitions of purchasers: whole purchasers, balanced by workload, deterministic."""

from __future__ import annotations

import pytest

from fms.scaleout.partitions import partition_purchasers


@pytest.mark.parametrize(
    ("workload", "partitions", "expected"),
    [
        # heaviest first, each to the lightest group: UK(9) | FR(5) then DE(4) -> 9 | 5+4
        ({"UK": 9, "FR": 5, "DE": 4}, 2, [["UK"], ["DE", "FR"]]),
        # more partitions than purchasers: one purchaser each, no empty group
        ({"UK": 1, "FR": 2}, 5, [["FR"], ["UK"]]),
        # equal weights: ties go to the first lightest group, names in order
        ({"A1": 1, "B1": 1, "C1": 1, "D1": 1}, 2, [["A1", "C1"], ["B1", "D1"]]),
        # no purchaser at all: still one (empty) partition, so every mart gets its columns
        ({}, 3, [[]]),
        # a purchaser without cases weighs 0 and still has a place
        ({"UK": 3, "ZZ": 0}, 2, [["UK"], ["ZZ"]]),
    ],
)
def test_partitions_keep_each_purchaser_whole_and_balance_the_workload(
    workload, partitions, expected
):
    assert partition_purchasers(workload, partitions) == expected


def test_every_purchaser_is_in_exactly_one_partition():
    workload = {f"P{i}": (i * 37) % 11 for i in range(25)}
    groups = partition_purchasers(workload, 4)
    assert len(groups) == 4
    assert sorted(p for g in groups for p in g) == sorted(workload)


def test_zero_partitions_is_refused():
    with pytest.raises(ValueError, match="at least 1"):
        partition_purchasers({"UK": 1}, 0)
