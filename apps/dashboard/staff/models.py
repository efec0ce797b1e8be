from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from apps.core.models import BaseModel

DEFAULT_COST_SHARE_PERCENT = Decimal("100.00")


class ProviderCostEstimate(BaseModel):
    """What share of the price charged for a model we expect to pay its provider, for the
    revenue report's margin. A model without a row counts at 100 %: the shipped catalog prices
    are the providers' list prices, so until staff enter a negotiated share the margin is zero.
    An estimate only; the ledger never reads it."""

    model_id = models.CharField(max_length=120, unique=True, help_text="Canonical catalog model id, provider/model")
    cost_share_percent = models.DecimalField(
        max_digits=6, decimal_places=2, default=DEFAULT_COST_SHARE_PERCENT,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1000"))],
        help_text="Provider cost as a percentage of the price charged (100 = list price, no margin)",
    )
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["model_id"]
        permissions = [("view_revenue_report", "Can view the revenue report")]
        constraints = [models.CheckConstraint(condition=Q(cost_share_percent__gte=0), name="provider_cost_share_gte_0")]

    def __str__(self) -> str:
        return f"{self.model_id}: {self.cost_share_percent} %"
