"""One HTTP client section: every use (images, crawl, remote reading) is validated by the same rules."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from builder.cli import main
from builder.config import parse_config
from builder.errors import ConfigError
from builder.net.config import FetchConfig, HttpClientConfig
from builder.sources.config import CrawlFetchConfig, RemoteConfig
from tests.support.architecture import modules, parse

REPO = Path(__file__).resolve().parent.parent
BAD = {"allow_networks": ["not-a-net"], "user_agent": "Mozilla/5.0"}


@pytest.mark.parametrize("where", [
    lambda http: {"sources": [{"type": "warc", "paths": ["a.warc.gz"], "remote": http}]},
    lambda http: {"sources": [{"type": "cc_index", "paths": ["t.csv"], "remote": http}]},
    lambda http: {"sources": [{"type": "obelics", "paths": ["t.parquet"], "remote": http}]},
    lambda http: {"sources": [{"type": "crawl", "urls": ["https://example.org/"], "fetch": http}]},
    lambda http: {"images": {"fetch": http}},
], ids=["warc", "cc_index", "obelics", "crawl", "images"])
def test_every_http_use_rejects_a_bad_allow_list_and_a_browser_user_agent(where):
    with pytest.raises(ConfigError) as err:
        parse_config(where(BAD))
    assert "allow_networks" in str(err.value) and "impersonates" in str(err.value)


def test_config_check_rejects_the_bad_remote_section_with_exit_2(tmp_path, capsys):
    path = tmp_path / "run.yaml"
    path.write_text('sources:\n  - type: warc\n    paths: [x.warc.gz]\n'
                    '    remote: {allow_networks: [not-a-net], user_agent: "Mozilla/5.0"}\n')
    assert main(["config", "check", str(path)]) == 2
    err = capsys.readouterr().err
    assert "remote.allow_networks" in err and "remote.user_agent" in err


def test_each_use_keeps_its_own_defaults_on_the_shared_section():
    assert all(issubclass(c, HttpClientConfig) for c in (FetchConfig, CrawlFetchConfig, RemoteConfig))
    remote, fetch, crawl = RemoteConfig(), FetchConfig(), CrawlFetchConfig()
    assert (remote.retries, remote.total_timeout_s) == (5, 300.0)
    assert (fetch.retries, fetch.total_timeout_s) == (2, 30.0)
    assert (crawl.per_host_concurrency, fetch.per_host_concurrency) == (2, 8)
    # The same identity for every use, unless a section says otherwise.
    assert remote.agent() == fetch.agent() and "loombot/" in remote.agent()
    assert RemoteConfig(robots_token="mybot").agent().startswith("mybot/")


def test_retry_status_is_defined_once():
    defined = [name for name, path in modules(REPO).items()
               for node in ast.walk(parse(path))
               if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "RETRY_STATUS" for t in node.targets)]
    assert defined == ["builder.net.config"]
