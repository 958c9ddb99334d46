def count(self, limit: int):
    return limit


def plain(limit: int):
    return limit
