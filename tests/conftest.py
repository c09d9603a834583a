"""Settings every test shares."""

from hypothesis import settings

# No per-example deadline: a property test asserts what holds, not how fast (speed is
# the benchmarks' to measure), and a loaded CI machine took 262 ms for one example
# that takes 1 ms alone, failing a test whose property held.
settings.register_profile("capscore", deadline=None)
settings.load_profile("capscore")
