"""Large freed blocks go back to the system at once (glibc's allocator; elsewhere nothing).

glibc serves a block of 128 KiB or more from a mapping of its own, but the first time such a
block is freed it raises that threshold to the block's size (up to 32 MiB), and from then on
blocks of takes and PCM come from the heap, which keeps them when they are freed. A process that
levels take after take then holds the high-water mark of everything it levelled: the command's
process peaked at 370 MB in a render of the reference (290 MB with the setting) and grew to
470 MB over a batch of twenty documents (300 MB with it). A fixed threshold (which also fixes
the heap's trim threshold) keeps every large block in a mapping of its own, unmapped when it is
freed."""

from __future__ import annotations

import ctypes
import sys

__all__ = ["give_back_large_blocks"]

M_MMAP_THRESHOLD = -3  # mallopt's parameter number in glibc's malloc.h
LARGE_BLOCK_BYTES = 128 * 1024  # glibc's own starting threshold


def give_back_large_blocks() -> bool:
    """Make this process return every freed block of 128 KiB or more to the system; whether the
    allocator took the setting (only glibc's does). For the processes that level and encode
    (the command's, the Ray producer's): each large block then costs a mapping and its page
    faults, about 1.5 % of a cold render's time. Not for the synthesis workers, whose memory
    does not grow and which would pay 7 %."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # no C library to ask, or one without mallopt
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, LARGE_BLOCK_BYTES))  # (musl's says 0: not taken)
