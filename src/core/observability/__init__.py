"""What operators see: structured logs (`logging`), Prometheus metrics (`metrics`), and the
id of the request being served (`request_context`), which every log line, problem body,
outbox event and outbound call carries.

Imports nothing of the kernel but settings, so every other layer can log and count.
"""
