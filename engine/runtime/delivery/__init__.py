"""Delivery: poli's Redis transport, held messages of live workers, dead letters, the
delivery counter, bulk fan-out."""
