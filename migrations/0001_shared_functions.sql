-- Functions shared by later migrations.

-- Keeps `updated_at` honest on every UPDATE, whichever code path wrote the row.
CREATE FUNCTION set_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END;
$$;
