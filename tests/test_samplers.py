"""The LM training order: RandomSampler's own order, without a Python list as long as the corpus."""

from __future__ import annotations

import tracemalloc

import torch
from torch.utils.data import RandomSampler

from hubkit.train.samplers import CompactRandomSampler


def test_the_order_is_random_samplers_epoch_after_epoch():
    torch.manual_seed(7)
    expected = [list(RandomSampler(range(1000))) for _ in range(2)]
    torch.manual_seed(7)
    sampler = CompactRandomSampler(1000)
    assert [list(sampler) for _ in range(2)] == expected
    assert len(sampler) == 1000 and expected[0] != expected[1] and sorted(expected[0]) == list(range(1000))


def python_memory_of_first_index(sampler) -> int:
    """Peak Python allocation (bytes) of starting an epoch and drawing its first index."""
    tracemalloc.start()
    try:
        iterator = iter(sampler)
        next(iterator)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_an_epoch_of_four_million_blocks_holds_no_list_of_them():
    """4.2 million rows: the blocks of a 2 GB corpus at block size 128."""
    rows = 4_200_000
    assert python_memory_of_first_index(RandomSampler(range(rows))) > 100 * 2**20  # what the default holds
    assert python_memory_of_first_index(CompactRandomSampler(rows)) < 8 * 2**20
