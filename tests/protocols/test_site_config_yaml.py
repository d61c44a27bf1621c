import pytest

from protocols.site_config_yaml import SiteConfigError, parse_site_config

GOOD = """\
site: park1
agent: bldg-a
buses:
  - kind: modbus_tcp
    code: gw1
    host: 127.0.0.1
    devices:
      - code: EM-1
        profile: chint-ddsu666
        unit_id: 1
      - code: EM-2
        profile: chint-ddsu666
        unit_id: 2
"""


def _error(text: str) -> str:
    with pytest.raises(SiteConfigError) as caught:
        parse_site_config(text, source="site.yaml")
    return str(caught.value)


def test_a_good_config_parses():
    config = parse_site_config(GOOD, source="site.yaml")
    assert [device.code for _, device in config.meters()] == ["EM-1", "EM-2"]


def test_every_error_is_listed_with_its_place_and_line():
    text = GOOD.replace("unit_id: 2", "unit_id: 300").replace("chint-ddsu666", "acme", 1)
    message = _error(text + "mqtt:\n  protocol: '4'\n")
    assert message.startswith("site.yaml: 3 errors")
    assert "buses[0].devices[0].profile (line 9): unknown profile 'acme'" in message
    assert "buses[0].devices[1].unit_id (line 13): Input should be less than or equal" in message
    assert "mqtt.protocol (line 15):" in message
    assert "modbus_tcp" not in message.split("\n", 1)[1]  # pydantic's union tag is not shown


def test_rules_across_fields_point_at_the_bus():
    message = _error(GOOD.replace("unit_id: 2", "unit_id: 1"))
    assert "buses[0] (line 4): bus gw1: unit id 1 is used twice" in message


def test_missing_fields_and_missing_kind_are_named():
    message = _error("site: park1\nbuses:\n  - code: gw1\n    host: h\n")
    assert "agent: Field required" in message
    assert "buses[0] (line 3): needs a `kind:`" in message


def test_yaml_syntax_errors_give_the_line():
    message = _error("site: park1\nagent: [bldg-a\nbuses: []\n")
    assert message.startswith("site.yaml: not valid YAML: line 3")


@pytest.mark.parametrize("text", ["", "- just\n- a list\n", "plain words\n"])
def test_a_text_that_is_not_a_mapping_is_refused(text):
    assert "expected a mapping" in _error(text)


def test_a_device_may_use_a_site_profile_and_an_unknown_one_is_reported_beside_other_errors():
    text = "profiles:\n  - {name: acme, values: [{metric: e, address: 0, data_type: uint16}]}\n"
    devices = GOOD.replace("chint-ddsu666", "acme", 1).replace("chint-ddsu666", "acme-9000")
    message = _error(devices.replace("unit_id: 2", "unit_id: 0") + text)
    assert message.startswith("site.yaml: 2 errors")
    assert "buses[0].devices[1].profile (line 12): unknown profile 'acme-9000'; known: acme," in (
        message
    )
    assert "buses[0].devices[1].unit_id (line 13)" in message
