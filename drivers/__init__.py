"""Device drivers: implementations of the kiosk.devices Protocols for real hardware and their simulators."""
