"""Server time per web page on the shipped graph. A benchmark, not a test.

Runs the app in this process (Flask's test client: no sockets, so the figure
is the server's own time) with the answer cache switched off, so that every
request renders its page afresh. For each page: the first request (which may
build the page index, the heatmaps or an export once per process) and the
median of the next ``--repeat`` requests.

    .venv/bin/python bench/pages.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import statistics
import time

from cyberframe.service import create_app

ACCEPT = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
PAGES = [
    "/",
    "/search?q=monitoring",
    "/controls",
    "/controls?type=Detective&concept=Detect",
    "/heatmaps",
    "/heatmap/functions-themes.svg",
    "/heatmap/function/PR.svg",
    "/sparql",
    "/sparql/results?query=SELECT+%2A+WHERE+%7B+%3Fs+a+%3Chttps%3A%2F%2Fw3id.org%2Fcyberframe%2Fontology%23Function%3E+%7D",
    "/validate",
    "/ontology",
    "/shapes",
    "/id/framework/ts27103",
    "/id/function/PR",
    "/id/category/PR.AC",
    "/id/subcategory/DE.CM-1",
    "/id/control/iso-iec-27002-2022/8.16",
    "/id/control/iso-iec-27002-2013/12.4.1",
    "/id/clause/iso-iec-27001-2022/6.1.3",
    "/id/standard/iso-iec-27002-2022",
    "/id/mapping-set/ts27103-standards",
    "/id/mapping/ts27103-iso27002-2022/DE.AE-1--5.37",
    "/id/theme/technological",
    "/id/csf20-subcategory/DE.CM-01",
    "/id/subcategory/DE.CM-1?format=turtle",
    "/id/subcategory/DE.CM-1?format=jsonld",
    "/id/function/XX",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    app = create_app({"access_log": False, "cache_mb": 0, "workers": 1, "start_workers": True})
    client = app.test_client()
    print(f"{'page':<70} {'status':>6} {'bytes':>8} {'first ms':>9} {'median ms':>10}")
    worst = 0.0
    for path in PAGES:
        started = time.perf_counter()
        response = client.get(path, headers=ACCEPT)
        first = (time.perf_counter() - started) * 1000
        times = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            client.get(path, headers=ACCEPT)
            times.append((time.perf_counter() - started) * 1000)
        median = statistics.median(times)
        worst = max(worst, median)
        shown = path if len(path) <= 70 else path[:67] + "..."
        print(f"{shown:<70} {response.status_code:>6} {len(response.data):>8} {first:>9.1f} {median:>10.1f}")
    print(f"slowest median: {worst:.1f} ms (target: under 100 ms)")


if __name__ == "__main__":
    main()
