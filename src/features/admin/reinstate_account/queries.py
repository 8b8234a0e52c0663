REINSTATE = """
WITH target AS (
    SELECT id, suspended_at, suspension_reason FROM users WHERE id = $1 AND deleted_at IS NULL FOR UPDATE
), reinstated AS (
    UPDATE users u SET suspended_at = NULL, suspension_reason = NULL
    FROM target t
    WHERE u.id = t.id AND t.suspended_at IS NOT NULL
    RETURNING u.id
)
SELECT t.suspended_at, t.suspension_reason, EXISTS (SELECT 1 FROM reinstated) AS reinstated
FROM target t
"""
