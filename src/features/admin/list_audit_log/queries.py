LIST_AUDIT_LOG = """
SELECT id, occurred_at, actor_id, actor_role, action, target_type, target_id, reason, details, request_id
FROM audit_log
WHERE id < $1 AND ($3::uuid IS NULL OR target_id = $3)
ORDER BY id DESC
LIMIT $2
"""
