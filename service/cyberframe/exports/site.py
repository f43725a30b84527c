"""The documentation site: ``docs/`` and the public API's docstrings built by MkDocs, as a zip archive.

``cyberframe export --format site -o cyberframe-docs.zip`` runs ``mkdocs build
--strict`` on ``mkdocs.yml`` (Material theme, mkdocstrings for the Python API
reference) and packs the site: unzip it anywhere and open ``index.html``, or
serve the folder with any static web server. Strict mode fails on a broken
link, an unknown anchor or a docstring reference that does not resolve, so
an archive exists only for a sound site. The sources are in a source checkout
and in the sdist, not in the wheel; MkDocs comes with the ``docs`` extra.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tempfile
import zipfile
from importlib.util import find_spec
from pathlib import Path

from ..errors import ExportError
from ..progress import Progress, quiet
from ..resources import source_root

#: Seconds a build may take before it is given up (a cold build takes a few).
BUILD_TIMEOUT = 300
#: The fixed timestamp of every archive member (the ZIP epoch): the same files make the same archive.
EPOCH = (1980, 1, 1, 0, 0, 0)


def build_site(target: Path, *, progress: Progress = quiet) -> int:
    """Build the site into the folder *target* with ``mkdocs build --strict``; the number of pages.

    Raises :class:`ExportError` when the sources or MkDocs are missing, or the
    build fails (its log's last lines say why).
    """
    root = source_root()
    if root is None:
        raise ExportError(
            "the documentation site is built from docs/ and mkdocs.yml, which are in a source checkout and in "
            "the sdist but not in an installed wheel; run this from a checkout or an unpacked sdist"
        )
    missing = [name for name in ("mkdocs", "material", "mkdocstrings_handlers.python") if _absent(name)]
    if missing:
        needed = ", ".join(missing)
        raise ExportError(f"building the site needs MkDocs ({needed} missing): pip install 'cyberframe[docs]'")
    progress("building the documentation site with MkDocs (strict)")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    command = [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "--config-file", "mkdocs.yml"]
    try:
        done = subprocess.run(
            [*command, "--site-dir", str(target)],
            cwd=root,  # mkdocs.yml names docs/, its hook and the snippets' base relative to the repository
            capture_output=True,
            text=True,
            timeout=BUILD_TIMEOUT,
            env=env,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise ExportError(f"mkdocs build took more than {BUILD_TIMEOUT} s") from exc
    if done.returncode != 0:
        log = (done.stdout + done.stderr).strip().splitlines()
        raise ExportError("mkdocs build --strict failed:\n" + "\n".join(log[-20:]))
    pages = sum(1 for page in target.rglob("*.html") if page.name != "404.html")
    progress(f"built {pages} pages")
    return pages


def _absent(module: str) -> bool:
    try:
        return find_spec(module) is None
    except ModuleNotFoundError:
        return True


def export_site(*, progress: Progress = quiet) -> bytes:
    """The built site as a zip archive (members under ``cyberframe-docs/``, in name order)."""
    with tempfile.TemporaryDirectory(prefix="cyberframe-site-") as folder:
        site = Path(folder) / "site"
        build_site(site, progress=progress)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(p for p in site.rglob("*") if p.is_file()):
                member = zipfile.ZipInfo("cyberframe-docs/" + path.relative_to(site).as_posix(), EPOCH)
                member.compress_type = zipfile.ZIP_DEFLATED
                member.external_attr = 0o644 << 16
                archive.writestr(member, path.read_bytes())
        return buffer.getvalue()
