"""Time ``cyberframe load`` into an Oxigraph server and into Virtuoso (docs/benchmarks.md, "Loading a store").

    python bench/load_store.py [--runs 3] [--stores oxigraph virtuoso]

N times per store: start the store empty as the tests do (tests/store_support.py:
127.0.0.1, a temporary folder), run ``cyberframe load`` as a separate process
(the first load), run it again (a rerun, which replaces every graph), stop the
store. Prints, for both, the median of the time ``cyberframe load`` reports
(the PUTs and the count check, without the process start and the snapshot
read), the triples per second that makes, and the median wall time of the
whole process; and the triple total.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from store_support import VIRTUOSO, OxigraphServer, StoreServer, VirtuosoServer, free_port  # noqa: E402

_REPORTED = re.compile(r"loaded in ([\d.]+) s: (\d+) triples in (\d+) graphs")


def start(kind: str) -> StoreServer:
    location = Path(tempfile.mkdtemp(prefix=f"cyberframe-bench-{kind}-"))
    store: StoreServer
    if kind == "oxigraph":
        store = OxigraphServer(location, free_port())
    else:
        store = VirtuosoServer(location, free_port(), free_port())
    store.prepare()
    store.start()
    return store


def run_load(store: StoreServer) -> tuple[float, float, int, int]:
    """One ``cyberframe load`` process: wall seconds, the seconds it reports, triples, graphs."""
    command = [sys.executable, "-m", "cyberframe.cli", "load", *store.load_args()]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"cyberframe load failed ({done.returncode}):\n{done.stderr}")
    match = _REPORTED.search(done.stdout)
    if match is None:
        raise SystemExit(f"unexpected output: {done.stdout}")
    return wall, float(match.group(1)), int(match.group(2)), int(match.group(3))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--stores", nargs="+", choices=["oxigraph", "virtuoso"], default=["oxigraph", "virtuoso"])
    args = parser.parse_args()
    subprocess.run([sys.executable, "-m", "cyberframe.cli", "build", "--if-stale"], check=True, capture_output=True)
    triples = graphs = 0
    print(f"{'store':10s} {'load':8s} {'median':>8s} {'triples/s':>10s} {'process':>9s}  runs")
    for kind in args.stores:
        if kind == "virtuoso" and VIRTUOSO is None:
            print(f"{kind:10s} skipped: virtuoso-t not found")
            continue
        first, again = [], []
        for _ in range(args.runs):
            store = start(kind)
            try:
                first.append(run_load(store))
                again.append(run_load(store))
            finally:
                store.stop()
                shutil.rmtree(store.location, ignore_errors=True)
        triples, graphs = first[0][2], first[0][3]
        for label, runs in (("first", first), ("rerun", again)):
            load = statistics.median(r[1] for r in runs)
            wall = statistics.median(r[0] for r in runs)
            each = ", ".join(f"{r[1]:.2f}" for r in runs)
            print(f"{kind:10s} {label:8s} {load:6.2f} s {triples / load:10.0f} {wall:7.2f} s  {each}")
    if triples:
        print(f"dataset: {triples} triples in {graphs} named graphs")


if __name__ == "__main__":
    main()
