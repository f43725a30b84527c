"""Coverage report times: a Statement of Applicability of all 93 ISO/IEC 27002:2022 controls.

    .venv/bin/python bench/coverage.py [--runs 20]

Prints the median and the fastest of several runs, each timed from the SoA's
CSV bytes to the finished report in every format: reading and normalising the
rows, the analysis through the chosen mapping sets (both TS 27103 routes, and
CSF 2.0 through NIST's references), and rendering table, CSV, JSON and HTML.
The graph's frameworks and records are read once per build and kept; the
first run, which reads them, is reported on its own.
"""

from __future__ import annotations

import argparse
import statistics
import time

from cyberframe.coverage import analyse, knowledge, read_input
from cyberframe.coverage_render import FORMATS, render
from cyberframe.knowledge import open_knowledge_graph


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    kg = open_knowledge_graph()
    started = time.perf_counter()
    know = knowledge(kg)
    first = time.perf_counter() - started
    soa = ("control,status\n" + "".join(f"{c},implemented\n" for c in know.controls)).encode()
    times = []
    for _ in range(args.runs):
        started = time.perf_counter()
        report = analyse(kg, read_input(soa, "soa.csv", kg), ("ts27103", "via-csf20"))
        for fmt in FORMATS:
            render(report, fmt)
        times.append(time.perf_counter() - started)
    print(f"reading the graph's frameworks and records (once per build): {first * 1000:.0f} ms")
    print(f"report for {len(know.controls)} controls, 4 formats, {args.runs} runs: "
          f"median {statistics.median(times) * 1000:.1f} ms, fastest {min(times) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
