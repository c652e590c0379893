"""A training order whose memory is 8 bytes a row.

torch's ``RandomSampler`` turns each epoch's permutation into a Python list (about 36 bytes a row)
and the Trainer's length-grouped sampler builds several (over 50 bytes a row). For fine-tuning sets
that is nothing; for the blocks of a pre-training corpus it grows with the corpus (some 250 MB for
a 2 GB corpus's 4 million blocks). Blocks all have the block size, so grouping them by length has
nothing to group, and a random order kept as a tensor is all they need.
"""

from __future__ import annotations

from collections.abc import Iterator

import torch
from torch.utils.data import Sampler

# Indices turned into Python ints at a time.
CHUNK = 65_536


class CompactRandomSampler(Sampler[int]):
    """A random permutation per epoch, drawn from ``seed + epoch`` as accelerate's seedable sampler
    draws it, held as an int64 tensor and handed out a chunk at a time.

    The order depends on the seed and the epoch alone, so a run resumed mid-epoch (the Trainer sets
    the epoch, then skips the batches already trained) sees the order the uninterrupted run saw."""

    def __init__(self, num_rows: int, seed: int) -> None:
        self.num_rows = num_rows
        self.seed = seed
        self.epoch = 0

    def __len__(self) -> int:
        return self.num_rows

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __iter__(self) -> Iterator[int]:
        generator = torch.Generator()
        generator.manual_seed(self.seed + self.epoch)
        for chunk in torch.randperm(self.num_rows, generator=generator).split(CHUNK):
            yield from chunk.tolist()
