"""The LM training order: a permutation per (seed, epoch), without a Python list as long as the corpus."""

from __future__ import annotations

import tracemalloc

import torch
from torch.utils.data import RandomSampler

from hubkit.train.samplers import CompactRandomSampler


def test_the_order_is_a_permutation_fixed_by_seed_and_epoch():
    """What a resumed run relies on: a fresh sampler set to epoch 1 repeats epoch 1 of the first,
    whatever torch's global generator has done in between."""
    sampler = CompactRandomSampler(1000, seed=7)
    first = list(sampler)
    sampler.set_epoch(1)
    second = list(sampler)
    assert sorted(first) == list(range(1000)) and first != second and len(sampler) == 1000
    torch.manual_seed(12345)
    torch.rand(10)
    resumed = CompactRandomSampler(1000, seed=7)
    resumed.set_epoch(1)
    assert list(resumed) == second
    assert list(CompactRandomSampler(1000, seed=8)) != first


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
    assert python_memory_of_first_index(CompactRandomSampler(rows, seed=0)) < 8 * 2**20
