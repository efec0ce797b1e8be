import dramatiq

from apps.core.request_context import request_id_var


class RequestIdMiddleware(dramatiq.Middleware):
    """Carries the request id of the HTTP request that enqueued a message into the worker."""

    def before_enqueue(self, broker, message, delay):
        message.options.setdefault("request_id", request_id_var.get())

    def before_process_message(self, broker, message):
        message.options["_request_id_token"] = request_id_var.set(message.options.get("request_id", "-"))

    def after_process_message(self, broker, message, *, result=None, exception=None):
        token = message.options.pop("_request_id_token", None)
        if token is not None:
            request_id_var.reset(token)

    after_skip_message = after_process_message


class GcSettleMiddleware(dramatiq.Middleware):
    """Sets the garbage collector up once a worker process has imported its actors
    (``apps.core.gc_tuning``)."""

    def after_worker_boot(self, broker, worker):
        from apps.core.gc_tuning import gc_settle_after_startup

        gc_settle_after_startup()
