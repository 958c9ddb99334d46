def route_by_priority(name, args, kwargs, options, task=None, **kw):
    if name.endswith("_urgent"):
        return {"queue": "urgent"}
    return None
