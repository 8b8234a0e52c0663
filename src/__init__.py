"""Avatar API: a Litestar service organised as vertical slices."""
