"""The production settings hold: ``manage.py check --deploy --fail-level
WARNING`` passes under a production environment (and fails under a weak
one), cookies are secure, HSTS is on, hosts come from the environment, and
every page is served with a Content-Security-Policy under which it needs
no inline script."""

import os
import re
import secrets
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

BASE_DIR = Path(settings.BASE_DIR)
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "ledger.example.gov.cn",
    "CSRF_TRUSTED_ORIGINS": "https://ledger.example.gov.cn",
}


def manage(*args, **env):
    """Run manage.py in a fresh process under ``env`` (on top of this
    process's environment, without its DEBUG-related settings)."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "SECURE_COOKIES", "SECURE_SSL_REDIRECT"}
    }
    environment.update(env)
    if env.get("DATABASE_URL") == "":
        # The embedded SQLite has no replica (CI's replica is the primary's).
        environment.pop("DATABASE_REPLICA_URL", None)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def settings_under(names, **env):
    """The values of the settings ``names`` (their repr) in a process run
    under ``env``."""
    code = "from django.conf import settings; " + "; ".join(f"print(repr(settings.{name}))" for name in names)
    result = manage("shell", "--no-imports", "-c", code, **env)
    assert result.returncode == 0, result.stderr
    return dict(zip(names, result.stdout.strip().splitlines()[-len(names) :], strict=True))


def test_check_deploy_passes_under_the_production_environment():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_fails_under_a_weak_production_environment():
    weak = {**PRODUCTION, "SECRET_KEY": "short", "SECURE_HSTS_SECONDS": "0", "SECURE_COOKIES": "false"}

    result = manage("check", "--deploy", "--fail-level", "WARNING", **weak)

    assert result.returncode != 0
    for warning in ("security.W009", "security.W004", "security.W012"):
        assert warning in result.stderr + result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    environment = {key: value for key, value in PRODUCTION.items() if key != "SECRET_KEY"}

    result = manage("check", **environment)

    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


SAFE_IN_PRODUCTION = {
    "DEBUG": "False",
    "SESSION_COOKIE_SECURE": "True",
    "CSRF_COOKIE_SECURE": "True",
    "SESSION_COOKIE_HTTPONLY": "True",
    "SECURE_SSL_REDIRECT": "True",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "True",
    "SECURE_CONTENT_TYPE_NOSNIFF": "True",
    "X_FRAME_OPTIONS": "'DENY'",
    "ALLOWED_HOSTS": "['ledger.example.gov.cn']",
    "SESSION_COOKIE_AGE": "28800",
    "SESSION_EXPIRE_AT_BROWSER_CLOSE": "True",
}


def test_the_production_settings_are_safe():
    assert settings_under(list(SAFE_IN_PRODUCTION), **PRODUCTION) == SAFE_IN_PRODUCTION


def test_session_length_and_hosts_come_from_the_environment():
    environment = {**PRODUCTION, "SESSION_COOKIE_AGE": "3600", "ALLOWED_HOSTS": "a.example.cn, b.example.cn"}

    assert settings_under(["SESSION_COOKIE_AGE", "ALLOWED_HOSTS"], **environment) == {
        "SESSION_COOKIE_AGE": "3600",
        "ALLOWED_HOSTS": "['a.example.cn', 'b.example.cn']",
    }


# Content-Security-Policy ---------------------------------------------------------------


class Scripts(HTMLParser):
    """Collects inline scripts and inline event handlers in a page."""

    def __init__(self):
        super().__init__()
        self.inline, self.handlers, self._in_inline = [], [], False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.handlers += [name for name in attrs if name.startswith("on")]
        if any((value or "").strip().lower().startswith("javascript:") for value in attrs.values()):
            self.handlers.append("javascript: URL")
        if tag == "script" and not attrs.get("src") and attrs.get("type") != "application/json":
            self._in_inline = True

    def handle_endtag(self, tag):
        self._in_inline = False if tag == "script" else self._in_inline

    def handle_data(self, data):
        if self._in_inline and data.strip():
            self.inline.append(data.strip()[:80])


def test_no_template_carries_an_inline_script_or_event_handler():
    offenders = []
    for template in (BASE_DIR / "templates").rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        for match in re.finditer(r"<script\b([^>]*)>", text):
            attributes = match.group(1)
            if "src=" not in attributes and 'type="application/json"' not in attributes:
                offenders.append(f"{template.relative_to(BASE_DIR)}: {match.group(0)}")
        offenders += [f"{template.relative_to(BASE_DIR)}: {m}" for m in re.findall(r"\son[a-z]+=", text)]
    assert offenders == []


def csp_of(response):
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


@pytest.fixture
def pages(well, staff):
    return [
        reverse("wells:ledger"),
        reverse("wells:dashboard"),
        reverse("wells:well", args=[well.code]),
        reverse("wells:label", args=[well.code]),
        reverse("wells:action", args=[well.code, "notify"]),
        reverse("tasks:mine"),
        reverse("admin:index"),
        reverse("admin:wells_well_change", args=[well.pk]),
        reverse("admin:wells_well_changelist"),
        reverse("api:docs"),
    ]


def test_every_page_is_served_with_a_policy_that_runs_no_inline_script(client, admin_user, pages):
    client.force_login(admin_user)
    for url in [*pages, reverse("accounts:login")]:
        if url == reverse("accounts:login"):
            client.logout()
        response = client.get(url)
        assert response.status_code == 200, url
        policy = csp_of(response)
        assert policy["script-src"] == ["'self'"], url
        assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"], url
        assert "'unsafe-eval'" not in response["Content-Security-Policy"], url
        parser = Scripts()
        parser.feed(response.content.decode())
        assert parser.inline == [], f"{url}: inline scripts {parser.inline}"
        assert parser.handlers == [], f"{url}: inline handlers {parser.handlers}"


def test_the_api_documentation_loads_its_script_from_this_site(client):
    page = client.get(reverse("api:docs")).content.decode()
    script = client.get(reverse("api:docs") + "?script")

    assert '<script src="/api/v1/docs/?script' in page
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
