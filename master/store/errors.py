"""What can go wrong in the store, as one tree the API layer translates to HTTP once.

    StoreError
    ├── NotFound          the key has no current object          -> 404
    ├── AlreadyExists     create of a key that has one            -> 409 AlreadyExists
    ├── Conflict          CAS failed: the caller's revision is stale -> 409 Conflict
    ├── Expired           watch from a revision already compacted -> 410 Expired
    ├── FutureRevision    a list at a revision the store has not reached -> 504 Timeout
    └── StoreUnavailable  the database failed; nothing is known   -> 500/503
"""


class StoreError(Exception):
    pass


class NotFound(StoreError):
    pass


class AlreadyExists(StoreError):
    pass


class Conflict(StoreError):
    pass


class Expired(StoreError):
    def __init__(self, requested: int, compacted: int):
        super().__init__(
            f"too old resource version: {requested} ({compacted + 1})"
        )
        self.requested = requested
        self.compacted = compacted


class FutureRevision(StoreError):
    def __init__(self, requested: int, current: int):
        super().__init__(f"Too large resource version: {requested}, current: {current}")
        self.requested = requested
        self.current = current


class StoreUnavailable(StoreError):
    pass
