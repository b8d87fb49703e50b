"""Which addresses the crawl refuses (crawler.capture.netpolicy)."""

import pytest

from crawler.capture.netpolicy import host_port, is_private_address, private_target, resolve

PRIVATE = [
    "127.0.0.1", "127.8.9.10", "0.0.0.0", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1",
    "169.254.169.254",  # cloud metadata, link-local
    "100.64.0.1",  # shared address space (CGNAT)
    "192.0.2.1", "198.51.100.7", "203.0.113.9",  # documentation
    "198.18.0.1",  # benchmarking
    "240.0.0.1", "255.255.255.255",  # reserved, broadcast
    "224.0.0.1", "239.255.255.250",  # multicast
    "::", "::1", "fe80::1", "fe80::1%eth0", "fc00::1", "fd12:3456::1", "ff02::1", "ff0e::1",
    "2001:db8::1",  # documentation
    "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254",  # IPv4-mapped
    "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
    "2002:c0a8:0101::1",  # 6to4 of 192.168.1.1
    "not-an-ip", "",
]
PUBLIC = [
    "8.8.8.8", "1.1.1.1", "223.5.5.5", "114.114.114.114", "172.32.0.1", "100.128.0.1",
    "2606:4700:4700::1111", "2400:3200::1",
    "::ffff:8.8.8.8",  # mapped public address
    "64:ff9b::808:808",  # NAT64 of 8.8.8.8
]


@pytest.mark.parametrize("ip", PRIVATE)
def test_private_addresses(ip):
    assert is_private_address(ip) is True


@pytest.mark.parametrize("ip", PUBLIC)
def test_public_addresses(ip):
    assert is_private_address(ip) is False


def test_resolve_literals_and_localhost():
    assert resolve("127.0.0.1", 80) == ["127.0.0.1"]
    assert resolve("[::1]", 443) == ["::1"]
    assert "127.0.0.1" in resolve("localhost", 80)
    assert resolve("does-not-exist.invalid", 80) == []
    assert resolve("", 80) == []


def test_private_target():
    assert private_target("http://127.0.0.1:8080/a?b=c") == "127.0.0.1"
    assert private_target("https://localhost/") == "127.0.0.1"
    assert private_target("http://[::1]:81/") == "::1"
    assert private_target("http://10.0.0.5/") == "10.0.0.5"
    assert private_target("http://8.8.8.8/") is None
    # Unresolvable is not private: the fetch fails on its own.
    assert private_target("http://does-not-exist.invalid/") is None
    assert private_target("data:text/plain,hi") is None


def test_host_port_defaults():
    assert host_port("http://Example.COM/x") == ("example.com", 80)
    assert host_port("https://example.com/x") == ("example.com", 443)
    assert host_port("https://example.com:8443/") == ("example.com", 8443)
    assert host_port("http://example.com:99999999/") == ("example.com", 80)
