"""A handler whose type hints are its input contract."""


def cleanup(older_than_days: int = 90, batch_size: int = 500, dry_run: bool = False) -> int:
    return older_than_days
