"""The running process: a worker's shared resources from start-up to shutdown.

`lifespan` opens them in order (database, migrations, pool, HTTP client, Redis, jobs) and
closes them in reverse; `jobs` runs the features' periodic work, `background` tracks the
tasks the lifespan owns, `http_client` is the guarded outbound session, `rate_counters`
and `redis` keep the shared counters, `password_checks` and `second_factor` are the
account's budget of failed checks and the code accepted once, and `server` is what
`api serve` runs (Granian) and how a worker that cannot start stops it.

May import security, data, observability and the shared types; never Litestar (the
HTTP edge adapts it) and never the HTTP edge.
"""
