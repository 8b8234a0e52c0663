"""No request body and no answer body: the refresh token comes in its cookie, and the
answer is a 204 that clears the cookies."""

__all__: tuple[str, ...] = ()
