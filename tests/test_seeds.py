"""The seed-file reader."""

import pytest

from crawler.seeds import SeedFileError, SeedProblem, read_seeds

SEEDS = """\
# WeChat posts about blood-sample collection
https://mp.weixin.qq.com/s/Xb7f2QpLm9RtZ0aYc4WvKg

   https://www.thepaper.cn/newsDetail_forward_27412345   # The Paper, 澎湃号
ftp://x
http://www.luolong.gov.cn/公安/工作动态/index.html?id=3&q=血样
mp.weixin.qq.com/s/no-scheme
http://a b.gov.cn/
http://host:99999/
https://mp.weixin.qq.com/s/Xb7f2QpLm9RtZ0aYc4WvKg
http://
https://mp.weixin.qq.com/s?__biz=MzI0NTY3ODkxMA==&mid=2247489012&idx=1&sn=3f9c#rd
"""


@pytest.fixture
def seeds_file(tmp_path):
    path = tmp_path / "seeds.txt"
    data = SEEDS.encode("utf-8") + b"http://bad.example/\xff\xfe\n" + b"http://ctl.example/\x01x\n"
    path.write_bytes(data)
    return path


def test_urls_in_order_deduplicated(seeds_file):
    seeds = read_seeds(seeds_file)
    assert seeds.urls == [
        "https://mp.weixin.qq.com/s/Xb7f2QpLm9RtZ0aYc4WvKg",
        "https://www.thepaper.cn/newsDetail_forward_27412345",
        "http://www.luolong.gov.cn/%E5%85%AC%E5%AE%89/%E5%B7%A5%E4%BD%9C%E5%8A%A8%E6%80%81/index.html"
        "?id=3&q=%E8%A1%80%E6%A0%B7",
        "https://mp.weixin.qq.com/s?__biz=MzI0NTY3ODkxMA==&mid=2247489012&idx=1&sn=3f9c#rd",
    ]


def test_problems_with_line_numbers(seeds_file):
    problems = read_seeds(seeds_file).problems
    assert [(p.lineno, p.text) for p in problems] == [
        (5, "ftp://x"),
        (7, "mp.weixin.qq.com/s/no-scheme"),
        (8, "http://a b.gov.cn/"),
        (9, "http://host:99999/"),
        (11, "http://"),
        (13, "http://bad.example/\ufffd\ufffd"),
        (14, "http://ctl.example/\x01x"),
    ]
    assert str(problems[0]) == "seeds.txt:5: not an http(s) URL: 'ftp://x'"
    assert all(p.reason for p in problems)


def test_problem_str_default_name():
    assert str(SeedProblem(7, "ftp://x", "not an http(s) URL")) == "seeds:7: not an http(s) URL: 'ftp://x'"


def test_empty_and_comment_only(tmp_path):
    path = tmp_path / "s.txt"
    path.write_text("\n# only comments\n   \n\t# indented comment\n", encoding="utf-8")
    seeds = read_seeds(path)
    assert seeds.urls == [] and seeds.problems == []


def test_bom_and_crlf(tmp_path):
    path = tmp_path / "s.txt"
    path.write_bytes(b"\xef\xbb\xbfhttps://a.gov.cn/x\r\nhttps://b.gov.cn/y\r\n")
    assert read_seeds(path).urls == ["https://a.gov.cn/x", "https://b.gov.cn/y"]


@pytest.mark.parametrize("make", ["missing", "directory"])
def test_unreadable_file_is_one_line_error(tmp_path, make):
    path = tmp_path / "nope.txt"
    if make == "directory":
        path.mkdir()
    with pytest.raises(SeedFileError) as err:
        read_seeds(path)
    msg = str(err.value)
    assert "\n" not in msg and str(path) in msg
    assert isinstance(err.value, ValueError)
