"""The private bottom layer: what every room above uses and no user imports.

Decoding images (:mod:`.imaging`), checking image input (:mod:`.validation`), labels
tables, progress lines, atomic file writes, target kinds, the quiet TensorFlow import
and the docstring filler. Nothing here imports a module above it.
"""
