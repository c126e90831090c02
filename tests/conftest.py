"""Fixtures shared by the kube-apiserver test files.

A test file that needs a differently prepared server defines its own ``api`` (or ``loop`` /
``store``) fixture; pytest lets a module's fixture override these.
"""

from apihelpers import default_service_accounts
import pytest

from k8score.apiserver import APIServer
from k8score.etcd import Store
from k8score.sim import Loop


@pytest.fixture
def loop():
    """A fresh simulation loop with a fixed seed."""
    return Loop(seed=0)


@pytest.fixture
def store():
    """An empty etcd store."""
    return Store()


@pytest.fixture
def api(loop, store):
    """A started API server on ``loop`` and ``store``."""
    a = APIServer(loop, store, seed=0)
    a.start()
    default_service_accounts(a)
    return a
