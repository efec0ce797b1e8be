"""The built-in ``simulated`` provider: every task kind, no network, no credentials.

Outputs are deterministic from the request (``seed`` and the prompt) and are real files in
the format the real model returns (PNG/JPEG/WEBP, WAV/MP3/FLAC/Opus/AAC/PCM, H.264 MP4).
Every result carries ``simulated=True``. It doubles as the load-test and fault-injection
upstream, tuned by the route's ``options`` (all optional, numbers unless said):

    latency_ms       delay before a sync answer or the first streamed token (default 0)
    token_delay_ms   delay between streamed text tokens (default 15)
    render_seconds   how long an async video "renders" before a poll succeeds (default 3)
    failure_rate     0..1: the fraction of tasks whose ``run`` fails; which tasks fail is
                     fixed by ``task_id``, so fault-injection tests are reproducible
    fail_mode        "retryable" (default; 502 provider_unavailable, retryable),
                     "final" (502 provider_bad_response, not retryable) or
                     "timeout" (waits ``timeout_seconds``, capped, then 504 provider_timeout)
"""
