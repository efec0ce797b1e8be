from django.urls import path

from apps.accounts.apis import WhoAmIApi

urlpatterns = [path("v1/me", WhoAmIApi.as_view(), name="whoami")]
