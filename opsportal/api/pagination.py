from rest_framework.pagination import CursorPagination


class StandardCursorPagination(CursorPagination):
    """Stable pages over lists that grow without bound (newest first)."""

    ordering = "-id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
