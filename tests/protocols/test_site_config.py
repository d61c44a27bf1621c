from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from protocols.site_config import SiteConfig

DEMO = Path(__file__).parents[2] / "firmware-configs" / "demo-site.yaml"


def _site(**changes):
    data = {
        "site": "park1",
        "agent": "bldg-a",
        "buses": [
            {
                "kind": "modbus_tcp",
                "code": "gw1",
                "host": "127.0.0.1",
                "devices": [{"code": "EM-1", "profile": "chint-ddsu666", "unit_id": 1}],
            }
        ],
    }
    data.update(changes)
    return data


def test_the_demo_site_is_valid():
    config = SiteConfig.model_validate(yaml.safe_load(DEMO.read_text(encoding="utf-8")))
    assert [d.code for _, d in config.meters()] == ["EM-A-1201", "EM-A-1202", "EM-A-PUB"]
    assert config.mqtt.protocol == "5"


def test_defaults_fill_in_what_a_small_site_leaves_out():
    config = SiteConfig.model_validate(_site())
    device = config.buses[0].devices[0]
    assert (config.buses[0].port, device.poll_interval_s, device.billing) == (502, 5.0, False)


def test_config_hash_changes_with_the_config():
    one = SiteConfig.model_validate(_site())
    assert one.config_hash() == SiteConfig.model_validate(_site()).config_hash()
    assert one.config_hash() != SiteConfig.model_validate(_site(agent="bldg-b")).config_hash()


def test_config_hash_leaves_out_the_broker_credentials():
    def config_hash(*, username="bldg-a", password="secret", device="EM-1"):
        bus = _site()["buses"][0] | {"devices": [{"code": device, "profile": "chint-ddsu666"}]}
        mqtt = {"url": "mqtts://broker", "username": username, "password": password}
        return SiteConfig.model_validate(_site(buses=[bus], mqtt=mqtt)).config_hash()

    assert config_hash(password="guess-me") == config_hash()
    assert config_hash(username="bldg-b", password=None) == config_hash()
    assert config_hash(device="EM-2") != config_hash()


def _errors(data):
    with pytest.raises(ValidationError) as caught:
        SiteConfig.model_validate(data)
    return {(tuple(e["loc"]), e["msg"]) for e in caught.value.errors()}


def test_unknown_profile_names_the_known_ones():
    bus = _site()["buses"][0] | {"devices": [{"code": "EM-1", "profile": "acme-9000"}]}
    [(loc, msg)] = _errors(_site(buses=[bus]))
    assert loc[-1] == "profile" and "acme-9000" in msg and "chint-ddsu666" in msg


def test_unit_ids_are_unique_on_a_bus_and_in_range():
    devices = [
        {"code": "EM-1", "profile": "chint-ddsu666", "unit_id": 3},
        {"code": "EM-2", "profile": "chint-ddsu666", "unit_id": 3},
    ]
    [(_, msg)] = _errors(_site(buses=[_site()["buses"][0] | {"devices": devices}]))
    assert "unit id 3 is used twice" in msg
    devices = [{"code": "EM-1", "profile": "chint-ddsu666", "unit_id": 248}]
    [(loc, _)] = _errors(_site(buses=[_site()["buses"][0] | {"devices": devices}]))
    assert loc[-1] == "unit_id"


def test_codes_are_unique_across_the_site():
    second = _site()["buses"][0] | {"code": "gw2", "port": 503}
    [(_, msg)] = _errors(_site(buses=[_site()["buses"][0], second]))
    assert "'EM-1' is used twice" in msg


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"site": "park/1"}, "site"),
        ({"mqtt": {"url": "http://broker"}}, "url"),
        ({"mqtt": {"protocol": "4"}}, "protocol"),
        ({"outbox": {"batch_max_records": 0}}, "batch_max_records"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_bad_fields_are_reported_by_name(change, field):
    [(loc, _)] = _errors(_site(**change))
    assert loc[-1] == field
