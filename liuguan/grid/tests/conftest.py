from .world import world  # noqa: F401 (the grid world fixture for every test here)
