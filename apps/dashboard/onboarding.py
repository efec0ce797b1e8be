"""The onboarding checklist on the overview: organization → credit → key → first task."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Step:
    title: str
    done: bool
    url_name: str
    action: str


def onboarding_steps(*, has_credit: bool, has_key: bool, has_task: bool, can_manage_billing: bool, can_manage_keys: bool) -> list[Step]:
    return [
        Step("Create your organization", True, "dashboard:organization_create", ""),
        Step("Add credits (or use the demo credit)", has_credit, "dashboard:billing" if can_manage_billing else "dashboard:home",
             "Add credits" if can_manage_billing else "Ask an owner to add credits"),
        Step("Create your first API key", has_key, "dashboard:keys" if can_manage_keys else "dashboard:home",
             "Create a key" if can_manage_keys else "Ask an admin for a key"),
        Step("Run your first task", has_task, "dashboard:playground", "Open the playground"),
    ]
