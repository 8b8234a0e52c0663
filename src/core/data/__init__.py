"""PostgreSQL: the pool and its waiting line (`database`, `waiting_line`), the migration
runner (`migrations`), the embedded server for development (`embedded_postgres`), the
transactional outbox that features write events to (`outbox`), and keyset pagination
(`pagination`).

May import observability and the shared types; never the HTTP edge, the runtime or
security.
"""
