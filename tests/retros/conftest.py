"""Fixtures of the retros tests: fake contributor modules instead of the other apps."""

from types import SimpleNamespace

import pytest

import retros.review_findings


@pytest.fixture
def contributors(monkeypatch):
    """`contributors(agenda=[...], findings=[...])` replaces what `app_modules` finds.

    Each entry is a callable (the contributor function); the retros app's own
    `review_findings` stays in the findings list unless `own_findings=False`.
    """

    def install(*, agenda=(), findings=(), own_findings=True):
        def fake_app_modules(name):
            if name == "retro_agenda":
                return [SimpleNamespace(__name__=f"fake{i}.retro_agenda", agenda_data=f) for i, f in enumerate(agenda)]
            if name == "review_findings":
                fakes = [SimpleNamespace(__name__=f"fake{i}.review_findings", findings=f)
                         for i, f in enumerate(findings)]
                return ([retros.review_findings] if own_findings else []) + fakes
            return []

        monkeypatch.setattr("retros.agenda.app_modules", fake_app_modules)
        monkeypatch.setattr("retros.findings.app_modules", fake_app_modules)

    install()  # by default: no other app contributes
    return install
