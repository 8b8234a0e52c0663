# Inserts and reads back the view (with the owner's name) in one round trip.
INSERT_AVATAR = """
WITH inserted AS (
    INSERT INTO avatars (id, owner_id, name, color)
    VALUES ($1, $2, $3, $4)
    RETURNING id, name, color, owner_id, likes_count, created_at, updated_at, version
)
SELECT i.id, i.name, i.color, i.owner_id, u.display_name, i.likes_count, false AS liked_by_me,
       i.created_at, i.updated_at, i.version, false AS hidden
FROM inserted i
JOIN users u ON u.id = i.owner_id
"""
