"""The request id that follows a request from HTTP into the workers (and into every log line)."""
import contextvars
import uuid

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")


def new_request_id() -> str:
    return "req_" + uuid.uuid4().hex
