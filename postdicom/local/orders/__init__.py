"""Patient orders in the embedded backend, one module per topic.

``visibility`` decides who sees which order and is used by every other module; ``create``,
``search``, ``properties``, ``recycle``, ``links``, ``assignment`` and ``flags`` each hold
one mixin of ``LocalBackend``. This package imports nothing at load time, so that the models
can use ``names`` without an import cycle.
"""
