import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not a known IANA time zone (for example Europe/Berlin).")


class ProjectQuerySet(models.QuerySet):
    def active(self):
        return self.filter(active=True)


class Project(models.Model):
    """A product in production: the specification's `project`."""

    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    team = models.CharField("owning team", max_length=200, blank=True)
    time_zone = models.CharField(
        max_length=64, default="UTC", validators=[validate_time_zone],
        help_text="IANA zone used for calendar windows, cadences and business days.",
    )
    active = models.BooleanField(default=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ProjectQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ServiceTier(models.IntegerChoices):
    TIER_1 = 1, "Tier 1 (critical)"
    TIER_2 = 2, "Tier 2 (important)"
    TIER_3 = 3, "Tier 3 (best effort)"


def validate_links(value) -> None:
    if not isinstance(value, list):
        raise ValidationError("links must be a list of {\"title\", \"url\"} objects.")
    for index, link in enumerate(value):
        if not isinstance(link, dict) or not isinstance(link.get("url"), str):
            raise ValidationError(f"links[{index}] must be an object with a string 'url'.")
        if not link["url"].startswith(("http://", "https://")):
            raise ValidationError(f"links[{index}].url must start with http:// or https://.")


class Service(models.Model):
    """A deployable part of a project that SLOs and incidents refer to."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="services")
    slug = models.SlugField(max_length=64)
    name = models.CharField(max_length=200)
    tier = models.PositiveSmallIntegerField(
        choices=ServiceTier.choices, default=ServiceTier.TIER_2,
        validators=[MinValueValidator(1), MaxValueValidator(3)],
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="owned_services"
    )
    description = models.TextField(blank=True)
    links = models.JSONField(default=list, blank=True, validators=[validate_links])
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["project", "slug"], name="service_slug_unique_in_project"),
            models.CheckConstraint(condition=models.Q(tier__gte=1, tier__lte=3), name="service_tier_1_to_3"),
        ]

    def __str__(self) -> str:
        return f"{self.project.slug}/{self.slug}"
