"""The one exception the CLI turns into 'one line on stderr, exit 2'."""


class UsageError(Exception):
    """Bad input from the user: the message names the problem in one line."""
