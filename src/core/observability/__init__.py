"""What operators see: structured logs (`logging`), Prometheus metrics (`metrics`, and their
own listener for METRICS_PORT), OpenTelemetry traces (`tracing`, imported only when an OTLP
endpoint is configured), and the id of the request being served (`request_context`), which
every log line, problem body, outbox event and outbound call carries; `request_context`
is also where the rest of the kernel asks which trace and span the work is in.

Imports nothing of the kernel but settings, so every other layer can log, count and trace.
"""
