"""Keras-style training (``compile``/``fit``/``evaluate``/``predict``): placeholder mixin."""


class Trainable:
    """Mixin that gives a model Keras-style ``compile``/``fit``/``evaluate``/``predict``."""
