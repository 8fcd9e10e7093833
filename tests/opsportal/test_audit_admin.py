"""Admin pages of the audit trail (chain links and heads, authorship, superseded approvals): read-only,
scoped to the user's projects, built for unbounded tables, linked from the evidence and approval pages."""

import pytest
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from opsportal.admin.scale import EstimatedCountPaginator
from opsportal.models import (
    Approval,
    ApprovalSupersession,
    Authorship,
    ChainHead,
    ChainLink,
    EvidenceRecord,
)
from opsportal.services import approval_record, log_evidence
from opsportal.services.approvals import approvals_supersede, authorship_record
from tests.factories import ProjectFactory, UserFactory
from tests.memberships import member

pytestmark = [pytest.mark.django_db, pytest.mark.no_group_memberships]

AUDIT_ADMINS = [ChainHead, ChainLink, Authorship, ApprovalSupersession]


def url(model, view="changelist", *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def trail(roles):
    """Two projects with a chain, authorship and a superseded approval each; a Manager of alpha only."""
    alpha = ProjectFactory(slug="alpha", name="Alpha")
    beta = ProjectFactory(slug="beta", name="Beta")
    boss = UserFactory(username="boss", is_staff=True)
    writer = UserFactory(username="writer", is_staff=True)
    approver = UserFactory(username="approver", is_staff=True)
    member(boss, alpha, "manager")
    for project in (alpha, beta):
        member(writer, project, "operator")
        member(approver, project, "manager")
        log_evidence(project=project, kind="manual", source="manual", summary=f"{project.slug} drill")
        authorship_record(subject=project, users=[writer], role="owner")
        approval_record(subject=project, kind="slo_review", decision="approve", approver=approver,
                        content={"v": 1}, authors=[writer])
        approvals_supersede(subject=project, new_content_sha256="b" * 64, reason=f"{project.slug} text changed")
    return {"alpha": alpha, "beta": beta, "boss": boss}


@pytest.mark.parametrize("model", AUDIT_ADMINS, ids=lambda m: m.__name__)
def test_lists_show_only_the_users_projects(client, trail, model):
    client.force_login(trail["boss"])
    response = client.get(url(model))
    assert response.status_code == 200
    shown = list(response.context["cl"].result_list)
    assert shown and {row.project_id for row in shown} == {trail["alpha"].pk}
    hidden = model.objects.filter(project=trail["beta"]).first()
    assert client.get(url(model, "change", hidden.pk)).status_code in (302, 404)  # not found for this user
    assert client.get(url(model, "change", shown[0].pk)).status_code == 200


@pytest.mark.parametrize("model", AUDIT_ADMINS, ids=lambda m: m.__name__)
def test_nobody_adds_changes_or_deletes_here(client, trail, model, django_user_model):
    root = django_user_model.objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(root)
    row = model.objects.filter(project=trail["alpha"]).first()
    model_admin = admin.site._registry[model]
    assert model_admin.paginator is EstimatedCountPaginator
    assert model_admin.show_full_result_count is False
    assert client.get(url(model, "add")).status_code == 403
    assert client.get(url(model, "delete", row.pk)).status_code == 403
    before = model.objects.filter(pk=row.pk).values().get()
    client.post(url(model, "change", row.pk), {"project": trail["beta"].pk})
    assert model.objects.filter(pk=row.pk).values().get() == before
    assert client.get(url(model, "change", row.pk)).context["has_change_permission"] is False


def test_chain_links_are_found_by_sequence_and_by_hash_exactly(client, trail):
    client.force_login(trail["boss"])
    links = list(ChainLink.objects.filter(project=trail["alpha"]).order_by("sequence"))
    assert len(links) >= 3
    response = client.get(url(ChainLink), {"q": "2"})
    assert [link.pk for link in response.context["cl"].result_list] == [links[1].pk]
    response = client.get(url(ChainLink), {"q": links[0].record_hash.upper()})
    assert [link.pk for link in response.context["cl"].result_list] == [links[0].pk]
    beta_link = ChainLink.objects.filter(project=trail["beta"]).first()
    response = client.get(url(ChainLink), {"q": beta_link.record_hash})  # another project's: not shown
    assert beta_link.pk not in [link.pk for link in response.context["cl"].result_list]


def test_chain_link_page_links_the_record_and_the_previous_link(client, trail):
    client.force_login(trail["boss"])
    first, second = ChainLink.objects.filter(project=trail["alpha"]).order_by("sequence")[:2]
    page = client.get(url(ChainLink, "change", second.pk)).content.decode()
    assert url(ChainLink, "change", first.pk) in page
    assert second.record_hash in page and second.prev_hash == first.record_hash
    record_model = ContentType.objects.get_by_natural_key(*second.record_type.split(".")).model_class()
    assert url(record_model, "change", second.record_id) in page
    head = ChainHead.objects.get(project=trail["alpha"])
    listing = client.get(url(ChainHead)).content.decode()
    assert f"{url(ChainLink)}?chain={head.pk}" in listing
    response = client.get(url(ChainLink), {"chain": head.pk})
    assert len(response.context["cl"].result_list) == head.sequence


def test_evidence_and_approval_pages_link_to_the_trail(client, trail):
    client.force_login(trail["boss"])
    alpha = trail["alpha"]
    evidence = EvidenceRecord.objects.get(project=alpha)
    evidence_link = ChainLink.objects.get(record_type="opsportal.evidencerecord", record_id=evidence.pk)
    assert url(ChainLink, "change", evidence_link.pk) in client.get(
        url(EvidenceRecord, "change", evidence.pk)).content.decode()
    approval = Approval.objects.get(project=alpha)
    approval_link = ChainLink.objects.get(record_type="opsportal.approval", record_id=approval.pk)
    page = client.get(url(Approval, "change", approval.pk)).content.decode()
    assert url(ChainLink, "change", approval_link.pk) in page
    authors_url = f"{url(Authorship)}?subject_type={approval.subject_type_id}&amp;subject_id={approval.subject_id}"
    assert authors_url in page
    assert f"{url(ApprovalSupersession)}?approval_id={approval.pk}" in page
    response = client.get(url(Authorship), {"subject_type": approval.subject_type_id,
                                            "subject_id": approval.subject_id})
    assert [row.user.username for row in response.context["cl"].result_list] == ["writer"]
    mark = ApprovalSupersession.objects.get(project=alpha)
    page = client.get(url(ApprovalSupersession, "change", mark.pk)).content.decode()
    assert url(Approval, "change", approval.pk) in page
    assert url(ChainLink, "change", ChainLink.objects.get(record_type="opsportal.approvalsupersession",
                                                          record_id=mark.pk).pk) in page
    response = client.get(url(ApprovalSupersession), {"q": str(approval.pk)})
    assert [row.pk for row in response.context["cl"].result_list] == [mark.pk]
