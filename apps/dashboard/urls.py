from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from apps.dashboard.views import auth, billing, catalog, home, invitations, keys, members, organizations, playground, tasks, usage, webhooks

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
    path("settings/webhooks/", webhooks.webhooks, name="webhooks"),
    path("tasks/", tasks.task_list_view, name="tasks"),
    path("tasks/<str:task_id>/", tasks.task_detail, name="task_detail"),
    path("tasks/<str:task_id>/status.json", tasks.task_status_json, name="task_status"),
    path("tasks/<str:task_id>/outputs/", tasks.task_outputs_fragment, name="task_outputs"),
    path("usage/", usage.usage, name="usage"),
    path("usage/<str:group_by>.csv", usage.usage_csv, name="usage_csv"),
    path("billing/", billing.billing, name="billing"),
    path("billing/top-up/", billing.topup, name="topup"),
    path("billing/auto-recharge/", billing.auto_recharge, name="auto_recharge"),
    # /models is an API path (OpenAI-style listing): the people's catalog lives under /catalog/.
    path("catalog/", catalog.model_browse, name="model_browse"),
    path("catalog/<path:model_id>/", catalog.model_page, name="model_page"),
    path("playground/", playground.playground, name="playground"),
    path("members/", members.members, name="members"),
    path("members/<int:pk>/role/", members.member_role, name="member_role"),
    path("members/<int:pk>/remove/", members.member_remove, name="member_remove"),
    path("invitations/<str:token>", invitations.invitation_accept_view, name="invitation_accept"),
]
