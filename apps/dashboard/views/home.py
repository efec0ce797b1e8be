"""The overview: onboarding checklist until done, credit, spend, the spend chart, recent tasks,
the rate-limit plan."""
from __future__ import annotations

from datetime import timedelta

from django.shortcuts import render
from django.utils import timezone

from apps.accounts.permissions import MANAGE_BILLING, MANAGE_KEYS, role_can
from apps.accounts.selectors import api_key_list
from apps.billing.selectors import balance_get
from apps.dashboard.decorators import organization_required
from apps.dashboard.onboarding import onboarding_steps
from apps.dashboard.spend import daily_chart, spend_between
from apps.tasks.selectors import rate_limit_plan_for, task_list

CHART_DAYS = 14


@organization_required()
def home(request):
    organization = request.organization
    today = timezone.now().date()
    balance = balance_get(organization=organization)
    recent, _ = task_list(organization=organization, limit=5)
    role = request.membership.role
    steps = onboarding_steps(
        has_credit=balance.balance_micros > 0,
        has_key=api_key_list(organization=organization).exists(),
        has_task=bool(recent),
        can_manage_billing=role_can(role, MANAGE_BILLING),
        can_manage_keys=role_can(role, MANAGE_KEYS),
    )
    return render(request, "dashboard/home.html", {
        "balance": balance,
        "steps": steps,
        "onboarding_done": all(step.done for step in steps),
        "spend_today": spend_between(organization=organization, first_day=today, last_day=today),
        "spend_month": spend_between(organization=organization, first_day=today.replace(day=1), last_day=today),
        "chart": daily_chart(organization=organization, first_day=today - timedelta(days=CHART_DAYS - 1), last_day=today),
        "recent_tasks": recent,
        "rate_plan": rate_limit_plan_for(organization_id=organization.pk),
    })

