"""Raw links to devices (Modbus TCP now; serial, camera and BLE later)."""
