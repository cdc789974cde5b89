"""What every app builds on and what builds on no app: the kept values every decision reads
(`kept`), the shared cache's client (`cache`), what one transaction collects for after its
commit (`transactions`), rate limits (`rates`) and forms that answer 400 (`forms`)."""
