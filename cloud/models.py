"""Every table of the cloud, imported in one place so `Base.metadata` is complete."""

from cloud.billing import models as billing  # noqa: F401
from cloud.db.base import Base
from cloud.energy import models as energy  # noqa: F401
from cloud.identity import models as identity  # noqa: F401
from cloud.ingest import models as ingest  # noqa: F401
from cloud.leasing import models as leasing  # noqa: F401
from cloud.leasing.contracts import models as contracts  # noqa: F401
from cloud.payments import models as payments  # noqa: F401
from cloud.properties import models as properties  # noqa: F401
from cloud.workorders import models as workorders  # noqa: F401

metadata = Base.metadata
