"""The shared kernel: infrastructure only, no business rules, never imports features.

Grouped by concern; each layer imports only the layers below it (the import contracts
in pyproject.toml hold this):

| layer | folder | holds |
|---|---|---|
| HTTP edge | `http/` | middleware, request checks, problem details, providers, docs |
| runtime | `runtime/` | lifespan, jobs, background tasks, HTTP client, Redis, server |
| security, data | `security/`, `data/` | keys, tokens, passwords, SSRF guard; pool, SQL, outbox |
| observability | `observability/` | logging, metrics, tracing, the request id |
| shared types | this folder | settings, errors, ids, clock, text |

Security and data are independent of each other. Only the HTTP edge knows Litestar.
A kernel module serves the kernel itself or at least two features; code that one
feature alone uses lives in that feature (docs/adding-a-slice.md).
"""
