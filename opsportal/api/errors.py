"""Turn domain errors into 4xx responses that name the field."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.db.models import ProtectedError, RestrictedError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from opsportal.errors import EditConflict


def validation_error_detail(exc: DjangoValidationError) -> dict:
    if hasattr(exc, "error_dict"):
        return {field: [str(m) for error in errors for m in error.messages] for field, errors in exc.error_dict.items()}
    return {"non_field_errors": [str(message) for message in exc.messages]}


def exception_handler(exc, context):
    if isinstance(exc, EditConflict):
        return Response(validation_error_detail(exc), status=status.HTTP_409_CONFLICT)
    if isinstance(exc, DjangoValidationError):
        return Response(validation_error_detail(exc), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DjangoPermissionDenied) and str(exc):
        return Response({"detail": str(exc)}, status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, (ProtectedError, RestrictedError)):
        # A real delete of a row that history, measurements or evidence hang off: say what, point at archive.
        from opsportal.archive import protected_reason

        return Response({"detail": protected_reason(exc)}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, IntegrityError):
        # A constraint the serializer could not see (e.g. a concurrent duplicate).
        return Response({"non_field_errors": ["This conflicts with an existing record."]},
                        status=status.HTTP_409_CONFLICT)
    if isinstance(exc, exceptions.ParseError):
        return Response({"non_field_errors": [str(exc.detail)]}, status=status.HTTP_400_BAD_REQUEST)
    return drf_exception_handler(exc, context)
