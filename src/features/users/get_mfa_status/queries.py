SELECT_MFA_STATUS = """
SELECT CASE WHEN t.user_id IS NULL THEN 'off' WHEN t.confirmed_at IS NULL THEN 'pending' ELSE 'on' END AS totp,
       CASE WHEN t.confirmed_at IS NULL THEN 0 ELSE (
           SELECT count(*) FROM mfa_backup_codes b WHERE b.user_id = u.id AND b.used_at IS NULL
       )::integer END AS backup_codes_remaining
FROM users u
LEFT JOIN user_totp t ON t.user_id = u.id
WHERE u.id = $1 AND u.deleted_at IS NULL
"""
