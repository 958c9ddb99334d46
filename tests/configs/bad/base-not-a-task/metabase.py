"""A task base with a metaclass of its own: poli's task class cannot sit over it."""

import celery


class Registering(type):
    pass


class Audited(celery.Task, metaclass=Registering):
    pass
