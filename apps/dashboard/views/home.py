from django.shortcuts import render

from apps.accounts.selectors import api_key_list
from apps.dashboard.decorators import organization_required


@organization_required()
def home(request):
    return render(request, "dashboard/home.html", {"key_count": api_key_list(organization=request.organization).count()})
