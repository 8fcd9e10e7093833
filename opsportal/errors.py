"""Domain errors raised by service functions.

Services raise Django's `ValidationError` (keyed by field) for bad input and
`PermissionDenied` for refused actors; the API and admin turn them into a 400
or 403 with the message. The classes below name the common special cases.
"""

from django.core.exceptions import PermissionDenied, ValidationError


class FourEyesViolation(PermissionDenied):
    """The person deciding is an author of what is being decided."""


class InvalidTransition(ValidationError):
    """A state change that the state machine does not allow; the message lists what is allowed."""


class EditConflict(ValidationError):
    """Someone else saved the same record since this edit started."""


__all__ = ["EditConflict", "FourEyesViolation", "InvalidTransition", "PermissionDenied", "ValidationError"]
