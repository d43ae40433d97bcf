"""Domain errors. Services raise them with a message a clerk can read; the API's exception
handler and the pages' message helper turn them into HTTP answers in one place each."""

from django.utils.translation import gettext_lazy as _


class ApplicationError(Exception):
    """A request the domain refuses. `status` is the HTTP status the interfaces answer with;
    `details` carries per-field or per-row specifics (a dict or a list)."""

    status = 400
    default_message = _("The request could not be carried out.")

    def __init__(self, message=None, *, details=None):
        self.message = str(message or self.default_message)
        self.details = details
        super().__init__(self.message)


class ValidationFailed(ApplicationError):
    status = 400
    default_message = _("Some of the data is not valid.")


class Conflict(ApplicationError):
    """The object is not in a state that allows this (a wrong transition, a budget that does not
    cover it, a duplicate)."""

    status = 409
    default_message = _("This conflicts with the current state.")
