"""Freed audio-sized blocks go back to the system (tts_pipeline.heap), in a process of its own:
the allocator's settings are per process and cannot be undone."""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(
    platform.libc_ver()[0] != "glibc", reason="the setting is glibc's allocator's"
)

# A take-sized block freed (glibc then keeps blocks that size in its heap), then 200 MiB of
# such blocks with small blocks between them (which pin the heap), all freed: resident MiB before
# and after.
FREE_200_MIB = """
import sys
from tts_pipeline.heap import give_back_large_blocks
if sys.argv[1] == "give-back":
    assert give_back_large_blocks()
def resident_mib():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) // 1024
first = b"x" * (1 << 20)
del first
large, small = [], []
for i in range(200):
    large.append(bytes([i % 251]) * (1 << 20))
    small.append(bytes([i % 251]) * 2000)
before = resident_mib()
del large
print(before, resident_mib())
"""


def _freed_mib(mode: str) -> int:
    out = subprocess.run(
        [sys.executable, "-c", FREE_200_MIB, mode], capture_output=True, text=True, check=True
    ).stdout
    before, after = map(int, out.split())
    return before - after


def test_freed_large_blocks_leave_the_process() -> None:
    assert _freed_mib("give-back") >= 180


def test_without_the_setting_the_heap_keeps_them() -> None:
    # The behaviour the setting exists for: were it glibc's default, the test above would say
    # nothing.
    assert _freed_mib("default") < 40
