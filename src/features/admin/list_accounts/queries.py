# Newest first (time-ordered ids), live accounts, each filter applied only when given.
LIST_ACCOUNTS = """
SELECT u.id, u.email, u.display_name, u.role, u.created_at, u.suspended_at, u.suspension_reason,
       (SELECT count(*) FROM avatars a WHERE a.owner_id = u.id AND a.deleted_at IS NULL) AS avatars_count
FROM users u
WHERE u.deleted_at IS NULL AND u.id < $1
  AND ($3::text IS NULL OR starts_with(u.email, $3))
  AND ($4::text IS NULL OR u.role = $4)
  AND ($5::text IS NULL OR ($5 = 'suspended') = (u.suspended_at IS NOT NULL))
ORDER BY u.id DESC
LIMIT $2
"""
