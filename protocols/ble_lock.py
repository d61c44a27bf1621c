"""The BLE lock profile (ours, for locks that speak it; a vendor's lock needs its own codec):
service LOCK_SERVICE; characteristic COMMAND (write) takes `0x01 <seconds>` to unlock for that
long or `0x00` to lock now; characteristic STATE (notify) sends `0x00` locked, `0x01` unlocked.
The edge's lock driver and the simulated lock both speak it."""

from typing import Final

LOCK_SERVICE: Final = "7a6b0001-5c3e-4f61-9a1d-2f0e8b7c0001"
COMMAND: Final = "7a6b0002-5c3e-4f61-9a1d-2f0e8b7c0001"
STATE: Final = "7a6b0003-5c3e-4f61-9a1d-2f0e8b7c0001"
UNLOCK: Final = 0x01
LOCK: Final = 0x00
LOCKED: Final = 0x00
UNLOCKED: Final = 0x01
