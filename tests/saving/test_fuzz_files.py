"""Seeded mutations of real Keras 2/3 files and of lstmkit's own (bytes flipped and zeroed, truncation,
archive entries, config values, HDF5 datasets and attributes), each loaded by a worker process under a
time and memory limit: every one gives a ValueError/OSError naming the file, or loads and predicts.

One worker loads all the files in turn (restarted if it dies or hangs), so the cost is the loads
themselves. `python -m bench.fuzz_files --n 2000` runs more of them.
"""

import os

import pytest

from bench import fuzz_files

N_FILES = 200
SEED = 20261202
TIMEOUT_S = 20  # per file; a load takes well under a second
MEMORY_BYTES = 3 << 30


@pytest.mark.skipif(not hasattr(os, "fork") or os.name != "posix", reason="needs resource limits (POSIX)")
def test_mutated_files_give_a_clear_error_or_load(tmp_path):
    sources = fuzz_files.fixture_sources() + fuzz_files.lstmkit_sources(str(tmp_path / "sources"))
    cases = fuzz_files.make_cases(N_FILES, SEED, str(tmp_path), sources)
    fuzz_files.run_cases(cases, timeout=TIMEOUT_S, mem_bytes=MEMORY_BYTES)
    bad = [c for c in cases if c["result"]["outcome"] not in fuzz_files.GOOD]
    report = "\n".join(f"{c['result']['outcome']}: {os.path.basename(c['path'])} <- {c['source']} ({c['what']}): "
                       f"{c['result']['detail'][:200]}" for c in bad[:15])
    assert not bad, f"{len(bad)} of {len(cases)} mutated files:\n{report}\n\n{fuzz_files.summary_table(cases)}"
    outcomes = {c["result"]["outcome"] for c in cases}
    assert outcomes == {"clear error", "loaded"}, outcomes  # both kinds occur: the mutations are neither all fatal
    slow = [c for c in cases if (c["result"]["seconds"] or 0) > 10]
    assert not slow, [(c["what"], c["result"]["seconds"]) for c in slow]
