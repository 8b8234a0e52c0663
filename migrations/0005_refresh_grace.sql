-- A refresh token that was just rotated may be presented again for a few seconds (two
-- browser tabs, a client retrying after a timeout) and get the same successor instead of
-- tripping reuse detection. The successor is kept sealed (AES-GCM, a key derived from the
-- signing key), never in clear: a database read alone does not yield a usable token.
ALTER TABLE refresh_tokens ADD COLUMN successor_sealed bytea;
