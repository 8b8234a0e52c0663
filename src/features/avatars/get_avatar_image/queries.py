SELECT_AVATAR_LOOK = """
SELECT a.name, a.color, a.version
FROM avatars a
JOIN users u ON u.id = a.owner_id AND u.deleted_at IS NULL
WHERE a.id = $1 AND a.deleted_at IS NULL AND a.hidden_at IS NULL AND u.suspended_at IS NULL
"""
