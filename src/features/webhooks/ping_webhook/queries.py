# The secrets that sign now: the current one, and the previous one during its grace period.
SELECT_TARGET = """
SELECT url,
       CASE WHEN previous_secret_expires_at > now() THEN ARRAY[secret, previous_secret] ELSE ARRAY[secret] END
FROM webhook_endpoints
WHERE id = $1 AND owner_id = $2
"""
