"""Minimal `{{name}}` substitution for the template files in templates/.

Templates hold the real sites' noisy markup (inline JS with braces, CSS), so a
placeholder syntax that never collides with JavaScript is all we need; no
logic lives in templates, the site modules prepare every value.
"""

import functools
import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))
_VAR = re.compile(r"\{\{(\w+)\}\}")


@functools.lru_cache(maxsize=None)
def _load(name):
    with open(os.path.join(HERE, "templates", name), encoding="utf-8") as f:
        return f.read()


def render(name, **values):
    """Fill a template; a placeholder without a value is a bug (KeyError)."""
    return _VAR.sub(lambda m: str(values[m.group(1)]), _load(name))


@functools.lru_cache(maxsize=None)
def static_bytes(name):
    with open(os.path.join(HERE, "static", name), "rb") as f:
        return f.read()
