"""The HTTP edge: everything that knows Litestar and the request being served.

What every request crosses (`edge`: request id, security headers, metrics, access line;
`read_retry`), the checks that run before a route's dependencies (`checks`, with
`rate_limit`, `auth`, `body` and `form`), how routes receive resources (`dependencies`), the one
mapping from failures to problem details (`problems`), and the route-level helpers that
slices declare: `idempotency`, `client_address`, the API docs (`api_docs`) and the
document as generators read it (`api_contract`: `sends_headers`), `/metrics`
(`metrics_endpoint`) and the OPTIONS fix (`routing`).

May import every other part of the kernel; nothing in the kernel imports it.
"""
