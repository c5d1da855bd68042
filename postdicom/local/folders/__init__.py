"""Folders in the embedded backend, one module per topic.

``access`` decides whose folders an actor reaches (their own; the sharing issue adds shared
ones there) and writes the audit trail; ``names`` cleans names and descriptions; ``tree``
loads folders with their counts in a few queries. ``create``, ``edit``, ``listing`` and
``membership`` each hold one mixin of ``LocalBackend``.
"""
