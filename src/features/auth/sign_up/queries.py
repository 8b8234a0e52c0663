INSERT_USER = """
INSERT INTO users (id, email, display_name, password_hash)
VALUES ($1, $2, $3, $4)
RETURNING id, email, display_name, created_at
"""
