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


STREET = Path(__file__).parents[2] / "firmware-configs" / "street-shops-site.yaml"


def _serial_bus(**changes):
    bus = {
        "kind": "modbus_rtu",
        "code": "rs485-1",
        "port": "/dev/ttyUSB0",
        "devices": [{"code": "EM-1", "profile": "chint-ddsu666", "unit_id": 1}],
    }
    return bus | changes


def test_the_street_shops_example_uses_every_bus_kind():
    config = SiteConfig.model_validate(yaml.safe_load(STREET.read_text(encoding="utf-8")))
    kinds = [bus.kind for bus in config.buses]
    assert kinds == ["modbus_rtu", "modbus_rtu_over_tcp", "dlt645"]
    assert config.buses[2].baud == 2400 and config.buses[2].parity == "E"
    assert config.profile("acme-em100").value("energy_import").scale == 0.01


def test_serial_timeouts_follow_the_baud_rate():
    slow = SiteConfig.model_validate(_site(buses=[_serial_bus(baud=2400)])).buses[0]
    fast = SiteConfig.model_validate(_site(buses=[_serial_bus(baud=38400)])).buses[0]
    assert slow.read_timeout_s(60) > fast.read_timeout_s(60) > fast.turnaround_s
    fixed = SiteConfig.model_validate(_site(buses=[_serial_bus(timeout_s=0.7)])).buses[0]
    assert fixed.read_timeout_s(60) == 0.7


def test_an_interval_the_line_cannot_carry_is_an_error():
    devices = [
        {"code": f"EM-{n}", "profile": "eastron-sdm630", "unit_id": n, "poll_interval_s": 0.5}
        for n in range(1, 33)
    ]
    [(_, msg)] = _errors(_site(buses=[_serial_bus(baud=2400, devices=devices)]))
    assert "bus rs485-1" in msg and "of the line at 2400 baud" in msg
    one = [{"code": "EM-1", "profile": "eastron-sdm630", "unit_id": 1, "poll_interval_s": 0.05}]
    [(_, msg)] = _errors(_site(buses=[_serial_bus(baud=1200, devices=one)]))
    assert "EM-1 needs" in msg and "more than its poll_interval_s 0.05" in msg


def test_a_baud_rate_no_meter_uses_is_refused():
    [(loc, msg)] = _errors(_site(buses=[_serial_bus(baud=9601)]))
    assert loc[-1] == "baud" and "9600" in msg


def test_a_device_may_use_a_profile_the_site_defines():
    profile = {
        "name": "acme-em100",
        "values": [{"metric": "energy_import", "address": 16, "data_type": "uint32"}],
    }
    device = {"code": "EM-1", "profile": "acme-em100"}
    config = SiteConfig.model_validate(
        _site(profiles=[profile], buses=[_serial_bus(devices=[device])])
    )
    assert config.profile("acme-em100").values[0].address == 16
    # ...but not one nobody defines, nor a site profile that overlaps itself or a built-in name.
    [(loc, msg)] = _errors(_site(buses=[_serial_bus(devices=[device])]))
    assert loc[-1] == "profile" and "acme-em100" in msg
    overlapping = profile | {
        "values": [
            {"metric": "a", "address": 16, "data_type": "uint32"},
            {"metric": "b", "address": 17, "data_type": "uint16"},
        ]
    }
    [(loc, msg)] = _errors(_site(profiles=[overlapping]))
    assert loc == ("profiles", 0) and "overlaps" in msg
    [(loc, msg)] = _errors(_site(profiles=[profile | {"name": "chint-ddsu666"}]))
    assert "built-in" in msg


def test_dlt645_meters_need_twelve_digit_unique_addresses():
    bus = {
        "kind": "dlt645",
        "code": "rs485-2",
        "port": "/dev/ttyUSB1",
        "devices": [{"code": "EM-1", "address": "12345"}],
    }
    [(loc, _)] = _errors(_site(buses=[bus]))
    assert loc[-1] == "address"
    twice = [
        {"code": "EM-1", "address": "000000000001"},
        {"code": "EM-2", "address": "000000000001"},
    ]
    [(_, msg)] = _errors(_site(buses=[bus | {"devices": twice}]))
    assert "address 000000000001 is used twice" in msg


def test_tls_files_need_mqtts_and_a_key_goes_with_a_certificate():
    [(_, msg)] = _errors(_site(mqtt={"url": "mqtt://broker", "ca_file": "/etc/ca.pem"}))
    assert "mqtts://" in msg
    [(_, msg)] = _errors(_site(mqtt={"url": "mqtts://broker", "cert_file": "/etc/c.pem"}))
    assert "go together" in msg


def test_placeholder_devices_are_validated_and_their_codes_unique():
    [(loc, _)] = _errors(_site(locks=[{"code": "LOCK-1", "address": "not-a-mac"}]))
    assert loc[-1] == "address"
    [(_, msg)] = _errors(_site(gates=[{"code": "EM-1"}]))
    assert "'EM-1' is used twice" in msg


def test_cameras_read_frames_or_push_their_reads():
    config = SiteConfig.model_validate(
        _site(
            cameras=[
                {"code": "CAM-IN", "source": "rtsp://127.0.0.1:8554/gate"},
                {"code": "CAM-OUT", "source": "push"},
            ],
            anpr_push={"port": 9000},
        )
    )
    reading, pushing = config.cameras
    assert not reading.pushes and reading.fps == 2.0 and reading.passage_gap_s == 3.0
    assert pushing.pushes
    assert config.anpr_push is not None and (config.anpr_push.host, config.anpr_push.port) == (
        "0.0.0.0",
        9000,
    )


def test_a_pushing_camera_needs_the_push_endpoint():
    [(_, msg)] = _errors(_site(cameras=[{"code": "CAM-OUT", "source": "push"}]))
    assert "CAM-OUT" in msg and "anpr_push" in msg


def test_the_street_shops_entrance_camera_pushes():
    config = SiteConfig.model_validate(yaml.safe_load(STREET.read_text(encoding="utf-8")))
    assert [c.code for c in config.cameras if c.pushes] == ["CAM-GATE-IN"]
    assert config.anpr_push is not None


def test_a_gate_names_a_camera_and_a_modbus_bus_of_its_site():
    base = {"site": "park1", "agent": "a1", "cameras": [{"code": "CAM-1", "source": "/tmp/x"}]}
    gate = {"code": "G-1", "camera": "CAM-1", "bus": "B-1", "unit_id": 1, "open_coil": 0}
    with pytest.raises(ValueError, match="no Modbus bus 'B-1'"):
        SiteConfig.model_validate(base | {"gates": [gate]})
    with pytest.raises(ValueError, match="no camera 'CAM-9'"):
        SiteConfig.model_validate(base | {"gates": [{"code": "G-1", "camera": "CAM-9"}]})
    with pytest.raises(ValueError, match="go together"):
        SiteConfig.model_validate(base | {"gates": [{"code": "G-1", "bus": "B-1"}]})
