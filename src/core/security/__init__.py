"""Credentials and trust: signing keys, access and refresh tokens, password hashing,
sealing (AES-GCM under the data encryption key), TOTP and backup codes, and the guard on
outbound calls to addresses users give us (SSRF).

Primitives only, with no knowledge of requests: the check that turns a request's bearer
token into a principal is `core.http.auth`, which uses `tokens` from here.

May import observability and the shared types (settings, errors, ids, clock, text).
"""
