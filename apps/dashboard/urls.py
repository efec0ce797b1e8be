from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from apps.dashboard.views import auth, home, keys, organizations

urlpatterns = [
    path("", home.home, name="home"),
    path("signup/", auth.signup, name="signup"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password-reset/", auth_views.PasswordResetView.as_view(
        success_url=reverse_lazy("dashboard:password_reset_done"),
        email_template_name="registration/password_reset_email.html"), name="password_reset"),
    path("password-reset/done/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("reset/<uidb64>/<token>/", auth_views.PasswordResetConfirmView.as_view(
        success_url=reverse_lazy("dashboard:password_reset_complete")), name="password_reset_confirm"),
    path("reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("organizations/new/", organizations.organization_create_view, name="organization_create"),
    path("organizations/switch/", organizations.organization_switch, name="organization_switch"),
    path("keys/", keys.keys, name="keys"),
    path("keys/<int:pk>/revoke/", keys.key_revoke, name="key_revoke"),
]
