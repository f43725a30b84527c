#!/bin/sh
# Refresh the web UI's screenshots in tests/artifacts/: the browser tests (tests/test_browser.py, Playwright
# driving Debian's chromium against a real `cyberframe serve` on 127.0.0.1) take one per page type at 390 px
# (390-*.png, the first screen) and one per journey at 1280 px (full page). Old screenshots are removed first,
# so the folder holds exactly what this run saw. The folder is git-ignored.
# Usage: tools/refresh-screenshots.sh [PYTEST ARGUMENTS...]   (from anywhere; e.g. -k phone)
# Needs: /usr/bin/chromium (apt-get install chromium) and the test extra (pip install -e '.[test]').
# PYTHON selects the interpreter (default: python3 on PATH).
set -eu
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
ARTIFACTS="$ROOT/tests/artifacts"
PYTHON="${PYTHON:-python3}"
if [ ! -x /usr/bin/chromium ]; then
    echo "refresh-screenshots: needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)" >&2
    exit 2
fi
"$PYTHON" -c "import playwright.sync_api" 2>/dev/null || {
    echo "refresh-screenshots: $PYTHON has no playwright; install the test extra: pip install -e '.[test]'" >&2
    exit 2
}
mkdir -p "$ARTIFACTS"
rm -f "$ARTIFACTS"/*.png
cd "$ROOT"
"$PYTHON" -m pytest tests/test_browser.py -m slow -p no:cacheprovider -q "$@"
COUNT="$(find "$ARTIFACTS" -maxdepth 1 -name '*.png' | wc -l)"
if [ "$COUNT" -eq 0 ]; then
    echo "refresh-screenshots: no screenshot was taken (were the browser tests skipped?)" >&2
    exit 1
fi
echo "refresh-screenshots: $COUNT screenshots in tests/artifacts/"
