"""deltacheck's comparisons: manual_bp against torch_ref, and the diagnosis of a user's own backprop.

``from comparisons import check_backprop, assert_backprop`` loads the diagnose API on first use
(PEP 562), so that ``import comparisons`` itself imports nothing heavy.
"""

API = ("check_backprop", "assert_backprop")


def __getattr__(name):
    if name in API:
        from comparisons.diagnose import api

        return getattr(api, name)
    raise AttributeError(f"module 'comparisons' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(API))
