"""Every table of the cloud, imported in one place so `Base.metadata` is complete."""

from cloud.access import models as access  # noqa: F401
from cloud.alarms import models as alarms  # noqa: F401
from cloud.billing import models as billing  # noqa: F401
from cloud.db.base import Base
from cloud.devices import models as devices  # noqa: F401
from cloud.energy import models as energy  # noqa: F401
from cloud.identity import models as identity  # noqa: F401
from cloud.ingest import models as ingest  # noqa: F401
from cloud.leasing import models as leasing  # noqa: F401
from cloud.leasing.contracts import models as contracts  # noqa: F401
from cloud.leasing.leads import models as leads  # noqa: F401
from cloud.maintenance import models as maintenance  # noqa: F401
from cloud.notifications import models as notifications  # noqa: F401
from cloud.parking import models as parking  # noqa: F401
from cloud.payments import models as payments  # noqa: F401
from cloud.properties import models as properties  # noqa: F401
from cloud.tenant_services import models as tenant_services  # noqa: F401
from cloud.workorders import models as workorders  # noqa: F401

metadata = Base.metadata
