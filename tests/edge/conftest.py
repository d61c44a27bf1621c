from tests.support import no_leaked_tasks

__all__ = ["no_leaked_tasks"]
