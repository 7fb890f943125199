"""Operations: Prometheus metrics, JSON logs with a request id, the ASGI middleware."""
