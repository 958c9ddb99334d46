def nothing(*, value: int = 0):
    return value
