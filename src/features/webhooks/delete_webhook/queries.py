# Its deliveries and their attempts go with it (ON DELETE CASCADE): nothing more is sent.
DELETE_WEBHOOK = "DELETE FROM webhook_endpoints WHERE id = $1 AND owner_id = $2 RETURNING id"
