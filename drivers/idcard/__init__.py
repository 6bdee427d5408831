"""Second-generation ID card reader (GA 467 "SAM_V" serial protocol): codec, driver, polling loop, simulator."""
