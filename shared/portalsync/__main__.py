"""`python -m portalsync ...`: the same command as the `portalsync` console script."""

from portalsync.cli import app

app(prog_name="portalsync")
