"""A real browser (Debian's Chromium driven by Playwright) against a live server: a Manager approves a
postmortem from the admin; its owner sees no Approve button and a forged POST is refused."""

import os
import shutil
from pathlib import Path

import pytest

from incidents.models import PostmortemStatus
from opsportal.models import Approval
from tests.conftest import require_external
from tests.incidents.postmortem_factories import in_review

pytestmark = [pytest.mark.external, pytest.mark.django_db(transaction=True)]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run"]


@pytest.fixture
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require_external("the playwright package is not installed (pip install -e .[test])")
    executable = shutil.which("chromium") or ("/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None)
    if executable is None:
        require_external("Debian's chromium is not installed (apt-get install chromium)")
    # Playwright's sync API runs an event loop in this thread; Django's ORM would call that unsafe.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def login(browser, live_server, username):
    page = browser.new_context(viewport={"width": 1500, "height": 1000}).new_page()
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "pw-for-tests")
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
    return page


def test_manager_approves_in_the_browser_and_the_owner_cannot(browser, live_server, project, manager, operator):
    postmortem = in_review(project, owner=operator)
    change_url = f"{live_server.url}/admin/incidents/postmortem/{postmortem.pk}/change/"

    # The Manager finds it on the admin home and opens it.
    page = login(browser, live_server, "manager")
    panel = page.locator(".module", has_text="Postmortems awaiting your review")
    panel.get_by_text(postmortem.incident.reference).click()
    page.wait_for_url(change_url)
    assert page.locator("#pm-status").inner_text() == "In review"
    assert page.locator("#pm-report h2", has_text="Root causes").count() == 1
    page.screenshot(path=str(ARTIFACTS / "postmortem-review-manager.png"), full_page=True)

    page.fill("#pm-comment", "Root cause and actions are convincing.")
    page.click("#pm-approve")
    page.wait_for_url(change_url)
    assert page.locator("#pm-status").inner_text() == "Approved"
    assert "is now approved (1 of 1 approvals)" in page.locator(".messagelist").inner_text()
    assert page.locator("#pm-approve").count() == 0
    assert "Root cause and actions are convincing." in page.locator("#pm-approval-history").inner_text()
    page.screenshot(path=str(ARTIFACTS / "postmortem-approved.png"), full_page=True)
    postmortem.refresh_from_db()
    assert postmortem.status == PostmortemStatus.APPROVED

    # The owner of another postmortem in review sees no buttons, and a forged POST is refused.
    second = in_review(project, owner=operator, severity="SEV1")
    owner_page = login(browser, live_server, "operator")
    owner_page.goto(f"{live_server.url}/admin/incidents/postmortem/{second.pk}/change/")
    assert owner_page.locator("#pm-status").inner_text() == "In review"
    assert owner_page.locator("#pm-approve").count() == 0
    assert owner_page.locator("#pm-request-changes").count() == 0
    owner_page.screenshot(path=str(ARTIFACTS / "postmortem-review-owner.png"), full_page=True)
    token = owner_page.locator("input[name=csrfmiddlewaretoken]").first.get_attribute("value")
    response = owner_page.request.post(
        f"{live_server.url}/admin/incidents/postmortem/{second.pk}/decide/",
        form={"csrfmiddlewaretoken": token, "decision": "approve", "comment": "Forged"},
        headers={"Referer": owner_page.url},
    )
    assert response.status == 403
    assert not Approval.objects.filter(comment="Forged").exists()
    second.refresh_from_db()
    assert second.status == PostmortemStatus.IN_REVIEW
