"""`deltacheck grade DIR`: diagnose every submission of a class, each in its own child and scratch folder."""
