"""The overview: onboarding checklist until done, credit, spend, the spend chart, recent tasks,
the rate-limit plan."""
from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

from django.conf import settings
from django.shortcuts import render
from django.utils import timezone

from apps.accounts.permissions import MANAGE_BILLING, MANAGE_KEYS, role_can
from apps.accounts.selectors import api_key_list
from apps.dashboard.decorators import organization_required
from apps.dashboard.integrations import field, optional
from apps.dashboard.onboarding import onboarding_steps
from apps.dashboard.spend import daily_chart, spend_between

CHART_DAYS = 14


@organization_required()
def home(request):
    organization = request.organization
    today = timezone.now().date()
    balance_get = optional("apps.billing.selectors.balance_get")
    task_list = optional("apps.tasks.selectors.task_list")
    balance = balance_get(organization=organization) if balance_get else None
    recent = list(_items(task_list(organization=organization, limit=5)))[:5] if task_list else []
    role = request.membership.role
    steps = onboarding_steps(
        has_credit=bool(balance and balance.balance_micros > 0),
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
        "tasks_available": task_list is not None,
        "rate_plan": _rate_plan(organization),
    })


def _items(result):
    if isinstance(result, tuple):  # (items, next_cursor)
        return result[0]
    items = field(result, "items")
    return items if items is not None and not callable(items) else result


def _rate_plan(organization):
    """The organization's limits from the tasks area (its plan, else the defaults)."""
    rate_limit_plan_for = optional("apps.tasks.selectors.rate_limit_plan_for")
    if rate_limit_plan_for is not None:
        return rate_limit_plan_for(organization_id=organization.pk)
    return SimpleNamespace(
        generation_per_second=getattr(settings, "TOLLGATE_RATE_LIMIT_GENERATION_PER_SECOND", None),
        polling_per_second=getattr(settings, "TOLLGATE_RATE_LIMIT_POLLING_PER_SECOND", None),
        ban_seconds=getattr(settings, "TOLLGATE_RATE_LIMIT_BAN_SECONDS", None),
        max_running_tasks=getattr(settings, "TOLLGATE_MAX_RUNNING_TASKS", None),
    )
