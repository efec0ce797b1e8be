"""One page of a list: numbered pages over a QuerySet, or a cursor page as
apps.tasks.selectors.task_list returns it (``items``, ``next_cursor``)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.paginator import Paginator
from django.db.models import QuerySet

PAGE_SIZE = 20


@dataclass
class Page:
    items: list[Any]
    next_query: dict[str, str] | None  # query parameters of the next page, None on the last
    previous_query: dict[str, str] | None
    label: str = ""


def page_of(queryset: QuerySet, *, request, page_size: int = PAGE_SIZE) -> Page:
    paginator = Paginator(queryset, page_size)
    page = paginator.get_page(request.GET.get("page"))
    return Page(
        list(page.object_list),
        {"page": str(page.next_page_number())} if page.has_next() else None,
        {"page": str(page.previous_page_number())} if page.has_previous() else None,
        f"Page {page.number} of {paginator.num_pages}",
    )


def cursor_page(items: list[Any], next_cursor: str | None, *, request) -> Page:
    return Page(items, {"cursor": next_cursor} if next_cursor else None,
                {"cursor": ""} if request.GET.get("cursor") else None)
