"""API routes of the tasks area (full paths, included at the site root)."""
from django.urls import path

from apps.tasks import apis

app_name = "tasks"
urlpatterns = [
    path("v1/tasks", apis.task_collection, name="collection"),
    path("v1/tasks/<str:task_id>", apis.TaskDetailApi.as_view(), name="detail"),
    path("v1/tasks/<str:task_id>/cancel", apis.TaskCancelApi.as_view(), name="cancel"),
    path("v1/files/<str:token>", apis.output_file, name="file"),
]
