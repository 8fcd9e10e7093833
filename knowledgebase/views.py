"""Reader pages: the article list (by kind, project, service, tag, or search) and the article page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from knowledgebase.markdown import highlight_css
from knowledgebase.models import Article, ArticleKind, Tag, TrainingAssignment
from knowledgebase.search import headline_html, search_articles
from knowledgebase.selectors import article_list_queryset, related_incidents
from knowledgebase.services import training_complete
from opsportal.access import scope
from opsportal.models import Project, Service

PAGE_SIZE = 50


@login_required
def article_list(request):
    articles = article_list_queryset().visible_to(request.user).active()  # archived: admin and API only
    if not request.user.has_perm("knowledgebase.change_article") or request.GET.get("status") != "all":
        articles = articles.published()
    filters = {}
    kind = request.GET.get("kind", "")
    if kind in ArticleKind.values:
        articles, filters["kind"] = articles.filter(kind=kind), ArticleKind(kind).label
    project_slug = request.GET.get("project", "")
    if project_slug:
        articles = articles.filter(project__slug=project_slug)
        filters["project"] = project_slug
    service_id = request.GET.get("service", "")
    if service_id.isdigit():
        articles = articles.filter(pk__in=Article.services.through.objects.filter(
            service_id=int(service_id)).values("article_id"))
        filters["service"] = scope(Service.objects.all(), request.user).filter(pk=int(service_id)).first() \
            or service_id
    tag = request.GET.get("tag", "")
    if tag:
        articles = articles.filter(pk__in=Article.tags.through.objects.filter(tag__name=tag).values("article_id"))
        filters["tag"] = tag
    q = (request.GET.get("q") or "").strip()
    if q:
        articles = search_articles(articles, q)
    page = Paginator(articles, PAGE_SIZE).get_page(request.GET.get("page"))
    now = timezone.now()
    rows = [
        {"article": article, "stale": article.is_stale(now),
         "headline": headline_html(getattr(article, "search_headline", None), fallback_text=article.body, q=q)
         if q else ""}
        for article in page.object_list
    ]
    context = {
        "rows": rows, "page": page, "q": q, "filters": filters, "kinds": ArticleKind.choices,
        "projects": scope(Project.objects.active(), request.user).order_by("name"),
        "services": scope(Service.objects.select_related("project"), request.user).order_by("project__name", "name"),
        "tags": Tag.objects.filter(
            articles__in=scope(Article.objects.published(), request.user).values("pk")
        ).distinct().order_by("name"),
        "highlight_css": highlight_css(),
    }
    return render(request, "knowledgebase/article_list.html", context)


@login_required
def article_detail(request, slug):
    article = get_object_or_404(article_list_queryset().visible_to(request.user), slug=slug)
    now = timezone.now()
    assignment = TrainingAssignment.objects.filter(article=article, user=request.user).first()
    context = {
        "article": article,
        "stale": article.is_stale(now),
        "incidents": related_incidents(article, user=request.user),
        "assignment": assignment,
        "today": timezone.localdate(now),
        "can_edit": request.user.has_perm("knowledgebase.change_article", article),
        "highlight_css": highlight_css(),
    }
    return render(request, "knowledgebase/article_detail.html", context)


@require_POST
@login_required
def training_complete_view(request, slug):
    assignment = get_object_or_404(TrainingAssignment, article__slug=slug, user=request.user)
    try:
        training_complete(assignment=assignment, actor=request.user)
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Training marked as completed.")
    return redirect("knowledgebase:article", slug=slug)
