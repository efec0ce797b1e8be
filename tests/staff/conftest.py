"""Staff users: a superuser, and staff users in the two groups made by `manage.py staff_groups`."""
import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from apps.accounts.models import User
from apps.dashboard.staff.services import FINANCE_GROUP, SUPPORT_GROUP


@pytest.fixture
def staff_groups(db):
    call_command("staff_groups", verbosity=0, stdout=None)
    return Group.objects.get(name=SUPPORT_GROUP), Group.objects.get(name=FINANCE_GROUP)


def _staff_user(email: str, group: Group) -> User:
    user = User.objects.create_user(email=email, password="x" * 12, is_staff=True)
    user.groups.add(group)
    return user


@pytest.fixture
def support_user(staff_groups) -> User:
    return _staff_user("support@example.com", staff_groups[0])


@pytest.fixture
def finance_user(staff_groups) -> User:
    return _staff_user("finance@example.com", staff_groups[1])


@pytest.fixture
def superuser(db) -> User:
    return User.objects.create_superuser(email="root@example.com", password="x" * 12)
