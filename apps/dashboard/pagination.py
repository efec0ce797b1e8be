"""One page of a selector's result, whatever shape it returns: a QuerySet/list (numbered
pages) or a cursor page (``items`` + ``next_cursor``)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.paginator import Paginator

from apps.dashboard.integrations import field

PAGE_SIZE = 20


@dataclass
class Page:
    items: list[Any]
    next_query: dict[str, str] | None  # query parameters of the next page, None on the last
    previous_query: dict[str, str] | None
    label: str = ""


def page_of(result: Any, *, request, page_size: int = PAGE_SIZE) -> Page:
    if isinstance(result, tuple):  # (items, next_cursor), as apps.tasks.selectors.task_list returns
        result = {"items": result[0], "next_cursor": result[1]}
    items = field(result, "items")
    if items is not None and not callable(items):  # a cursor page (dict.items is callable: not this)
        next_cursor = field(result, "next_cursor")
        return Page(list(items), {"cursor": next_cursor} if next_cursor else None,
                    {"cursor": ""} if request.GET.get("cursor") else None)
    paginator = Paginator(result, page_size)
    page = paginator.get_page(request.GET.get("page"))
    return Page(
        list(page.object_list),
        {"page": str(page.next_page_number())} if page.has_next() else None,
        {"page": str(page.previous_page_number())} if page.has_previous() else None,
        f"Page {page.number} of {paginator.num_pages}",
    )
