"""What operators see: structured logs (`logging`), Prometheus metrics (`metrics`, and their
own listener for METRICS_PORT), and the id of the request being served (`request_context`),
which every log line, problem body, outbox event and outbound call carries;
`request_context` is also where tracing will say which trace and span the work is in.

Imports nothing of the kernel but settings, so every other layer can log and count.
"""
