"""gputensor's benchmarks (installed as ``gputensor.benchmarks``); the CLI is ``cli.main``."""
