"""The field technician's tools: set up a terminal, self-test its peripherals, enroll it with the server."""
