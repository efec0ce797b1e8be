"""API routes of the billing area (full paths, included at the site root)."""
from django.urls import path

from apps.billing.apis import stripe_webhook

urlpatterns = [
    path("webhooks/stripe", stripe_webhook, name="stripe-webhook"),
]
