"""Security headers and a production configuration: the Content-Security-Policy on every
response and templates that keep to it (no inline script, nothing for htmx to eval), and
`manage.py check --deploy` clean with the HTTPS settings switched on by the environment. (The
browser test tests/browser/test_content_security_policy.py clicks through the pages under it.)"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = sorted((ROOT / "templates").rglob("*.html"))
# What the policy forbids or htmx (allowEval off) would refuse to evaluate.
FORBIDDEN = {
    "inline script": re.compile(r"<script(?![^>]*\ssrc=)[^>]*>", re.I),
    "event handler attribute": re.compile(r"\son[a-z]+\s*=", re.I),
    "hx-on attribute": re.compile(r"\shx-on[:-]", re.I),
    "javascript: URL or js: value": re.compile(r"""["']\s*(?:javascript|js):""", re.I),
    "trigger filter": re.compile(r"""hx-trigger="[^"]*\["""),
    "style element": re.compile(r"<style", re.I),
}


def policy(response) -> dict[str, str]:
    directives = (d.strip().split(None, 1) for d in response["Content-Security-Policy"].split(";"))
    return {d[0]: d[1] if len(d) > 1 else "" for d in directives}


def test_every_response_carries_the_policy(admin_client, client):
    for response in (
        client.get(reverse("login")),
        admin_client.get("/ui/group-d1/"),
        admin_client.get("/api/vcenter/namespaces/instances"),
    ):
        directives = policy(response)
        assert directives["script-src"] == "'self'"
        assert directives["style-src"] == "'self'"
        assert directives["object-src"] == "'none'"
        assert directives["frame-ancestors"] == "'none'"


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_templates_hold_no_inline_script(template):
    text = template.read_text()
    found = {what for what, pattern in FORBIDDEN.items() if pattern.search(text)}
    assert not found, f"{template.name}: {', '.join(sorted(found))}"


def test_rendered_pages_hold_no_inline_script(admin_client, vm_on):
    pages = [
        "/ui/group-d1/",
        f"/ui/{vm_on.moid}/",
        f"/ui/{vm_on.host.cluster.moid}/configure/",
        reverse("inventory:sso-users"),
        reverse("workloads:home"),
    ]
    for url in pages:
        html = admin_client.get(url).content.decode()
        found = {what for what, pattern in FORBIDDEN.items() if pattern.search(html)}
        assert not found, f"{url}: {', '.join(sorted(found))}"
        assert '"allowEval":false' in html and '"includeIndicatorStyles":false' in html


def production_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "VKS_"))}
    return env | {
        "DJANGO_SETTINGS_MODULE": "vksportal.settings",
        "DJANGO_SECRET_KEY": "k" * 10 + "-a-long-and-random-production-key-0123456789-abcdefghij",
        "DJANGO_ALLOWED_HOSTS": "vks.example.com",
        "DJANGO_SECURE_COOKIES": "1",
        "DJANGO_SECURE_SSL_REDIRECT": "1",
        "DJANGO_SECURE_HSTS_SECONDS": "31536000",
        "DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS": "1",
        "DJANGO_SECURE_HSTS_PRELOAD": "1",
        "VKS_VAR_DIR": str(tmp_path),
    }


def check_deploy(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_for_a_production_configuration(tmp_path):
    result = check_deploy(production_env(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_names_what_a_default_configuration_lacks(tmp_path):
    """The defaults serve plain HTTP (make run); check --deploy says what to switch on."""
    env = production_env(tmp_path)
    for name in ("DJANGO_SECURE_SSL_REDIRECT", "DJANGO_SECURE_HSTS_SECONDS"):
        del env[name]
    result = check_deploy(env)
    assert result.returncode != 0
    assert "security.W004" in result.stderr + result.stdout  # HSTS
    assert "security.W008" in result.stderr + result.stdout  # SSL redirect


def test_test_settings_keep_the_policy():
    assert "script-src 'self';" in settings.VKS_CONTENT_SECURITY_POLICY
    assert "unsafe-eval" not in settings.VKS_CONTENT_SECURITY_POLICY
