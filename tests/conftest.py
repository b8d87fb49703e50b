"""Fixtures shared by the test modules."""

import pytest

from mocksite import MockSite


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The mock of the target sites, on 127.0.0.1, for one test module."""
    with MockSite(tls_dir=str(tmp_path_factory.mktemp("tls"))) as s:
        yield s
