# Locks the avatar, then hides it if it is not: one statement, so two moderators hiding
# it at once hide it once (the second is told it already is).
HIDE = """
WITH target AS (
    SELECT id, hidden_at FROM avatars WHERE id = $1 AND deleted_at IS NULL FOR UPDATE
), hidden AS (
    UPDATE avatars a SET hidden_at = now(), hidden_reason = $2
    FROM target t
    WHERE a.id = t.id AND t.hidden_at IS NULL
    RETURNING a.id, a.owner_id, a.name, a.hidden_at, a.hidden_reason
)
SELECT h.id, h.owner_id, h.name, h.hidden_at, h.hidden_reason, t.hidden_at IS NOT NULL AS was_hidden
FROM target t LEFT JOIN hidden h ON h.id = t.id
"""
