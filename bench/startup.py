"""Cold build against warm start of the knowledge graph (issue: build pipeline).

Prints the median of N runs of (a) a cold build in a fresh cache folder and
(b) ``cyberframe stats`` on the warm snapshot, both as separate processes, and
their ratio. Run: ``python bench/startup.py [--runs 5]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time


def timed(args: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(args, env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    cli = [sys.executable, "-m", "cyberframe.cli"]
    cold, warm = [], []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as cache:
            env = {**os.environ, "CYBERFRAME_CACHE_DIR": cache}
            cold.append(timed([*cli, "build"], env))
            for _ in range(1):
                warm.append(timed([*cli, "stats", "--format", "json"], env))
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "CYBERFRAME_CACHE_DIR": cache}
        timed([*cli, "build"], env)
        bare = [sys.executable, "-c", "import click, pyoxigraph"]
        baseline = statistics.median(timed(bare, env) for _ in range(runs))
    c, w = statistics.median(cold), statistics.median(warm)
    print(f"cold build (cyberframe build, fresh cache)   median of {runs}: {c:6.2f} s")
    print(f"warm start (cyberframe stats, warm snapshot) median of {runs}: {w:6.2f} s")
    print(f"python + imports alone (peer baseline)       median of {runs}: {baseline:6.2f} s")
    print(f"cold / warm ratio: {c / w:.0f}x; warm start above bare interpreter start: {w - baseline:.2f} s")


if __name__ == "__main__":
    main()
