"""Every example in k8score's docstrings runs and prints what it says."""

import doctest
import importlib
import pkgutil

import pytest

import k8score

MODULES = sorted(m.name for m in pkgutil.walk_packages(k8score.__path__, "k8score."))


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"
