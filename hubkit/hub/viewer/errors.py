"""The viewer's errors: hub errors (``{"error": ...}`` + ``X-Error-Code``) with the real service's codes."""

from __future__ import annotations

from hubkit.hub.errors import HubError


def invalid_parameter(message: str) -> HubError:
    # The real service answers 422 here; hubkit's hub answers every bad parameter with 400.
    return HubError(400, "InvalidParameter", message)


def missing_parameter(name: str) -> HubError:
    return HubError(400, "MissingRequiredParameter", f"Parameter '{name}' is required.")


def not_found(message: str) -> HubError:
    return HubError(404, "ResponseNotFound", message)


def unreadable(message: str) -> HubError:
    """A data file the viewer cannot read: the dataset's fault, not the server's, so never a 5xx."""
    return HubError(422, "DatasetGenerationError", message)
