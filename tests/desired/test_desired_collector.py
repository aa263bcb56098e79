"""A load runs with the cyclic collector paused, and hands the C heap's free pages back after,
whether it succeeded or not."""

from __future__ import annotations

import gc
import platform

import pytest

from reconciler.desired import collector


def test_a_pausing_function_runs_without_the_collector_and_releases_after(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    released: list[bool] = []
    monkeypatch.setattr(collector, "release", lambda: released.append(gc.isenabled()) or True)

    @collector.pausing
    def load(fail: bool) -> bool:
        if fail:
            raise ValueError("broken file")
        return gc.isenabled()

    assert gc.isenabled()
    assert load(False) is False  # paused inside
    with pytest.raises(ValueError, match="broken file"):
        load(True)
    assert released == [True, True]  # after each, the collector on again
    assert gc.isenabled()


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's malloc_trim")
def test_release_trims_the_c_heap_with_glibc() -> None:
    assert collector.release() is True
