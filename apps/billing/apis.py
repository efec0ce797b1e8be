"""HTTP surface of the billing area: the Stripe webhook."""
from __future__ import annotations

import logging

import stripe
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from apps.billing.services import stripe_event_process, stripe_event_receive
from apps.core.errors import API_ERROR, INVALID_REQUEST, error_body

logger = logging.getLogger(__name__)

MISSING_SIGNATURE = "Missing Stripe-Signature header."
INVALID_SIGNATURE = "Invalid Stripe signature."
WEBHOOK_NOT_CONFIGURED = "Stripe webhooks are not configured."
PROCESSING_FAILED = "The event could not be processed; it will be retried."


# Not atomic per request (dj-stripe): the stored event and its recorded error must survive a
# failed processing transaction, and the 2xx goes out only after the credit has committed.
@csrf_exempt
@transaction.non_atomic_requests
@require_POST
def stripe_webhook(request: HttpRequest) -> JsonResponse:
    signature = request.headers.get("Stripe-Signature")
    if not signature:
        return JsonResponse(error_body(MISSING_SIGNATURE, type=INVALID_REQUEST, code="missing_signature"), status=400)
    if not settings.STRIPE_WEBHOOK_SECRET:
        return JsonResponse(error_body(WEBHOOK_NOT_CONFIGURED, type=API_ERROR, code="stripe_not_configured"), status=503)
    try:
        event = stripe_event_receive(payload=request.body, signature=signature)
    except (stripe.SignatureVerificationError, ValueError, KeyError):
        return JsonResponse(error_body(INVALID_SIGNATURE, type=INVALID_REQUEST, code="invalid_signature"), status=400)
    try:
        event = stripe_event_process(event=event)
    except Exception:
        logger.exception("stripe event failed", extra={"stripe_event_id": event.stripe_id})
        return JsonResponse(error_body(PROCESSING_FAILED, type=API_ERROR, code="processing_failed"), status=500)
    return JsonResponse({"received": True, "id": event.stripe_id, "status": event.status})
