"""Run every fuzz target for a bounded time (FUZZ_SECONDS, default 60) on its seed corpus.

Fails on any crash libFuzzer reports (an uncaught exception, a warning, a timeout), showing
the end of its log and where the crashing input was saved. tests/fuzz/README.md has the longer
run and how to replay a crash.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys

import pytest

from tests.fuzz.harness import HERE, REPO, TARGETS, seed_files

SECONDS = int(os.environ.get("FUZZ_SECONDS", "60"))


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_fuzz_target(target, tmp_path):
    if importlib.util.find_spec("atheris") is None:
        pytest.fail("atheris is not installed (the [test] extra; .ci/run installs it)")
    seeds = seed_files(TARGETS[target])
    assert seeds, f"no seeds for {target}"
    corpus, artifacts = tmp_path / "corpus", tmp_path / "artifacts"
    corpus.mkdir()
    artifacts.mkdir()
    for s in seeds:  # libFuzzer adds new inputs to the corpus: never the committed folder
        shutil.copyfile(s, corpus / s.name)
    env = dict(os.environ, PYTHONHASHSEED="0", TF_CPP_MIN_LOG_LEVEL="3")
    cmd = [sys.executable, str(HERE / target), str(corpus), f"-max_total_time={SECONDS}",
           "-timeout=20", "-rss_limit_mb=4096", "-print_final_stats=1",
           f"-artifact_prefix={artifacts}/"]
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=SECONDS + 240)
    log = proc.stdout + proc.stderr
    crashes = sorted(p.name for p in artifacts.iterdir())
    tail = "\n".join(log.splitlines()[-40:])
    assert proc.returncode == 0 and not crashes, (
        f"{target} crashed (exit {proc.returncode}); inputs saved in {artifacts}: "
        f"{crashes}\n{tail}")
    runs = [line for line in log.splitlines() if line.startswith("Done ")]
    assert runs, f"libFuzzer did not finish its run:\n{tail}"
