"""No address of the site answers a server error, whatever the method:
every HTTP method to every URL pattern of the permission matrix
(:data:`tests.test_permission_matrix.MATRIX`, which names them all), in and
out of scope, as each role and as an anonymous visitor (an OPTIONS once
answered 500: a view without a serializer to describe).

The matrix test already sends the methods each address takes, as each
role in both scopes, and asserts their exact status; this sends every
other method, which must answer below 500. For a role that sees every
well (the bureau, leaders) both of the matrix's objects are in its scope,
so the one inside stands for both; an address that is the same in both
scopes is sent once.

Each request runs in a savepoint that is rolled back, and the client's
cookies are put back after it, so a sign-in, a sign-out or a write never
changes what the next request meets."""

import copy

import pytest
from django.core import signals
from django.db import close_old_connections, transaction
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

from tests import test_permission_matrix as matrix

pytestmark = pytest.mark.usefixtures("clock")

# The world of the matrix: an object in and one out of each role's scope.
world = matrix.world

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
WITHOUT_BODY = {"GET", "HEAD", "OPTIONS"}


def send(client, entry, method, path, data):
    """One request; a method that carries a body sends the entry's (as
    JSON or multipart to the API, as a multipart form to the pages)."""
    call = getattr(client, method.lower())
    if method in WITHOUT_BODY:
        return call(path)
    fields = data[1] if isinstance(data, tuple) else data
    if entry.api:
        return call(path, fields, format="multipart" if isinstance(data, tuple) else "json")
    return client.generic(method, path, encode_multipart(BOUNDARY, fields), content_type=MULTIPART_CONTENT)


def answer(world, entry, client, role, scope, method):
    """The response to one request, with every change it made undone."""
    path = entry.path(world, scope, role)
    data = (entry.body(world, scope, role, method) if entry.body else None) or {}
    cookies = copy.deepcopy(client.cookies)
    with transaction.atomic():
        response = send(client, entry, method, path, data)
        transaction.set_rollback(True)
    client.cookies = cookies
    # Close the files a download opened, without the end-of-request signal
    # that would drop the test's database connection.
    signals.request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        signals.request_finished.connect(close_old_connections)
    return path, response


def cells(world, entry, role):
    """The (scope, method) pairs to send: the methods the matrix does not,
    out of scope only where the role has an outside and the address is
    another one (an admin page of a model without scope has one object)."""
    addresses = set()
    for scope in entry.scopes():
        address = entry.path(world, scope, role)
        if address in addresses or (scope == "out" and role in matrix.SEES_ALL):
            continue
        addresses.add(address)
        for method in METHODS:
            if method not in entry.expect:
                yield scope, method


@pytest.mark.parametrize("role", matrix.ROLES)
def test_no_method_on_any_address_is_a_server_error(world, role):
    clients = {}
    errors = []
    for key, entry in sorted(matrix.MATRIX.items()):
        if entry.api not in clients:
            clients[entry.api] = matrix._client(entry, world.user(role))
            clients[entry.api].raise_request_exception = False
        client = clients[entry.api]
        for scope, method in cells(world, entry, role):
            path, response = answer(world, entry, client, role, scope, method)
            if response.status_code >= 500:
                reason = response.exc_info[1] if response.exc_info else response.content[:200]
                errors.append(f"{method} {path} ({key}, {scope} scope): {response.status_code} {reason!r}")
    assert not errors, f"Server errors as {role}:\n" + "\n".join(errors)
