from django.contrib import messages
from django.contrib.auth import login
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from apps.dashboard.forms import SignupForm
from apps.dashboard.redirects import safe_next


@require_http_methods(["GET", "POST"])
def signup(request):
    if request.user.is_authenticated:
        return redirect("dashboard:home")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, "Welcome to Tollgate! Create your organization to get started.")
        return redirect(safe_next(request, "dashboard:organization_create"))
    return render(request, "registration/signup.html", {"form": form})
