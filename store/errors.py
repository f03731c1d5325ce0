"""Expected outcomes of the store, named so the CLI can map them to exit codes."""


class KlachtenError(Exception):
    """Base of the errors a user or operator is meant to read (one line)."""

    exit_code = 1


class UserError(KlachtenError):
    """Bad input: unknown case number, impossible date, wrong state. Exit 2."""

    exit_code = 2


class NotFound(UserError):
    """The thing named does not exist."""


class WrongState(UserError):
    """The action does not fit the case's state (answering a closed case)."""


class SchemaOutdated(KlachtenError):
    """The database schema is older than the code: run `klachten db upgrade`."""

    exit_code = 2


class MigrationRefused(KlachtenError):
    """The data does not fit a migration's new rules; nothing was changed. Exit 2."""

    exit_code = 2


class StoreUnavailable(KlachtenError):
    """The database cannot be reached. Exit 1: an operational failure.

    `transient` is True when the database itself is the trouble (connection
    lost, disk full, locked) rather than the data written: a message that
    failed only for such reasons is retried, never quarantined for it.
    """

    def __init__(self, message: str, *, transient: bool = True) -> None:
        super().__init__(message)
        self.transient = transient
