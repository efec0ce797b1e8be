from ulid import ULID


def new_public_id(prefix: str) -> str:
    """Sortable public id, e.g. ``task_01JD…`` (prefix + lower-case ULID)."""
    return f"{prefix}_{str(ULID()).lower()}"
