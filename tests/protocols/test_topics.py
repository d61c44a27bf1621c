import pytest

from protocols import topics


def test_builders_follow_the_contract():
    assert topics.data("park1", "bldg-a") == "parkops/v1/park1/bldg-a/up/data"
    assert topics.status("park1", "bldg-a") == "parkops/v1/park1/bldg-a/up/status"
    assert topics.cmd_result("park1", "bldg-a") == "parkops/v1/park1/bldg-a/up/cmd-result"
    assert topics.ack("park1", "bldg-a") == "parkops/v1/park1/bldg-a/down/ack"
    assert topics.cmd("park1", "bldg-a") == "parkops/v1/park1/bldg-a/down/cmd"
    assert topics.lists("park1", "bldg-a") == "parkops/v1/park1/bldg-a/down/lists"
    assert topics.query("park1", "bldg-a") == "parkops/v1/park1/bldg-a/up/query"
    assert topics.answer("park1", "bldg-a") == "parkops/v1/park1/bldg-a/down/answer"
    assert topics.downlink_filter("park1", "bldg-a") == "parkops/v1/park1/bldg-a/down/#"


def test_parse_is_the_inverse_of_the_builders():
    parsed = topics.parse(topics.ack("park1", "bldg-a"))
    assert (parsed.site, parsed.agent, parsed.direction, parsed.name) == (
        "park1",
        "bldg-a",
        "down",
        "ack",
    )
    assert str(parsed) == topics.ack("park1", "bldg-a")


@pytest.mark.parametrize(
    ("site", "agent"), [("park/1", "a"), ("park", "+"), ("#", "a"), ("", "a"), ("p", "a b")]
)
def test_codes_that_would_break_topic_levels_are_rejected(site, agent):
    with pytest.raises(ValueError, match="not a valid code"):
        topics.data(site, agent)


@pytest.mark.parametrize(
    "topic",
    [
        "parkops/v2/park/a/up/data",
        "parkops/v1/park/a/up",
        "parkops/v1/park/a/sideways/data",
        "parkops/v1/park/a/up/ack",  # ack only flows down
        "parkops/v1/park/a/down/data",
        "parkops/v1/park/a/up/data/extra",
    ],
)
def test_parse_rejects_anything_outside_the_contract(topic):
    with pytest.raises(ValueError):
        topics.parse(topic)
