"""Admin search the way people look records up: references, numbers and hashes exactly, words by index."""

import operator
import re
from functools import reduce

from django.contrib import admin
from django.contrib.admin.utils import NotRelationField, get_fields_from_path, lookup_spawns_duplicates
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Q
from django.db.models.constants import LOOKUP_SEP
from django.utils.text import smart_split, unescape_string_literal

REFERENCE_TERM = re.compile(r"^[A-Za-z][A-Za-z0-9_.]*-\d+$")  # SHOP-5000
NUMBER_TERM = re.compile(r"^#?\d{1,18}$")  # 5000 or #5000
HASH_TERM = re.compile(r"^[0-9a-fA-F]{64}$")  # a SHA-256


def exact_search_lookups(model_admin, term: str) -> dict[str, object]:
    """The exact lookups `term` stands for on this admin (any may match), or {} when it is a word."""
    if REFERENCE_TERM.match(term) and getattr(model_admin, "search_reference_field", None):
        return {f"{model_admin.search_reference_field}__iexact": term}
    if NUMBER_TERM.match(term):
        return {field: int(term.lstrip("#")) for field in getattr(model_admin, "search_number_fields", ())}
    if HASH_TERM.match(term):
        return {field: term.lower() for field in getattr(model_admin, "search_hash_fields", ())}
    return {}


def search_exact_first(model_admin, request, queryset, search_term):
    """`ModelAdmin.get_search_results` that searches the way people look records up.

    A reference (`SHOP-5000`), a number (`5000`, `#5000`: the record's number or id) or a
    SHA-256 finds exactly that record through an index, when one matches; anything else (or
    a reference-looking word that is no reference, like `us-1`) is Django's search over
    `search_fields`. Admins opt in with class attributes::

        get_search_results = search_exact_first
        search_reference_field = "reference"        # iexact; indexed on UPPER(reference)
        search_number_fields = ["number", "id"]     # integer columns with an index
        search_hash_fields = ["payload_sha256"]     # stored lower-case
    """
    term = search_term.strip()
    lookups = exact_search_lookups(model_admin, term) if term else {}
    if lookups:
        found = queryset.filter(reduce(operator.or_, (Q(**{key: value}) for key, value in lookups.items())))
        if found.exists():
            return found, any(lookup_spawns_duplicates(model_admin.opts, key) for key in lookups)
    return word_search(model_admin, request, queryset, search_term)


SEARCH_PREFIXES = {"^": "istartswith", "=": "iexact", "@": "search"}


def word_search(model_admin, request, queryset, search_term):
    """Django's admin search (every word must match one of `search_fields`), without duplicates to remove.

    Django joins a to-many relation (`alerts__labels_text`) into the list query, then removes the
    duplicate rows over the whole result (DISTINCT or EXISTS per row). Here such a field is matched
    by a semi-join (`pk IN (...)`) instead, so the list query stays a plain, index-ordered scan.
    Fields with an explicit lookup are left to Django's implementation.
    """
    fields = [str(f) for f in model_admin.get_search_fields(request)]
    if not fields or not search_term or any(LOOKUP_SEP in f.lstrip("^=@") and _has_lookup(queryset.model, f)
                                            for f in fields):
        return admin.ModelAdmin.get_search_results(model_admin, request, queryset, search_term)
    lookups = [f"{f[1:]}__{SEARCH_PREFIXES[f[0]]}" if f[0] in SEARCH_PREFIXES else f"{f}__icontains"
               for f in fields]
    for bit in smart_split(search_term):
        if bit.startswith(('"', "'")) and bit[0] == bit[-1]:
            bit = unescape_string_literal(bit)
        either = Q()
        for lookup in lookups:
            if lookup_spawns_duplicates(model_admin.opts, lookup):
                either |= Q(pk__in=queryset.model._default_manager.filter(**{lookup: bit}).values("pk"))
            else:
                either |= Q(**{lookup: bit})
        queryset = queryset.filter(either)
    return queryset, False


def _has_lookup(model, field_path: str) -> bool:
    """True when the path ends in a lookup (`number__exact`) rather than a field."""
    try:
        get_fields_from_path(model, field_path.lstrip("^=@"))
    except (FieldDoesNotExist, NotRelationField):
        return True
    return False
