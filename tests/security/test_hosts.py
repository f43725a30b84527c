"""The Host header never reaches another client's answer.

Without ``public_url``, absolute URLs follow each request's Host, and what is
remembered (page cache, query plans) is keyed by it: one request with
``Host: evil.example`` must not change what an ordinary client is shown. With
``public_url`` every absolute URL comes from the configuration, and with
``trusted_hosts`` another Host is refused with 400. No Host makes the service
connect anywhere: a listener on 127.0.0.1 named as the Host sees nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from hardening_support import assert_up, listener, timed

from sparql_support import Server, start_server

pytestmark = pytest.mark.slow

QUICK = 10.0
PUBLIC = "https://sparql.example.org/cf"

#: (path, Accept): every route that shows an absolute URL built from the request.
ABSOLUTE = [
    ("/sparql/results?query=ASK%20%7B%7D%20%23{tag}", "text/html"),
    ("/sparql/results?query=SELECT%20(1%20AS%20%3Fx)%20%7B%7D%20%23{tag}", "text/html"),
    ("/sparql", "text/html"),
    ("/sparql", "text/turtle"),
    ("/openapi.json", "application/json"),
    ("/.well-known/void", "text/turtle"),
    ("/queries", "application/json"),
    ("/validate", "text/html"),
]


def _fetch(server: Server, path: str, accept: str, host: str | None = None):
    headers = {"Accept": accept}
    if host is not None:
        headers["Host"] = host
    return server.request("GET", path, headers=headers)


@pytest.mark.parametrize(("path", "accept"), ABSOLUTE)
def test_a_poisoned_host_never_reaches_an_ordinary_client(server: Server, path: str, accept: str) -> None:
    path = path.format(tag=uuid.uuid4().hex)
    with listener() as (port, seen):
        evil_hosts = ["evil.example", f"127.0.0.1:{port}"]
        for host in evil_hosts:
            poisoned, seconds = timed(lambda host=host: _fetch(server, path, accept, host))
            assert poisoned.status == 200 and seconds < QUICK, (host, poisoned.status)
        for _ in range(2):  # the first from cache or made, the second surely from cache
            ordinary = _fetch(server, path, accept)
            assert ordinary.status == 200
            for host in evil_hosts:
                assert host.encode() not in ordinary.body, f"{path} shows {host} to an ordinary client"
            assert f"127.0.0.1:{server.port}".encode() in ordinary.body or path.startswith("/sparql/results")
    assert seen == [], "the service connected to the host a client named"
    assert_up(server)


def test_plans_of_a_poisoned_host_are_not_shared(server: Server) -> None:
    """The base IRI of a query is the endpoint's URL: a poisoned GET's plan must not serve another client."""
    query = f"SELECT (IRI('x') AS ?i) WHERE {{}} # {uuid.uuid4().hex}"
    accept = {"Accept": "application/sparql-results+json"}
    poisoned = server.get({"query": query}, headers={**accept, "Host": "evil.example"})
    assert poisoned.status == 200 and poisoned.json()["results"]["bindings"][0]["i"]["value"] == "http://evil.example/x"
    ordinary = server.get({"query": query}, headers=accept)
    assert ordinary.status == 200
    assert ordinary.json()["results"]["bindings"][0]["i"]["value"] == f"http://127.0.0.1:{server.port}/x"


@pytest.fixture(scope="module")
def public(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server with a public URL and trusted hosts (a deployment behind a reverse proxy)."""
    log = tmp_path_factory.mktemp("public") / "serve.log"
    args = ["--workers", "1", "--public-url", PUBLIC, "--trusted-hosts", "127.0.0.1,sparql.example.org"]
    server = start_server(request, args, log)
    yield server
    server.stop()


@pytest.mark.parametrize(("path", "accept"), ABSOLUTE)
def test_public_url_builds_every_absolute_url(public: Server, path: str, accept: str) -> None:
    path = path.format(tag=uuid.uuid4().hex)
    response, seconds = timed(lambda: _fetch(public, path, accept, "sparql.example.org"))
    assert response.status == 200 and seconds < QUICK
    assert PUBLIC.encode() in response.body, path
    assert b"127.0.0.1" not in response.body and b"http://sparql.example.org" not in response.body
    local = _fetch(public, path, accept)  # Host: 127.0.0.1:port, trusted: the same URLs
    assert local.status == 200 and PUBLIC.encode() in local.body and b"127.0.0.1" not in local.body


@pytest.mark.parametrize("host", ["evil.example", "sparql.example.org.evil.example", "evil.example:80", ""])
def test_untrusted_host_is_400(public: Server, host: str) -> None:
    with listener() as (port, seen):
        for name in (host, f"127.0.0.2:{port}"):
            response, seconds = timed(lambda name=name: _fetch(public, "/sparql/results?query=ASK%7B%7D", "text/html", name))
            assert response.status == 400 and seconds < QUICK, (name, response.status)
            assert b"Host" in response.body or not name  # an empty Host may be refused by the HTTP server itself
    assert seen == []
    assert_up(public)


def test_public_url_reaches_the_query_base_iri(public: Server) -> None:
    query = f"SELECT (IRI('x') AS ?i) WHERE {{}} # {uuid.uuid4().hex}"
    response = public.get({"query": query}, headers={"Accept": "application/sparql-results+json"})
    assert response.status == 200
    assert response.json()["results"]["bindings"][0]["i"]["value"] == PUBLIC + "/x"
