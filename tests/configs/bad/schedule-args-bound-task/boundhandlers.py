def count(self, limit: int):
    return limit
