"""`deltacheck grade DIR`: diagnose every submission of a class, each in its own child and scratch folder.

It leans on common/ and on diagnose's public API alone: ``comparisons.diagnose.api.check_backprop``
and the limits of ``comparisons.diagnose.limits``.
"""
