"""Database plumbing: engine, declarative base and column types, Alembic migrations."""
