"""The w3id.org redirect rules for ``https://w3id.org/cyberframe/``, made for one deployment.

w3id.org keeps one Apache ``.htaccess`` per namespace in its registry
(https://github.com/perma-id/w3id.org); ours redirects every cyberframe IRI
with a 303 and content negotiation (W3C "Cool URIs for the Semantic Web" §4.3)
to the deployment that serves it. The rules live once, in
``static/w3id.htaccess``; this module writes them with the deployment's base
URL in place (``cyberframe export --format w3id --service-url URL``). The
repository's ``w3id/.htaccess`` is this export for :data:`CANONICAL_DEPLOYMENT`
(a test keeps the two equal; docs/releasing.md says how to move it).
"""

from __future__ import annotations

import re
from importlib.resources import files
from urllib.parse import urlsplit

from ..errors import ExportError
from ..progress import Progress, quiet

#: The deployment the committed ``w3id/.htaccess`` redirects to, in one place (docs/releasing.md).
CANONICAL_DEPLOYMENT = "https://cyberframe.example.org"
PLACEHOLDER = "@DEPLOYMENT@"
#: Hosts reserved for documentation and tests (RFC 2606, RFC 6761): not a real deployment.
RESERVED = re.compile(r"(^|\.)(example(\.(com|net|org))?|invalid|test|localhost)$")
_SAFE = re.compile(r"[A-Za-z0-9._~/:@!&'()*+,;=-]*")


def deployment_url(service_url: str | None) -> str:
    """*service_url* checked and without a trailing slash; :data:`CANONICAL_DEPLOYMENT` when None.

    The value ends up inside a ``RewriteRule`` flag, so only an absolute
    ``http``/``https`` URL of a host, an optional port and an optional path
    is taken: no query, no fragment, no space, ``%``, ``$`` or ``]``.
    """
    url = CANONICAL_DEPLOYMENT if service_url is None else service_url.strip().rstrip("/")
    parts = urlsplit(url)
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.query
        or parts.fragment
        or "#" in url
        or "?" in url
        or _SAFE.fullmatch(url) is None
    ):
        raise ExportError(
            f"--service-url for w3id takes the deployment's base URL, https://host[:port][/path], not {service_url!r}"
        )
    return url


def htaccess(service_url: str | None = None, *, progress: Progress = quiet) -> bytes:
    """The ``.htaccess`` for the w3id.org registry, redirecting to the deployment at *service_url*."""
    url = deployment_url(service_url)
    host = urlsplit(url).hostname or ""
    if RESERVED.search(host):
        progress(f"note: {host} is a reserved name (RFC 2606), not a deployment w3id.org can redirect to")
    template = files(__package__).joinpath("static", "w3id.htaccess").read_text(encoding="utf-8")
    if template.count(PLACEHOLDER) != 1:  # pragma: no cover - the shipped template has it once (a test)
        raise ExportError("the w3id template must name the deployment exactly once")
    return template.replace(PLACEHOLDER, url).encode("utf-8")
