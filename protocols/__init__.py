"""The contract between edge, cloud and simulators: MQTT messages, topics, site configs and
device profiles. Pure data and codecs, no I/O."""
