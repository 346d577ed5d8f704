"""The core: parameter declarations, the output registry, I/O, memoisation, runtime and array helpers."""
