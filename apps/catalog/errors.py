"""The catalog's business error messages (tests import and assert them)."""
from apps.core.errors import API_ERROR, INVALID_REQUEST, ApplicationError

UNSUPPORTED_MODEL = "Unsupported task type: {name}"
MODEL_DISABLED = "The model {name} is disabled."
MODEL_UNPRICED = "The model {name} has no price yet and cannot be called."
PROVIDER_NOT_CONFIGURED = "No provider is configured for the model {name}."
PRICE_VERSION_NOT_FOUND = "Unknown price version {pk}."
INVALID_PARAMS_OBJECT = "Parameters must be a JSON object."


def unsupported_model(name: str) -> ApplicationError:
    # Seed 000's message and code; seed 002's status (404 for a model not found).
    return ApplicationError(UNSUPPORTED_MODEL.format(name=name), code="unsupported_model", type=INVALID_REQUEST,
                            status=404, param="model")


def model_disabled(name: str) -> ApplicationError:
    return ApplicationError(MODEL_DISABLED.format(name=name), code="model_disabled", status=400, param="model")


def model_unpriced(name: str) -> ApplicationError:
    return ApplicationError(MODEL_UNPRICED.format(name=name), code="model_unpriced", status=400, param="model")


def provider_not_configured(name: str) -> ApplicationError:
    return ApplicationError(PROVIDER_NOT_CONFIGURED.format(name=name), code="provider_not_configured",
                            type=API_ERROR, status=503)
