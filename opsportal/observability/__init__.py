"""Production observability: request ids and JSON logs, health probes, /metrics (issue 17)."""
