"""Browser-facing security headers on every response (docs/http.md, "Security headers").

* ``Content-Security-Policy`` (CSP Level 3) on every HTML (and SVG) answer:
  scripts, styles, images and fonts from the site itself only - no
  ``'unsafe-inline'``, no ``'unsafe-eval'`` - no plugins (``object-src
  'none'``), no ``<base>`` elsewhere (``base-uri 'self'``), forms post only to
  the site (``form-action 'self'``), and framing only by the origins of the
  ``frame_ancestors`` setting (none by default). ``connect_sources`` adds
  origins the pages' scripts may query (another SPARQL endpoint). A page that
  must allow a library's fixed inline ``<style>`` sets its own policy with
  :meth:`SecurityHeaders.with_style_hashes` (the SPARQL editor). Every
  other answer (JSON, RDF, text, a download) gets ``default-src 'none'`` and
  the same framing rule: opened in a browser, it can load nothing.
* ``X-Content-Type-Options: nosniff`` (Fetch standard, §X-Content-Type-Options)
  and ``Referrer-Policy: same-origin`` (Referrer Policy §3) on every answer,
  plus the legacy ``X-Frame-Options`` where the framing rule has an
  equivalent (``DENY``, ``SAMEORIGIN``).
* ``Strict-Transport-Security`` (RFC 6797) when the ``public_url`` setting
  is an ``https://`` address.

The policy is built once per app from the settings; a malformed source list
stops the app from starting (:class:`~cyberframe.settings.SettingsError`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask import Flask, Response, current_app

from ..settings import Settings, SettingsError

#: RFC 6797 §6.1.1: a year, the figure the HSTS preload list asks for.
HSTS_MAX_AGE = 365 * 24 * 3600
REFERRER_POLICY = "same-origin"
#: Media types whose documents can run script, and so get the whole policy.
DOCUMENT_TYPES = ("text/html", "application/xhtml+xml", "image/svg+xml")

# CSP3 §2.3.1 source expressions, restricted to what an operator needs here: the keywords, a scheme
# (``https:``) or an origin with an optional wildcard host prefix and port. No paths, no quotes but the
# keywords' own, nothing that could end a directive (``;``, ``,``).
_KEYWORDS = ("'self'", "'none'")
_SOURCE = re.compile(r"^(?:https?:|https?://(?:\*\.)?[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*(?::(?:\d{1,5}|\*))?)$")


def source_list(value: str | None, setting: str, *, none_allowed: bool) -> list[str]:
    """The CSP source expressions of a setting's space-separated *value*; raises SettingsError if malformed."""
    tokens = (value or "").split()
    for token in tokens:
        if token in _KEYWORDS:
            if token == "'none'" and (not none_allowed or len(tokens) > 1):
                raise SettingsError(f"{setting}: 'none' must stand alone" if none_allowed else f"{setting}: no 'none'")
            continue
        if not _SOURCE.match(token):
            raise SettingsError(
                f"{setting}: {token!r} is not a CSP source: give 'self', 'none', a scheme (https:) "
                "or an origin such as https://example.org"
            )
    return tokens


@dataclass(frozen=True)
class SecurityHeaders:
    """The headers one app adds, computed once from its settings."""

    policy: str  #: Content-Security-Policy of documents
    data_policy: str  #: Content-Security-Policy of everything else (data, text, downloads): nothing may load
    always: tuple[tuple[str, str], ...]  #: headers of every response

    @classmethod
    def from_settings(cls, settings: Settings) -> SecurityHeaders:
        ancestors = source_list(settings.frame_ancestors, "frame_ancestors", none_allowed=True) or ["'none'"]
        connect = source_list(settings.connect_sources, "connect_sources", none_allowed=False)
        directives = [
            ("default-src", ["'none'"]),
            ("script-src", ["'self'"]),
            ("style-src", ["'self'"]),
            ("img-src", ["'self'", "data:"]),
            ("font-src", ["'self'"]),
            ("connect-src", ["'self'", *[c for c in connect if c != "'self'"]]),
            ("manifest-src", ["'self'"]),
            ("object-src", ["'none'"]),
            ("base-uri", ["'self'"]),
            ("form-action", ["'self'"]),
            ("frame-ancestors", ancestors),
        ]
        policy = "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives)
        always = [("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", REFERRER_POLICY)]
        legacy = {"'none'": "DENY", "'self'": "SAMEORIGIN"}.get(" ".join(ancestors))
        if legacy:
            always.append(("X-Frame-Options", legacy))
        if (settings.public_url or "").lower().startswith("https://"):
            always.append(("Strict-Transport-Security", f"max-age={HSTS_MAX_AGE}"))
        data_policy = f"default-src 'none'; frame-ancestors {' '.join(ancestors)}"
        return cls(policy, data_policy, tuple(always))

    def with_style_hashes(self, hashes: tuple[str, ...]) -> str:
        """The document policy allowing, besides the site's stylesheets, the inline ``<style>`` elements
        whose SHA-256 digests are *hashes* (CSP3 §8.4: hash-source) - for a library that injects fixed CSS."""
        extra = " ".join(f"'sha256-{digest}'" for digest in hashes)
        return self.policy.replace("style-src 'self'", f"style-src 'self' {extra}", 1)

    def apply(self, response: Response) -> Response:
        """Add the headers to *response* (an ``after_request`` function); a policy already set is kept."""
        for name, value in self.always:
            response.headers.setdefault(name, value)
        policy = self.policy if response.mimetype in DOCUMENT_TYPES else self.data_policy
        response.headers.setdefault("Content-Security-Policy", policy)
        return response


EXTENSION = "cyberframe-security"


def install(app: Flask, settings: Settings) -> SecurityHeaders:
    """Add the security headers to every response of *app* (kept in ``app.extensions``)."""
    headers = SecurityHeaders.from_settings(settings)
    app.after_request(headers.apply)
    app.extensions[EXTENSION] = headers
    return headers


def security_headers() -> SecurityHeaders:
    """The :class:`SecurityHeaders` of the app handling the current request."""
    headers: SecurityHeaders = current_app.extensions[EXTENSION]
    return headers
