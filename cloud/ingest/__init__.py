"""Uplink ingest: edge agents, idempotent writes of their batches, acks and dead letters."""
