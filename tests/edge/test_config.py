from pathlib import Path

import pytest

from edge.config import SiteConfigError, load_site_config
from edge.errors import EdgeError
from protocols import site_config_yaml

DEMO = Path(__file__).parents[2] / "firmware-configs" / "demo-site.yaml"


def test_the_demo_site_loads():
    config = load_site_config(DEMO)
    assert (config.site, config.agent) == ("demo-park", "bldg-a")
    assert len(config.meters()) == 3


def test_the_file_name_is_in_every_message(tmp_path):
    path = tmp_path / "broken-site.yaml"
    path.write_text("site: park1\nagent: [bldg-a\n", encoding="utf-8")
    with pytest.raises(SiteConfigError, match=r"^broken-site.yaml: not valid YAML: line 3"):
        load_site_config(path)
    path.write_text("site: park1\n", encoding="utf-8")
    with pytest.raises(SiteConfigError, match=r"^broken-site.yaml: 1 error\n  agent: Field"):
        load_site_config(path)
    with pytest.raises(SiteConfigError, match="cannot read"):
        load_site_config(tmp_path / "absent.yaml")


def test_a_bad_config_is_an_edge_error_and_a_site_config_error(tmp_path):
    path = tmp_path / "site.yaml"
    path.write_text("site: park1\n", encoding="utf-8")
    with pytest.raises(EdgeError) as caught:
        load_site_config(path)
    assert isinstance(caught.value, site_config_yaml.SiteConfigError)
