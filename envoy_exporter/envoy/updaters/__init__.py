"""Updaters: one module per endpoint family, each with probe() and update()."""
