"""What a database column can hold, checked where untrusted JSON enters (the API body parser, the federation inbox)."""

import math


def storable(value) -> bool:
    """Whether a JSON value can be stored as it is: no NUL character and no lone surrogate in any text (PostgreSQL
    refuses both), no NaN or infinity (not JSON). Raises RecursionError on nesting thousands deep.
    """
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, str):
        return "\x00" not in value and value.encode("utf-8", "surrogatepass").decode("utf-8", "replace") == value
    if isinstance(value, dict):
        return all(storable(key) and storable(item) for key, item in value.items())
    if isinstance(value, list):
        return all(storable(item) for item in value)
    return True
